#!/usr/bin/env bash
# Renders every kustomize overlay of deploy/ (and the Prometheus adapter rule) with
# `kubectl kustomize` and validates the objects offline against the Kubernetes and Prometheus
# Operator schemas, plus the cross-references (scripts/k8s-validate.ts). No cluster needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v kubectl >/dev/null 2>&1; then
  echo "k8s-validate: kubectl (with its built-in kustomize) is required to render deploy/" >&2
  exit 1
fi
echo "== kubectl $(kubectl version --client 2>/dev/null | head -1 | sed 's/Client Version: //'), $(kubectl version --client 2>/dev/null | grep -i kustomize)"
echo "== overlays: $(ls deploy/overlays | tr '\n' ' ')"
npx tsx scripts/k8s-validate.ts
