#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs every tier: lint and types, JS unit
# tests, Python unit + local server + integration + notebooks, browser (JupyterLab + headless Chromium), and
# packaging. Every tier runs even when an earlier one fails; a table at the end says how each went, and the
# exit status is non-zero if any failed. Benchmarks are not run here (see benchmarks/).
#
#   bash scripts/test.sh                      every tier, from the pinned test environment (requirements/test.txt)
#   bash scripts/test.sh tests/unit -k schema just those tests, after the same install and checks
#   RW_CONSTRAINTS=FILE bash scripts/test.sh  other pins (scripts/test_newest.sh passes today's newest releases)
#   RW_TIERS="storage browser" bash ...       only the named tiers (names as in the table)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31m%s\033[0m\n' "$*"; exit 1; }

# ---- installs: a failure here stops everything, as no tier could run without them
step "system: chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || die "could not install chromium"
fi
export RW_CHROMIUM="${RW_CHROMIUM:-$(command -v chromium)}"

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"

CONSTRAINTS=${RW_CONSTRAINTS:-requirements/test.txt}
step "pip install -e .[test] -c $CONSTRAINTS"
"$PY" -m pip install -q -c "$CONSTRAINTS" -e ".[test]" || die "pip install failed"

# ---- tiers
declare -a NAMES PASSED FAILED SECS
FAILED_ANY=0

wanted() { [ -z "${RW_TIERS:-}" ] || [[ " $RW_TIERS " == *" $1 "* ]]; }

# tier NAME COMMAND...: runs it, tees its output, and records passed/failed counts (a pytest or vitest
# summary line when there is one; otherwise the command counts as one check) and the seconds it took.
tier() {
  local name=$1; shift
  wanted "$name" || return 0
  step "$name: $*"
  local log="$LOGS/$name.log" start=$SECONDS rc
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local summary passed failed
  # pytest: "3 failed, 120 passed, 2 skipped in 9.1s"; vitest: "Tests  57 passed (57)"
  summary=$(grep -E '([0-9]+ (passed|failed|error))' "$log" | tail -n 1)
  passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || true)
  failed=$(( $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '[0-9]+' | paste -sd+ || true) + 0 ))
  if [ -z "$summary" ]; then
    if [ "$rc" -eq 0 ]; then passed=1; failed=0; else passed=0; failed=1; fi
  fi
  passed=${passed:-0}; failed=${failed:-0}
  # a crashed runner (exit status non-zero, nothing counted as failed) still fails its tier
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  [ "$failed" -eq 0 ] || FAILED_ANY=1
  NAMES+=("$name"); PASSED+=("$passed"); FAILED+=("$failed"); SECS+=("$((SECONDS - start))")
}

PYTEST=("$PY" -m pytest -q -p no:cacheprovider)

tier ruff bash -c "'$PY' -m ruff check src tests benchmarks && '$PY' -m ruff format --check src tests benchmarks"
tier mypy "$PY" -m mypy
tier layers lint-imports --no-cache   # the layers declared in pyproject.toml
tier tsc npm run --silent typecheck
tier js npm test --silent
tier docs "$PY" -m mkdocs build --strict --quiet --site-dir "$LOGS/site"   # the API reference (mkdocs.yml)

if [ "$#" -gt 0 ]; then  # e.g. `bash scripts/test.sh tests/unit -k schema`: just those tests
  tier selected "${PYTEST[@]}" "$@"
else
  # Separate sessions: Playwright's sync API keeps an event loop running on the main thread for as long as
  # the browser lives, which the async tests of the other tiers can't share; the storage tests start three
  # emulators of their own.
  tier unit "${PYTEST[@]}" tests/unit
  tier local "${PYTEST[@]}" tests/local
  storage=(tests/integration/test_storage.py tests/integration/test_storage_azure.py
           tests/integration/test_storage_gcs.py tests/integration/test_file_input_storage.py)
  tier integration "${PYTEST[@]}" tests/integration "${storage[@]/#/--ignore=}"
  tier storage "${PYTEST[@]}" "${storage[@]}"
  tier notebooks "${PYTEST[@]}" tests/notebooks
  tier browser "${PYTEST[@]}" tests/browser
  tier packaging bash scripts/check_wheel.sh
fi

# ---- the table
printf '\n\033[1m%-12s %8s %8s %8s\033[0m\n' tier passed failed seconds
total_passed=0; total_failed=0
for i in "${!NAMES[@]}"; do
  printf '%-12s %8s %8s %8s\n' "${NAMES[$i]}" "${PASSED[$i]}" "${FAILED[$i]}" "${SECS[$i]}"
  total_passed=$((total_passed + PASSED[i])); total_failed=$((total_failed + FAILED[i]))
done
printf '%-12s %8s %8s %8s\n' all "$total_passed" "$total_failed" "$SECONDS"
echo "total: $total_passed passed, $total_failed failed"
exit "$FAILED_ANY"
