"""rw.batch's live gallery in JupyterLab: it fills in as items finish (one display, updated in place), and
the saved notebook shows it offline (thumbnails of the saved copies embedded, no server URL)."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.browser

COUNT = 8
SETUP = f"""
import pathlib, shutil
from PIL import Image
import replicate_widget as rw
photos = pathlib.Path('batch_photos')
shutil.rmtree(photos, ignore_errors=True); shutil.rmtree('batch_gray', ignore_errors=True)
photos.mkdir()
for n in range({COUNT}):
    Image.new('RGB', (64, 40), (30 * n, 120, 255 - 30 * n)).save(photos / f'shot{{n}}.png')
"""
# 60 creates a minute: one item a second, so the gallery is seen part-filled
RUN = "b = rw.batch('demo/grayscale', 'batch_photos', out='batch_gray', rate=60)\nb"

IMAGES_JS = """(i) => {
    const out = window.jupyterapp.shell.currentWidget.content.widgets[i].outputArea.node;
    return {
        images: out.querySelectorAll('.rw-batch img').length,
        batches: out.querySelectorAll('.rw-batch').length,
        header: out.querySelector('.rw-batch-header')?.innerText ?? '',
    };
}"""


def test_the_gallery_fills_in_and_stays_readable_in_the_saved_notebook(notebook, server):
    nb = notebook("batch_gallery.ipynb", [SETUP, RUN], run=False)
    nb.run_cell(0)
    nb.run_cell(1)  # returns at once: the batch runs in the background
    seen = []
    for _ in range(200):
        state = nb.page.evaluate(IMAGES_JS, 1)
        seen.append(state["images"])
        assert state["batches"] <= 1  # updated in place, never a second display
        if state["images"] == COUNT and "finished" in state["header"]:
            break
        nb.page.wait_for_timeout(150)
    assert seen[-1] == COUNT, seen
    assert any(0 < n < COUNT for n in seen), seen  # it was seen part-filled, as items finished
    assert f"{COUNT}/{COUNT} done" in state["header"]
    nb.screenshot("batch-gallery", nb.widget(".rw-batch"))

    saved = nb.save()
    outputs = saved["cells"][1]["outputs"]
    [display] = [o for o in outputs if "text/html" in o.get("data", {})]
    html = "".join(display["data"]["text/html"])
    assert html.count('src="data:image/jpeg;base64,') == COUNT  # the saved copies' thumbnails
    assert server.base_url not in html  # nothing that needs the server once Replicate deletes outputs
    assert len(json.dumps(saved)) < 500_000
    first = html.split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(first)[:2] == b"\xff\xd8"  # a JPEG

    # Reopened in a new page without running anything: the stored output is what shows.
    page = nb.lab.context.new_page()
    try:
        page.goto(f"{nb.lab.base_url}/lab/tree/batch_gallery.ipynb?reset&token={nb.lab.token}")
        shown = page.locator(".rw-batch img")
        shown.first.wait_for(state="visible", timeout=60_000)
        assert shown.count() == COUNT
        widths = page.evaluate(
            "() => [...document.querySelectorAll('.rw-batch img')].map(i => i.naturalWidth)"
        )
        assert all(w > 0 for w in widths), widths  # each thumbnail decoded
    finally:
        page.close()
