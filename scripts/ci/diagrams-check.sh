#!/usr/bin/env bash
# CI: the architecture diagrams (docs/architecture/*.md) name only things that exist in src/,
# and every Mermaid block renders (mermaid-cli in Debian's Chromium, into a temporary
# directory). Exits non-zero naming the file, block and line of each problem.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "diagrams-check: code names in docs/architecture/*.md"
node scripts/check-diagram-names.mjs

echo "diagrams-check: rendering every mermaid block of docs/architecture/*.md"
node scripts/render-diagrams.mjs

echo "diagrams-check: ok"
