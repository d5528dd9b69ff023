# Everyday targets for tars-eval. Each calls an npm script, the CLI or a script under scripts/;
# `make help` lists them. Targets that need a running engine reach it at TARS_URL; targets that
# need a Kubernetes cluster check for one first and say so when there is none.
.DEFAULT_GOAL := help
SHELL := /bin/bash
CLI := node dist/cli/main.js
TSX := npx tsx

TARS_URL ?= http://127.0.0.1:8099
# Kubernetes: the overlay (deploy/overlays/*) the k8s-* targets use, and its namespace.
K8S_OVERLAY ?= staging
K8S_DIR := deploy/overlays/$(K8S_OVERLAY)
K8S_NAMESPACE ?= $(if $(filter production,$(K8S_OVERLAY)),tars-eval,tars-eval-$(K8S_OVERLAY))
K8S_COMPONENT ?= api

# The test suite by kind (CONVENTIONS: unit tests are pure and seeded; integration tests use
# real PostgreSQL, PGlite and Redis; end-to-end tests start the real server or worker processes).
UNIT_TESTS := test/rng/ test/envs/ test/nn/ test/agents/ test/stats/ test/games/ test/evaluation/ test/config.test.ts
E2E_TESTS := test/api/end-to-end.test.ts test/api/distributed-e2e.test.ts test/api/commands.test.ts test/observability/serve.test.ts
INTEGRATION_TESTS := test/store/ test/queue/ test/integrations/ test/api/ test/cli/ test/ops/ test/observability/ test/docs/
E2E_EXCLUDES := $(foreach f,$(E2E_TESTS),--exclude $(f))

.PHONY: help install clean build dev test test-unit test-integration test-e2e test-coverage lint format \
	format-check typecheck bench docs openapi openapi-validate openapi-docs generate-c4 diagrams-check \
	runbooks-check alerts-check alerts-test dashboard-check run run-dev worker db-migrate db-rollback \
	db-shell redis-shell health metrics users-add demo quickstart ci envs k8s-render k8s-validate \
	k8s-deploy k8s-status k8s-logs k8s-rule troubleshoot k8s-cluster

help: ## List the targets with what they do
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

# --- Set-up and build ------------------------------------------------------------------

install: ## Install dependencies exactly as locked (npm ci)
	npm ci

dev: ## Prepare a working copy: locked dependencies, the WebAssembly kernels, a type-check
	npm ci && npm run build:wasm && npm run typecheck

build: ## Compile TypeScript and the WebAssembly kernels into dist/
	npm run build

clean: ## Remove build output, coverage and the embedded data directory
	npm run clean

# --- Tests and checks ------------------------------------------------------------------

test: ## Run the whole test suite (vitest)
	npm test

test-unit: ## Unit tests: pure, seeded modules (rng, envs, nn, agents, stats, games, evaluation, config)
	npm run build:wasm && npx vitest run $(UNIT_TESTS)

test-integration: ## Integration tests on real PostgreSQL, PGlite and Redis (store, queue, integrations, api, cli, ops)
	npm run build:wasm && npx vitest run $(INTEGRATION_TESTS) $(E2E_EXCLUDES)

test-e2e: ## End-to-end tests: the real server and worker processes over HTTP
	npm run build:wasm && npx vitest run $(E2E_TESTS)

test-coverage: ## Whole suite with V8 coverage (text summary, HTML in coverage/)
	npm run build:wasm && npx vitest run --coverage --coverage.provider=v8 --coverage.include='src/**' --coverage.reporter=text-summary --coverage.reporter=html

lint: ## Lint and check formatting with biome
	npm run lint

format: ## Format the sources in place with biome
	npm run format

format-check: ## Fail when a file is not formatted
	npm run format:check

typecheck: ## Type-check sources, tests, scripts and benchmarks
	npm run typecheck

bench: ## Run the benchmarks (prints figures; never fails on a number)
	npm run bench

ci: ## Run the same checks as CI (.ci/run)
	bash .ci/run

# --- Documentation and ops artifacts -----------------------------------------------------

docs: openapi openapi-docs generate-c4 ## Regenerate the OpenAPI document, its HTML page and the C4 diagrams

openapi: build ## Write docs/api/openapi.yaml from the route schemas
	$(CLI) openapi

openapi-validate: build ## Validate docs/api/openapi.yaml (OpenAPI 3 rules) and check it matches the routes
	node scripts/openapi-validate.mjs
	$(CLI) openapi --check

openapi-docs: ## Render docs/api/openapi.yaml as a static HTML page
	node scripts/openapi-docs.mjs

generate-c4: ## Render the C4 diagrams of docs/architecture to SVG (Mermaid, Debian Chromium)
	node scripts/generate-c4.mjs

diagrams-check: ## Check the C4 diagrams: every code name exists in src/, every diagram renders
	bash scripts/ci/diagrams-check.sh

runbooks-check: ## Run every runnable runbook command against a live engine (PostgreSQL, curl, jq)
	bash scripts/ci/runbooks-check.sh

alerts-check: ## promtool check + unit tests of the alert rules, amtool check of the Alertmanager config
	bash scripts/ci/alerts-check.sh

