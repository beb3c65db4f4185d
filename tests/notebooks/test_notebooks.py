"""Every shipped notebook runs top to bottom, without a person, against the session's local server."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_the_four_demo_notebooks_are_there():
    assert set(NAMES) >= {"quickstart.ipynb", "every-file-kind.ipynb", "batch.ipynb", "on-replicate.ipynb"}


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, server, tmp_path, monkeypatch):
    # Run a copy beside a copy of the samples, as `replicate-widget demo` lays them out.
    shutil.copytree(NOTEBOOKS, tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    nb = nbformat.read(tmp_path / name, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(nb, timeout=180, kernel_name="python3", resources=resources).execute()
    errors = [
        out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]  # fmt: skip
    assert not errors
    text = nbformat.writes(nb)
    assert server.token not in text, "the API token leaked into the executed notebook"
    if name != "on-replicate.ipynb":
        entries = server.log.entries
        created = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/predictions")]
        assert created, "the notebook ran no prediction on the local server"
    if name == "quickstart.ipynb":  # it shows all three forms a file takes: the server saw each arrive
        inputs = [i for e in server.log.entries for i in e.get("inputs", {}).values() if isinstance(i, dict)]
        kinds = {i["kind"] for i in inputs}
        assert kinds >= {"data-uri", "file", "url"}, kinds
