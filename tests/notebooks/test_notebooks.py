"""Every shipped notebook runs top to bottom, without a person, against the session's local server."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def _creates_prediction(entry: dict) -> bool:
    return entry["method"] == "POST" and entry["path"].endswith("/predictions")


def test_the_demo_notebooks_are_there():
    assert set(NAMES) >= {
        "quickstart.ipynb",
        "every-file-kind.ipynb",
        "batch.ipynb",
        "on-replicate.ipynb",
        "explore.ipynb",
    }


def test_the_readme_lists_every_notebook():
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    listed = set(re.findall(r"^- \*\*([\w-]+)\*\*:", readme, re.MULTILINE))
    assert {Path(name).stem for name in NAMES} <= listed, listed


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, server, tmp_path, monkeypatch):
    # Run a copy beside a copy of the samples, as `replicate-widget demo` lays them out.
    shutil.copytree(NOTEBOOKS, tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    nb = nbformat.read(tmp_path / name, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources=resources)
    silent = []  # cells that ran a model and showed nothing of what it made
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            seen = len(server.log.entries)
            client.execute_cell(cell, index)
            if cell.cell_type != "code":
                continue
            created = [e for e in server.log.entries[seen:] if _creates_prediction(e)]
            shown = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
            if created and not shown:
                silent.append(cell.source)
    errors = [
        out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]  # fmt: skip
    assert not errors
    assert not silent, "a cell ran a model and displayed nothing:\n" + "\n---\n".join(silent)
    text = nbformat.writes(nb)
    assert server.token not in text, "the API token leaked into the executed notebook"
    twice = [(i, n) for i, n in _embedded_images(nb).items() if n > 1]
    assert not twice, f"outputs store the same image more than once (cell, copies): {twice}"
    if name != "on-replicate.ipynb":
        assert any(_creates_prediction(e) for e in server.log.entries), "it ran no prediction on the server"
    else:  # on the local server it skips, and says both things to change: the base URL and the token
        setup = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        assert f"REPLICATE_BASE_URL is {server.base_url}, not Replicate: unset it" in setup, setup
        assert "REPLICATE_API_TOKEN is the local server's, which Replicate refuses" in setup, setup
        assert "replicate-widget demo --on-replicate" in setup, setup
        assert not any(_creates_prediction(e) for e in server.log.entries)
    if name == "quickstart.ipynb":  # it shows all three forms a file takes: the server saw each arrive
        inputs = [i for e in server.log.entries for i in e.get("inputs", {}).values() if isinstance(i, dict)]
        kinds = {i["kind"] for i in inputs}
        assert kinds >= {"data-uri", "file", "url"}, kinds

    if name == "explore.ipynb":
        _check_explore(nb, server)


_DATA_IMAGE = re.compile(r"data:image/[\w.+-]+;base64,([A-Za-z0-9+/=]+)")


def _embedded_images(nb):
    """(cell index, image's sha256) -> how many copies one output of that cell holds: as an image/* entry of
    its bundle, or as a data: URI in its HTML (an <img>, a gallery). The whole image is hashed: JPEGs of one
    encoder share their first hundreds of base64 characters (the same header and tables)."""
    copies = {}
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            found = [v for k, v in data.items() if k.startswith("image/") and k != "image/svg+xml"]
            found += _DATA_IMAGE.findall(data.get("text/html", ""))
            seen = {}
            for payload in found:
                key = (index, hashlib.sha256(payload.replace("\n", "").encode()).hexdigest()[:16])
                seen[key] = seen.get(key, 0) + 1
            for key, n in seen.items():
                copies[key] = max(copies.get(key, 0), n)
    return copies


def _texts(nb, index):
    """Everything cell ``index`` printed or displayed, as text (updated displays as they ended)."""
    parts = []
    for out in nb.cells[index].get("outputs", []):
        parts.append(out.get("text", ""))
        data = out.get("data", {})
        parts.append(data.get("text/plain", ""))
        parts.append(data.get("text/html", ""))
    return "\n".join(parts)


def _cell(nb, fragment):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and fragment in c.source)


def _check_explore(nb, server):
    """Search, a card, Tab completion, a handle call with progress, a deployment, a Playground, as shown."""
    paths = [(e["method"], e["path"]) for e in server.log.entries]
    assert ("GET", "/v1/search") in paths
    assert ("POST", "/v1/deployments/demo/grayscale-prod/predictions") in paths
    assert ("GET", "/v1/collections/text-generation") in paths
    assert _texts(nb, _cell(nb, 'rw.search("image")')).count('class="rw-card"') == 3
    card = _texts(nb, _cell(nb, 'gray = rw.model("demo/grayscale")'))
    assert ">output_format</td>" in card
    assert "rw.model(&#x27;demo/grayscale&#x27;)<wbr>.playground()" in card
    assert "['output_format=']" in _texts(nb, _cell(nb, "provisionalcompleter"))
    # the automatic progress display ended as one line, updated in place (not one output per update)
    progress = [
        out for out in nb.cells[_cell(nb, "watch the progress")].outputs
        if "rw-progress" in out.get("data", {}).get("text/html", "")
    ]  # fmt: skip
    assert len(progress) == 1
    assert progress[0]["data"]["text/plain"].startswith("✓ demo/slow-echo succeeded in")
    assert "\n" not in progress[0]["data"]["text/plain"]
    assert "runs demo/grayscale · release 1 · cpu" in _texts(nb, _cell(nb, "prod = rw.deployment"))
    widgets = [
        out for out in nb.cells[_cell(nb, "found[0].playground()")].outputs
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]  # fmt: skip
    assert len(widgets) == 1
