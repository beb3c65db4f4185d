#!/usr/bin/env bash
# Re-resolves the test environment's pins (requirements/test.txt) to the newest releases PyPI has today.
# The package's own dependency ranges in pyproject.toml stay ranges; only what the tests install is pinned,
# for Python 3.11 (the machines CI runs on), so a fresh machine installs exactly what CI last passed with. Review the diff, run the tests, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m uv --version >/dev/null 2>&1 || "$PY" -m pip install -q uv
"$PY" -m uv pip compile pyproject.toml --extra test --python-version 3.11 \
  --quiet --no-header -o requirements/test.txt "$@"
echo "requirements/test.txt re-resolved; now: bash scripts/test.sh"
