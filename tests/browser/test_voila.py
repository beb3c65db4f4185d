"""The Playground as a Voila app: ``voila notebook.ipynb`` on 127.0.0.1, drop a file, Run, see the output.

Voila renders the notebook's outputs with its own widget manager (no JupyterLab), so this checks that the
Playground's front end needs nothing of JupyterLab's.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import nbformat
import pytest
from harness import NOISE, WIDGET_ERROR, start_voila
from test_playground_browser import DROP, photo

pytest.importorskip("voila")
pytestmark = pytest.mark.browser


def test_playground_runs_as_a_voila_app(local_server: Any, server: Any, browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "notebook.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Grayscale"),
        nbformat.v4.new_code_cell("import replicate_widget as rw\nrw.Playground('demo/grayscale')"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    with start_voila(path, local_server.base_url, local_server.token) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(url, timeout=120_000)
            root = page.locator(".rwp")
            root.wait_for(timeout=120_000)  # Voila runs the notebook, then shows its outputs
            page.locator(".rwp[data-ready='1']").wait_for(timeout=30_000)
            data = photo()
            root.locator("[data-field=image] .rwp-drop").evaluate(
                DROP, [base64.b64encode(data).decode(), "sky.png", "image/png"]
            )
            root.locator(".rwp-entry[data-state=ready]").wait_for(timeout=30_000)
            root.locator(".rwp-run-button").click()
            root.locator(".rw-status[data-status=succeeded]").wait_for(timeout=90_000)
            image = root.locator(".rwp-out-image")
            image.evaluate("(img) => img.decode()")  # the browser fetched the output from the local server
            assert image.evaluate("(img) => img.naturalWidth") == 320
            creates = [e for e in server.log.entries if e.get("inputs")]
            assert creates[-1]["inputs"]["image"]["sha256"] == hashlib.sha256(data).hexdigest()
            own = [e for e in errors if WIDGET_ERROR.search(e) and not NOISE.search(e)]
            assert not own, own
        finally:
            context.close()
