#!/usr/bin/env bash
# The check a scheduled CI job would make: re-resolve the test environment to the newest releases on PyPI
# today (ignoring requirements/test.txt's pins), install them in a throwaway venv, and run the tiers that
# depend most on others' releases: storage (moto, Azurite, fake-gcs-server, obstore) and browser (JupyterLab,
# Playwright, Chromium). Green means `bash scripts/lock.sh` can move the pins forward; red names the release
# that broke us before a new contributor meets it.
#
#   bash scripts/test_newest.sh                      storage and browser
#   RW_TIERS="unit integration" bash scripts/test_newest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q uv
"$work/venv/bin/python" -m uv pip compile pyproject.toml --extra test --python-version 3.11 --upgrade \
  --quiet --no-header -o "$work/newest.txt"
echo "== releases newer than the pins in requirements/test.txt"
diff <(grep -E '^[A-Za-z0-9_.-]+==' requirements/test.txt) <(grep -E '^[A-Za-z0-9_.-]+==' "$work/newest.txt") \
  | grep -E '^>' || echo "(none: the pins are the newest releases)"
# The venv's own scripts (jupyter, lint-imports, replicate-widget) first on the PATH: tests start them.
PATH="$work/venv/bin:$PATH" PYTHON="$work/venv/bin/python" RW_CONSTRAINTS="$work/newest.txt" \
  RW_TIERS="${RW_TIERS:-storage browser}" bash scripts/test.sh
