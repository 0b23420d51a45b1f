# ConsensusNet developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: help setup demo test lint fmt bench

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

setup: ## Install uv if missing, then the locked dependencies (first run builds llama-cpp-python, ~5 min)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@# Offline first: uv's cached sdist revision can go stale and would rebuild llama-cpp-python
	@# (~5 min) although its wheel is cached; fall back to the index when something is missing.
	@$(UV) sync --frozen --offline --quiet 2>/dev/null || $(UV) sync --frozen

demo: setup ## A small board deliberation on the embedded local model (no network, no servers)
	$(RUN) consensusnet board "Should we expand to the European market next year?" \
		--experts 3 --max-rounds 2 --max-subproblems 2 --no-clarify --export md,html
	@echo "Reports are in $$($(RUN) python -c 'from consensusnet.domain.config import Settings; print(Settings().data_dir / "reports")')"

test: setup ## Run the whole test suite (unit, integration against PostgreSQL and Redis, real local model)
	$(RUN) pytest

lint: setup ## ruff (lint + format check), mypy, import-linter
	$(RUN) ruff check src tests
	$(RUN) ruff format --check src tests
	$(RUN) mypy
	$(RUN) lint-imports

fmt: setup ## Format and autofix with ruff
	$(RUN) ruff format src tests
	$(RUN) ruff check --fix src tests

bench: setup ## Benchmarks: engine overhead (3 x 5 calls of 0.5 s), board tokens and timing, consensus accuracy
	$(RUN) consensusnet bench overhead --rounds 3 --parallel 5 --latency 0.5
	$(RUN) consensusnet bench board --rounds 6 --subproblems 2 --experts 3 --latency 0.2
	$(RUN) consensusnet bench consensus
