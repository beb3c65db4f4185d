"""No two modules of the package import each other, not even for type checking only.

import-linter guards the layers; this guards each layer's inside, where a pair of modules that need each
other is one responsibility split in two, or two tangled into one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import replicate_widget

PACKAGE = Path(replicate_widget.__file__).parent


def _name(path: Path) -> str:
    parts = ("replicate_widget", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    paths = {_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:  # `from . import x` imports the module x, not its package
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def test_the_graph_sees_the_imports_it_must():
    graph = import_graph()
    assert "replicate_widget.core.errors" in graph["replicate_widget.core.client"]
    assert "replicate_widget.local._cli" in graph["replicate_widget.cli"]  # serve's module, imported as one


def test_no_two_modules_import_each_other():
    graph = import_graph()
    pairs = sorted((a, b) for a, deps in graph.items() for b in deps if a < b and a in graph[b])
    assert pairs == []
