"""docs/modules.md is made from the modules' own docstrings; it must say what the tree holds today."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_module_map_is_current():
    script = runpy.run_path(str(ROOT / "scripts" / "module_map.py"))
    made = script["render"]()
    on_disk = (ROOT / "docs" / "modules.md").read_text(encoding="utf-8")
    assert on_disk == made, "docs/modules.md is stale: run `python scripts/module_map.py` and commit it"
    for module in ("core/run.py", "wire/transfer.py", "js/wire/dropzone.js"):
        assert module in made
