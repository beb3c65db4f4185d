#!/usr/bin/env bash
# Resolves the test environment's pins (requirements/test.txt) and the build backend's (requirements/build.txt,
# for the wheel the packaging tier builds) for Python 3.11, the machines CI runs on. The package's own
# dependency ranges in pyproject.toml stay ranges; only what the tests install is pinned, so a fresh machine
# installs exactly what CI last passed with.
#
#   bash scripts/lock.sh             after a change to pyproject.toml: keeps every pin that still fits
#   bash scripts/lock.sh --upgrade   moves every pin to the newest release (scripts/test_newest.sh first)
#
# Review the diff, run `bash scripts/test.sh`, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m uv --version >/dev/null 2>&1 || "$PY" -m pip install -q uv
"$PY" -m uv pip compile pyproject.toml --extra test --python-version 3.11 \
  --quiet --no-header -o requirements/test.txt "$@"
"$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
  | "$PY" -m uv pip compile - --python-version 3.11 --quiet --no-header -o requirements/build.txt "$@"
echo "requirements/test.txt and build.txt re-resolved; now: bash scripts/test.sh"
