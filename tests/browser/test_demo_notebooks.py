"""Every demo notebook after Run All in JupyterLab (light theme), as a person sees it: every code cell ran
without an error, every cell that runs a model shows what it made, and a screenshot of the whole notebook is
left in test-artifacts/screenshots/demo-notebook-<name>.png for a person to look at."""

from __future__ import annotations

import io
from typing import Any

import pytest
from harness import SCREENSHOTS, Lab, Notebook
from PIL import Image, ImageOps

from replicate_widget.cli.demo import copy_notebooks, notebooks_source

NAMES = ["quickstart", "every-file-kind", "batch", "on-replicate"]
TALLEST = 40_000  # px: a notebook longer than this is cut off in its screenshot


def _open(lab: Lab, name: str) -> Notebook:
    page = lab.context.new_page()
    notebook = Notebook(lab, page, lab.root / f"{name}.ipynb")
    page.goto(f"{lab.base_url}/lab/tree/{name}.ipynb?reset&token={lab.token}")
    notebook.wait_idle(timeout=90)
    panel_id = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    notebook.scope = f'[id="{panel_id}"]'
    return notebook


def _cells(notebook: Notebook) -> list[dict[str, Any]]:
    """Per code cell: its source, execution count, output types and the images its outputs hold."""
    cells: list[dict[str, Any]] = notebook.page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
            .filter(cell => cell.model.type === 'code')
            .map(cell => ({
                source: cell.model.sharedModel.getSource(),
                count: cell.model.executionCount,
                outputs: cell.model.outputs.toJSON().map(o => o.output_type),
                images: Array.from(cell.outputArea.node.querySelectorAll('img'))
                    .map(img => img.getAttribute('src').slice(0, 5)),
            }))"""
    )
    return cells


def _screenshot_whole(notebook: Notebook, name: str) -> None:
    """The notebook scrolls inside its panel (and lays out only what is near the view), so the picture is
    taken a screen at a time while scrolling, then stitched into one tall image."""
    page = notebook.page
    client_height = page.evaluate(
        """() => {
            const root = window.jupyterapp.shell.currentWidget.content.node;
            const all = [root, ...root.querySelectorAll('*')];
            const scroller = all.find(n => n.scrollHeight > n.clientHeight + 10
                && ['auto', 'scroll'].includes(getComputedStyle(n).overflowY)) || root;
            scroller.setAttribute('data-rw-scroller', '');
            return scroller.clientHeight;
        }"""
    )
    scroller = page.locator("[data-rw-scroller]")
    pieces: list[tuple[int, bytes]] = []
    wanted = 0
    while True:
        top, total = page.evaluate(
            """(y) => { const s = document.querySelector('[data-rw-scroller]'); s.scrollTop = y;
                        return [s.scrollTop, s.scrollHeight]; }""",
            wanted,
        )
        page.wait_for_timeout(400)  # cells coming into view are laid out, their images decoded
        pieces.append((int(top), scroller.screenshot()))
        if top + client_height >= total or top < wanted or top >= TALLEST:
            break
        wanted = int(top) + int(client_height)
    first = Image.open(io.BytesIO(pieces[0][1]))
    height = pieces[-1][0] + Image.open(io.BytesIO(pieces[-1][1])).height
    sheet = Image.new("RGB", (first.width, height), "white")
    for top, png in pieces:
        sheet.paste(Image.open(io.BytesIO(png)), (0, top))
    content = ImageOps.invert(sheet.convert("L")).getbbox()  # JupyterLab leaves blank room below the end
    if content is not None:
        sheet = sheet.crop((0, 0, sheet.width, min(sheet.height, content[3] + 24)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sheet.save(SCREENSHOTS / f"demo-notebook-{name}.png")


@pytest.mark.parametrize("name", NAMES)
def test_demo_notebook_after_run_all(lab: Lab, name: str) -> None:
    copy_notebooks(notebooks_source(), lab.root)  # as `replicate-widget demo` lays them out
    notebook = _open(lab, name)
    try:
        notebook.set_theme(dark=False)
        notebook.run_all(timeout=300)
        cells = _cells(notebook)
        assert all(c["count"] for c in cells), [c["source"][:60] for c in cells if not c["count"]]
        assert not [c for c in cells if "error" in c["outputs"]], cells
        shown = [c for c in cells if {"display_data", "execute_result"} & set(c["outputs"])]
        if name == "batch":
            # run_batch's own gallery: every image embedded, none an <img src=url> to a server that goes away
            [gallery] = [c for c in cells if c["source"].startswith("grays = rw.run_batch")]
            assert len(gallery["images"]) == 6, gallery
            assert set(gallery["images"]) == {"data:"}, gallery
            assert "contact-sheet" in cells[-1]["source"]
            assert cells[-1]["images"] == ["data:"], cells[-1]  # the last cell shows its sheet
        if name == "on-replicate":  # on the local server every Replicate cell skips and says why
            assert "Not set up for Replicate" in notebook.cell_output(1)
        else:
            assert shown, cells
        _screenshot_whole(notebook, name)
        assert not notebook.widget_errors(), notebook.widget_errors()
    finally:
        notebook.close()
