"""Test doubles that ship with the package: fake servers for adapter, CLI and docs tests."""
