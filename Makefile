# Everyday targets for tars-eval. Each calls an npm script or the CLI; `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
CLI := node dist/cli/main.js

.PHONY: help install build test lint format format-check typecheck bench clean ci demo quickstart envs

help: ## List the targets with what they do
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

install: ## Install dependencies exactly as locked (npm ci)
	npm ci

build: ## Compile TypeScript and the WebAssembly kernels into dist/
	npm run build

test: ## Run the test suite (vitest)
	npm test

lint: ## Lint and check formatting with biome
	npm run lint

format: ## Format the sources in place with biome
	npm run format

format-check: ## Fail when a file is not formatted
	npm run format:check

typecheck: ## Type-check sources, tests and benchmarks
	npm run typecheck

bench: ## Run the benchmarks (prints figures; never fails on a number)
	npm run bench

clean: ## Remove build output, coverage and the embedded data directory
	npm run clean

ci: ## Run the same checks as CI (.ci/run)
	bash .ci/run

demo: build ## Seeded demo rollouts in every environment
	$(CLI) demo

quickstart: ## Install, build, start the engine on PGlite, run a real evaluation over HTTP (the README quick start)
	npm ci && npm run quickstart

envs: build ## List the environments with spaces, step limits and reward thresholds
	$(CLI) envs
