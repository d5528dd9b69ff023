#!/usr/bin/env bash
# Checks the Prometheus alert rules and the Alertmanager configuration:
#   1. promtool check rules   observability/alerts/*.yml (syntax, templates, PromQL)
#   2. promtool test rules    observability/alerts/tests/*.yml (firing and silent cases)
#   3. amtool check-config    observability/alertmanager/alertmanager.yml, against throw-away
#                             secret files (the real ones live on the Alertmanager host)
#   4. amtool config routes test: critical → pager + chat, warning → chat, info → low priority
# Prints the number of rules; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROMTOOL=${PROMTOOL:-promtool}
AMTOOL=${AMTOOL:-amtool}
for tool in "$PROMTOOL" "$AMTOOL"; do
  command -v "$tool" >/dev/null || { echo "alerts-check: $tool not found on PATH" >&2; exit 1; }
done

rules=(observability/alerts/*.yml)
tests=(observability/alerts/tests/*.yml)

echo "== promtool check rules (${#rules[@]} files)"
check_out=$("$PROMTOOL" check rules "${rules[@]}" 2>&1) || { echo "$check_out"; exit 1; }
echo "$check_out"
count=$(echo "$check_out" | awk '/rules found/ { n += $2 } END { print n + 0 }')
echo "rules: ${count}"

echo "== promtool test rules (${#tests[@]} files)"
"$PROMTOOL" test rules "${tests[@]}"

echo "== amtool check-config"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/secrets"
cp -r observability/alertmanager/. "$tmp/"
# Placeholder secrets so the check never depends on (or reads) the real ones.
printf 'dummy-routing-key\n' >"$tmp/secrets/pagerduty-routing-key"
printf 'https://hooks.slack.invalid/services/T0/B0/X\n' >"$tmp/secrets/slack-webhook-url"
printf 'https://hooks.slack.invalid/services/T0/B1/Y\n' >"$tmp/secrets/slack-info-webhook-url"
sed "s#/etc/alertmanager/secrets/#$tmp/secrets/#g" observability/alertmanager/alertmanager.yml >"$tmp/alertmanager.yml"
"$AMTOOL" check-config "$tmp/alertmanager.yml"

echo "== amtool config routes test"
route() {
  local want=$1
  shift
  local got
  got=$("$AMTOOL" config routes test --config.file="$tmp/alertmanager.yml" "$@" 2>/dev/null)
  if [[ "$got" != "$want" ]]; then
    echo "routing $*: expected $want, got $got" >&2
    exit 1
  fi
  echo "  $* → $got"
}
route tars-eval-pager,tars-eval-chat severity=critical alertname=TarsEvalPostgresDown
route tars-eval-chat severity=warning alertname=TarsEvalQueueDepthHigh
route tars-eval-low-priority severity=info alertname=TarsEvalBaselineStale
route tars-eval-chat alertname=SomethingUnlabelled

echo "alerts-check: ${count} rules checked and tested; Alertmanager configuration valid"
