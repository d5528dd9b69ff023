#!/usr/bin/env bash
# The Grafana dashboard against a real Prometheus: runs test/observability/dashboard.test.ts
# with TARS_REQUIRE_PROMETHEUS=1, so a missing /usr/bin/prometheus fails instead of skipping.
# Checks: the dashboard JSON (>= 22 panels, unique ids, the datasource variable on every target,
# the agent_type and environment variables, every metric exported by the engine), the Grafana
# provisioning files, and, live, every panel query returning data from a Prometheus scraping an
# engine that has just run evaluations, and every alert rule under observability/alerts parsing.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f src/nn/wasm/kernels.wasm ]; then
  npm run --silent build:wasm
fi

echo "dashboard-check: observability/dashboards/tars-eval.json, its provisioning, and every panel and alert query against a live Prometheus"
TARS_REQUIRE_PROMETHEUS=1 npx vitest run test/observability/dashboard.test.ts
echo "dashboard-check: ok"