alerts-test: ## Unit-test the alert rules with promtool
	promtool test rules observability/alerts/tests/*.yml

dashboard-check: ## Grafana dashboard: a real Prometheus scrapes a live engine; every panel returns data, every alert parses
	bash scripts/ci/dashboard-check.sh

# --- Running the engine ----------------------------------------------------------------

run: build ## Start the engine (tars-eval serve; PGlite unless DATABASE_URL, embedded queue unless REDIS_URL)
	$(CLI) serve

run-dev: ## Start the engine from the sources, restarting on every change (tsx watch)
	npm run build:wasm && NODE_ENV=development $(TSX) watch src/cli/main.ts serve

worker: build ## Start a distributed worker (needs REDIS_URL and DATABASE_URL)
	$(CLI) worker

demo: build ## Seeded demo rollouts in every environment
	$(CLI) demo

quickstart: ## Install, build, start the engine on PGlite, run a real evaluation over HTTP (the README quick start)
	npm ci && npm run quickstart

envs: build ## List the environments with spaces, step limits and reward thresholds
	$(CLI) envs

users-add: build ## Create an account: make users-add NAME=alice ROLE=developer (password read from stdin)
	@if [ -z "$(NAME)" ] || [ -z "$(ROLE)" ]; then \
		echo "users-add: set NAME and ROLE, e.g. make users-add NAME=alice ROLE=developer (roles: viewer, developer, admin)" >&2; exit 2; fi
	$(CLI) users add "$(NAME)" --role "$(ROLE)"

# --- Database and Redis ----------------------------------------------------------------

db-migrate: build ## Apply pending migrations (tars-eval migrate up) to PGlite or DATABASE_URL
	$(CLI) migrate up

db-rollback: build ## Revert the last migration (tars-eval migrate down; STEPS=n for more)
	$(CLI) migrate down --steps $(or $(STEPS),1)

db-shell: ## Open psql on DATABASE_URL
	@if [ -z "$$DATABASE_URL" ]; then \
		echo "db-shell: DATABASE_URL is not set. The embedded PGlite database has no shell; set DATABASE_URL=postgres://... to use psql." >&2; exit 2; fi
	psql "$$DATABASE_URL"

redis-shell: ## Open redis-cli on REDIS_URL
	@if [ -z "$$REDIS_URL" ]; then \
		echo "redis-shell: REDIS_URL is not set (the engine uses Redis only in distributed mode); set REDIS_URL=redis://..." >&2; exit 2; fi
	redis-cli -u "$$REDIS_URL"

# --- Operating a running engine ----------------------------------------------------------

health: ## GET /health of the running engine (TARS_URL, default http://127.0.0.1:8099)
	@curl -sS --fail-with-body --max-time 10 "$(TARS_URL)/health" || { \
		echo; echo "health: no healthy answer from $(TARS_URL)/health (start the engine with make run, or set TARS_URL)" >&2; exit 1; }
	@echo

metrics: ## GET /metrics of the running engine, the tars_eval_* series
	@curl -sS --fail-with-body --max-time 10 "$(TARS_URL)/metrics" -o /tmp/tars-eval-metrics.$$$$ || { \
		echo "metrics: no answer from $(TARS_URL)/metrics (start the engine with make run, or set TARS_URL)" >&2; exit 1; }; \
	grep -E '^(# (HELP|TYPE) )?tars_eval_' /tmp/tars-eval-metrics.$$$$; rm -f /tmp/tars-eval-metrics.$$$$

troubleshoot: ## One report: health, key metrics, queue depth by status, recent failed jobs (TARS_URL)
	TARS_URL="$(TARS_URL)" $(TSX) scripts/troubleshoot.ts

# --- Kubernetes (deploy/) ------------------------------------------------------------------

k8s-render: ## Print the manifests of an overlay (K8S_OVERLAY=staging|production; no cluster needed)
	kubectl kustomize $(K8S_DIR)

k8s-rule: ## Regenerate deploy/base/prometheus-rule.yaml from observability/alerts/*.yml
	$(TSX) scripts/generate-prometheus-rule.ts

k8s-validate: ## Render every overlay and validate it offline (schemas and cross-references; no cluster needed)
	bash scripts/ci/k8s-validate.sh

# The guard of the targets below that need a cluster.
k8s-cluster: ## Check that kubectl has a current context whose cluster answers
	@context=$$(kubectl config current-context 2>/dev/null) || { \
		echo "no Kubernetes cluster configured: kubectl has no current context (set KUBECONFIG or run kubectl config use-context)" >&2; exit 1; }; \
	kubectl cluster-info --request-timeout=10s >/dev/null 2>&1 || { \
		echo "the Kubernetes cluster of context $$context does not answer (kubectl cluster-info failed)" >&2; exit 1; }

k8s-deploy: k8s-cluster k8s-validate ## Apply the adapter rule, the migration Job and an overlay to the current cluster
	@kubectl -n $(K8S_NAMESPACE) get secret tars-eval-secrets >/dev/null 2>&1 || { \
		echo "k8s-deploy: the Secret tars-eval-secrets is missing in namespace $(K8S_NAMESPACE): create it first (deploy/README.md, Secrets)" >&2; exit 1; }
	kubectl apply -k deploy/prometheus-adapter
	kubectl -n $(K8S_NAMESPACE) delete job tars-eval-migrate --ignore-not-found
	kubectl apply -k $(K8S_DIR)
	kubectl -n $(K8S_NAMESPACE) wait --for=condition=complete job/tars-eval-migrate --timeout=600s
	kubectl -n $(K8S_NAMESPACE) rollout status deployment/tars-eval-api --timeout=300s
	kubectl -n $(K8S_NAMESPACE) rollout status deployment/tars-eval-worker --timeout=300s

k8s-status: k8s-cluster ## Pods, rollouts, autoscalers and the migration Job of an overlay's namespace
	kubectl -n $(K8S_NAMESPACE) get deployments,pods,hpa,pdb,jobs,services -l app.kubernetes.io/part-of=tars-eval -o wide

k8s-logs: k8s-cluster ## Recent logs of the api (or K8S_COMPONENT=worker|migration) pods
	kubectl -n $(K8S_NAMESPACE) logs -l app.kubernetes.io/component=$(K8S_COMPONENT) --all-containers --prefix --tail=200
