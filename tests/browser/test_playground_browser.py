"""The Playground in a real JupyterLab against the local server's demo models.

Fill a form, drop a file, run and see the output; cancel a slow run; watch a streamed run; invalid values
flagged before any request; screenshots of two very different forms (a demo model and SDXL's schema).
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCHEMAS = Path(__file__).parents[1] / "data" / "schemas"


DROP = """async (el, [b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  for (const kind of ["dragenter", "dragover", "drop"]) {
    el.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }
}"""


def photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (40, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 40, 220, 160), fill=(250, 200, 40))
    draw.rectangle((0, 160, 320, 200), fill=(60, 160, 70))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def badge(root, text: str, timeout: float = 60) -> None:
    root.locator(f".rw-status[data-status={text}]").wait_for(timeout=timeout * 1000)


def test_fill_drop_run_and_see_the_output(notebook, server):
    nb = notebook(
        "pg_grayscale.ipynb", ["import replicate_widget as rw\npg = rw.Playground('demo/grayscale')\npg"]
    )
    root = nb.widget(".rwp")
    root.locator("[data-field=invert] input[type=checkbox]").check()
    root.locator("[data-field=output_format] select").select_option("webp")
    data = photo()
    root.locator("[data-field=image] .rwp-drop").evaluate(DROP, [base64.b64encode(data).decode(), "sky.png",
                                                                 "image/png"])  # fmt: skip
    root.locator(".rwp-entry[data-state=ready]").wait_for(timeout=30_000)
    assert root.locator(".rwp-entry .rwp-thumb").count() == 1
    root.locator(".rwp-run-button").click()
    badge(root, "succeeded")
    image = root.locator(".rwp-out-image")
    image.wait_for()
    image.evaluate("(img) => img.decode()")  # the browser fetched the output from the local server
    assert root.locator(".rwp-download").first.get_attribute("href").startswith("http://127.0.0.1")
    assert root.locator(".rwp-run").count() == 1
    creates = [e for e in server.log.entries if e.get("inputs")]
    assert creates[-1]["inputs"]["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    state = nb.execute_json(
        "{'status': pg.status, 'input': {k: str(v) for k, v in pg.input.items()}, 'out': str(pg.output),"
        " 'runs': len(pg.history), 'code': pg.code()}"
    )
    assert state["status"] == "succeeded"
    assert state["input"]["invert"] == "True"
    assert state["input"]["output_format"] == "webp"
    assert state["out"].startswith("http://127.0.0.1")
    assert state["runs"] == 1
    assert "'invert': True" in state["code"]
    nb.screenshot("playground-grayscale-light", root)
    nb.set_theme(dark=True)
    nb.screenshot("playground-grayscale-dark", root)
    nb.set_theme(dark=False)


def test_invalid_value_is_flagged_at_the_field_before_any_request(notebook, server):
    nb = notebook(
        "pg_invalid.ipynb", ["import replicate_widget as rw\npg = rw.Playground('demo/slow-echo')\npg"]
    )
    root = nb.widget(".rwp")
    server.log.clear()
    seconds = root.locator("[data-field=seconds] input[type=number]")
    seconds.fill("5000")
    error = root.locator("[data-field=seconds] .rwp-error")
    assert error.inner_text().startswith("Must be at most")
    root.locator(".rwp-run-button").click()
    assert root.locator("[data-field=seconds].rwp-invalid").count() == 1
    nb.screenshot("playground-invalid-light", root)
    nb.page.wait_for_timeout(500)
    assert not [e for e in server.log.entries if e["method"] == "POST"]


def test_cancel_a_slow_run(notebook, server):
    nb = notebook(
        "pg_cancel.ipynb", ["import replicate_widget as rw\npg = rw.Playground('demo/slow-echo')\npg"]
    )
    root = nb.widget(".rwp")
    root.locator("[data-field=text] textarea").fill("take your time")
    root.locator("[data-field=seconds] input[type=number]").fill("60")
    root.locator(".rwp-run-button").click()
    badge(root, "processing")
    # The kernel stays responsive while the run goes on: a probe answers at once.
    assert nb.execute_json("pg.status") in ("processing", "starting")
    root.locator(".rwp-cancel-button").click()
    badge(root, "canceled", timeout=30)
    assert [e for e in server.log.entries if e["path"].endswith("/cancel")]
    assert nb.execute_json("pg.history[-1].status") == "canceled"
    assert root.locator(".rwp-run[data-status=canceled]").count() == 1


def test_streamed_text_appears_as_it_comes(notebook):
    nb = notebook("pg_story.ipynb", ["import replicate_widget as rw\npg = rw.Playground('demo/story')\npg"])
    root = nb.widget(".rwp")
    root.locator("[data-field=sentences] input[type=number]").fill("8")
    root.locator("[data-field=delay] input[type=number]").fill("0.3")
    root.locator(".rwp-run-button").click()
    # Some text shows while the run is still going.
    root.evaluate(
        """(el) => new Promise((resolve) => {
            const seen = () => el.querySelector('.rwp-stream').textContent.length > 0 &&
                el.querySelector('.rw-status').dataset.status === 'processing';
            const timer = setInterval(() => { if (seen()) { clearInterval(timer); resolve(true); } }, 20);
        })"""
    )
    partial = root.locator(".rwp-stream").inner_text()
    nb.screenshot("playground-story-streaming", root)
    badge(root, "succeeded")
    final = nb.execute_json("pg.output")
    assert final.startswith(partial.strip()[:20])
    assert len(final) > len(partial)


def test_rich_schema_screenshot(notebook):
    path = SCHEMAS / "stability-ai__sdxl.json"
    nb = notebook(
        "pg_sdxl.ipynb",
        [
            "import json\nimport replicate_widget as rw\n"
            f"doc = json.load(open({str(path)!r}))\n"
            "pg = rw.Playground._from_schema(doc['openapi_schema'], model='stability-ai/sdxl')\npg"
        ],
    )
    root = nb.widget(".rwp")
    assert root.locator(".rwp-field").count() == 19
    assert root.locator("[data-field=scheduler] select").input_value() == "K_EULER"
    assert root.locator("[data-field=guidance_scale] input[type=range]").count() == 1
    assert root.locator("[data-field=image] .rwp-drop").count() == 1
    # The form is taller than the window: a tall viewport lets the screenshot hold all of it.
    nb.page.set_viewport_size({"width": 1280, "height": 2600})
    try:
        root.scroll_into_view_if_needed()
        nb.screenshot("playground-sdxl-light", root)
        nb.set_theme(dark=True)
        nb.screenshot("playground-sdxl-dark", root)
        nb.set_theme(dark=False)
    finally:
        nb.page.set_viewport_size({"width": 1280, "height": 900})
