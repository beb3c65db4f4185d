"""Writes docs/modules.md: every module of src/replicate_widget and js/, with the first sentence of what it
says about itself (a Python docstring, a JS file's opening comment). Made, not hand-kept, so it can't drift:
tests/unit/test_module_map.py fails when the file is stale.

    python scripts/module_map.py           # rewrite docs/modules.md
    python scripts/module_map.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "modules.md"


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for end in (". ", ": "):
        if end in text:
            text = text.split(end, 1)[0] + end.strip()
            break
    return text.replace("|", "\\|")


def _python_summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return _first_sentence(doc) if doc else ""


def _js_summary(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("//"):
            break
        lines.append(line.lstrip("/ "))
    return _first_sentence(" ".join(lines))


def render() -> str:
    out = [
        "# Modules",
        "",
        "Made by `python scripts/module_map.py` from each module's own docstring or opening comment; edit those,",
        "not this file. The layers and how they may import each other: [architecture.md](architecture.md).",
        "",
        "| module | what it is |",
        "|---|---|",
    ]
    package = ROOT / "src"
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py" or "__pycache__" in path.parts:
            continue
        name = path.relative_to(package).as_posix()
        out.append(f"| `{name}` | {_python_summary(path)} |")
    for path in sorted((ROOT / "js").rglob("*.js")):
        if path.name.endswith(".test.js"):
            continue
        out.append(f"| `{path.relative_to(ROOT).as_posix()}` | {_js_summary(path)} |")
    return "\n".join(out) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.is_file() or TARGET.read_text(encoding="utf-8") != text:
            print("docs/modules.md is stale: run `python scripts/module_map.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({text.count(chr(10)) - 7} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
