#!/usr/bin/env bash
# Runs every ```sh runnable block of docs/runbooks/*.md against a live engine
# (test/ops/runbooks.test.ts: `tars-eval serve` on a fresh PostgreSQL database, an admin
# account, TARS_URL/TARS_TOKEN/DATABASE_URL exported, `tars-eval` on PATH).
# Needs PostgreSQL at TARS_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
# curl, jq, psql and redis-cli (the Redis commands read TARS_TEST_REDIS_URL, default 127.0.0.1:6379). Exits non-zero when a block fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in curl jq psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "runbooks-check: $tool not found on PATH" >&2; exit 1; }
done
# The engine's neural-network kernels (run from source) need the WebAssembly build.
[ -f src/nn/wasm/kernels.wasm ] || npm run --silent build:wasm
blocks=$(cat docs/runbooks/*.md | grep -c '^```sh runnable' || true)
echo "runbooks-check: ${blocks} runnable blocks in docs/runbooks"
npx vitest run test/ops/runbooks.test.ts
