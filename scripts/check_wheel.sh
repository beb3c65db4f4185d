#!/usr/bin/env bash
# Builds the wheel as `pip install replicate-widget` would get it, installs it in a fresh venv, and checks
# that the built front end, the demo notebooks and their sample files are inside and that the CLI starts. The
# build backend and the wheel's dependencies come from the pins (requirements/build.txt, and test.txt or
# RW_CONSTRAINTS), so a fresh machine checks the wheel CI last passed with, not whatever PyPI has today.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PIP_CONSTRAINT="$PWD/requirements/build.txt" "$PY" -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
"$PY" -m venv "$work/venv"
"$work/venv/bin/pip" install -q -c "${RW_CONSTRAINTS:-requirements/test.txt}" "$wheel"
"$work/venv/bin/python" - <<'PYCHECK'
from importlib.resources import files
import replicate_widget as rw
root = files("replicate_widget")
needed = ["static/widget.js", "static/playground.js", "_notebooks/quickstart.ipynb", "_notebooks/every-file-kind.ipynb",
          "_notebooks/batch.ipynb", "_notebooks/on-replicate.ipynb", "_notebooks/explore.ipynb",
          "_notebooks/samples"]
missing = [n for n in needed if not root.joinpath(n).is_file() and not root.joinpath(n).is_dir()]
assert not missing, f"missing from the wheel: {missing}"
samples = [p.name for p in root.joinpath("_notebooks/samples").iterdir()]
assert samples, "no sample files in the wheel"
print("wheel holds: static front end, 5 notebooks,", len(samples), "samples")
PYCHECK
"$work/venv/bin/replicate-widget" --help >/dev/null
echo "packaging: ok"
