"""`python -m consensusnet` runs the CLI."""

from consensusnet.cli.app import main

main()
