#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs every tier:
# lint and types, JS unit tests, Python unit + integration, browser (JupyterLab + headless Chromium),
# notebooks, and packaging. Benchmarks are not run here (see benchmarks/).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "system: chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export RW_CHROMIUM="${RW_CHROMIUM:-$(command -v chromium)}"

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "pip install -e .[test]"
"$PY" -m pip install -q -e ".[test]"

step "lint and types"
"$PY" -m ruff check src tests benchmarks
"$PY" -m ruff format --check src tests benchmarks
"$PY" -m mypy
lint-imports --no-cache | tail -n 6   # the layers declared in pyproject.toml
npm run --silent typecheck

step "JS unit tests"
npm test --silent

if [ "$#" -gt 0 ]; then  # e.g. `bash scripts/test.sh tests/unit -k schema`: just those tests
  step "pytest $*"
  "$PY" -m pytest -q -p no:cacheprovider "$@"
  exit 0
fi

# Two sessions: Playwright's sync API keeps an event loop running on the main thread for as long as the
# browser lives, which the async tests of the other tiers can't share.
step "Python tests: unit, local server, integration, notebooks"
"$PY" -m pytest -q -p no:cacheprovider tests/unit tests/local tests/integration tests/notebooks

step "Python tests: browser (JupyterLab and Notebook 7 in headless Chromium)"
"$PY" -m pytest -q -p no:cacheprovider tests/browser

step "packaging: the wheel in a fresh venv"
bash scripts/check_wheel.sh
