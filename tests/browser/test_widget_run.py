"""FileInput runs models on the local server: what arrived there, status in the widget, saved notebooks stay
private, and screenshots in light and dark themes."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from PIL import Image
from test_widget_transfer import SETUP, kernel_files, pick, sha, wait_rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 320x200 colour gradient PNG: something a thumbnail and a grayscale model show clearly."""
    img = Image.new("RGB", (320, 200))
    img.putdata([(x * 255 // 319, y * 255 // 199, 160) for y in range(200) for x in range(320)])
    path = tmp_path_factory.mktemp("photo") / "gradient.png"
    img.save(path)
    return path


def creates(server):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]


def test_run_on_an_eagerly_uploaded_file_uses_the_upload_once(notebook, tmp_path, server):
    data = os.urandom(3_000_000)
    path = tmp_path / "three-megs.bin"
    path.write_bytes(data)
    nb = notebook(
        "run_upload.ipynb", [SETUP, "out = w.run('demo/file-info')\nprint(out['sha256'])"], run=False
    )
    nb.run_cell(0)
    pick(nb, str(path))
    wait_rows(nb, 1, states=("uploaded",))
    nb.run_cell(1)
    digest = hashlib.sha256(data).hexdigest()
    assert nb.cell_output(1).strip() == digest
    uploads = [e for e in server.log.entries if e["path"] == "/v1/files" and e["method"] == "POST"]
    assert [u["upload"]["sha256"] for u in uploads] == [digest]  # eager, and never again by the run
    [create] = creates(server)
    assert create["inputs"]["file"]["kind"] == "file"
    assert create["inputs"]["file"]["sha256"] == digest
    assert create["headers"]["authorization"] == "present"
    run = nb.widget().locator(".rw-status")
    assert run.get_attribute("data-status") == "succeeded"


def test_run_maps_files_to_fields_and_batches(notebook, photo, server):
    cells = [
        SETUP,
        "gray = w.run('demo/grayscale')\nprint(type(gray).__name__)",
        "try:\n    w.run('demo/file-info')\nexcept rw.InputError as e:\n    print(e)",
        "infos = w.run_batch('demo/file-info')\nprint([i['sha256'] for i in infos])",
    ]
    nb = notebook("run_map.ipynb", cells, run=False)
    nb.run_cell(0)
    pick(nb, str(photo))
    wait_rows(nb, 1)
    nb.run_cell(1)
    assert nb.cell_output(1).strip() == "FileOutput"
    [create] = creates(server)
    assert create["inputs"]["image"]["kind"] == "data-uri"  # under 1 MB: a data URI, no upload
    assert create["inputs"]["image"]["sha256"] == sha(photo)
    nb.screenshot("widget-after-run-light", nb.widget())
    pick(nb, str(photo))
    wait_rows(nb, 2)
    nb.run_cell(2)
    assert "run_batch" in nb.cell_output(2)
    nb.run_cell(3)
    assert json.loads(nb.cell_output(3).strip().replace("'", '"')) == [sha(photo)] * 2


def test_run_while_a_file_is_still_arriving_raises_transfer_error(notebook, tmp_path):
    big = tmp_path / "arriving.bin"
    big.write_bytes(os.urandom(100 * 1024 * 1024))
    cells = [
        SETUP,
        "try:\n    w.run('demo/file-info')\nexcept rw.TransferError as e:\n"
        "    print('progress', e.progress)\n    print(e)",
    ]
    nb = notebook("run_transit.ipynb", cells, run=False)
    nb.run_cell(0)
    pick(nb, str(big))
    nb.page.wait_for_selector(f"{nb.scope} .rw-entry[data-state='receiving']", timeout=30_000)
    # The row shows "receiving" from the moment the page starts sending; wait for the kernel's first chunk,
    # so the run below meets a file part-way (under load the cell could otherwise come before any chunk).
    nb.page.wait_for_function(
        f"() => Array.from(document.querySelectorAll(`{nb.scope} .rw-entry .rw-fill`))"
        ".some((f) => parseFloat(f.style.width) > 0)",
        timeout=30_000,
    )
    nb.run_cell(1)
    out = nb.cell_output(1)
    progress = float(out.split()[1])
    assert 0 < progress < 1
    assert "still on its way" in out
    wait_rows(nb, 1, timeout=120_000)  # and it carried on by itself afterwards
    assert kernel_files(nb)[0][2] == sha(big)


def test_saved_notebook_holds_neither_token_nor_bytes(notebook, photo, local_server):
    nb = notebook("saved.ipynb", [SETUP])
    pick(nb, str(photo))
    wait_rows(nb, 1)
    saved = nb.save()
    text = json.dumps(saved)
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [m for m in state.values() if m["state"].get("entries")]
    assert ours, "the widget's state was saved"
    assert ours[0]["state"]["entries"][0]["name"] == "gradient.png"
    raw = photo.read_bytes()
    assert local_server.token not in text
    assert base64.b64encode(raw[:300]).decode()[:200] not in text
    assert raw[:300].hex() not in text
    assert "data:image" not in text
    assert len(text) < 200_000
    # Where widgets can't render, the static listing shows.
    html = [o for c in saved["cells"] for o in c["outputs"] if "text/html" in o.get("data", {})]
    assert "FileInput" in "".join(html[0]["data"]["text/html"])


def test_screenshots_dark_theme(notebook, photo, tmp_path):
    big = tmp_path / "clip.bin"
    big.write_bytes(os.urandom(100 * 1024 * 1024))
    nb = notebook("dark.ipynb", [SETUP, "gray = w.run('demo/grayscale')"], run=False)
    nb.set_theme(dark=True)
    try:
        nb.run_cell(0)
        widget = nb.widget()
        nb.screenshot("widget-empty-dark", widget)
        pick(nb, [str(photo), str(big)])
        nb.page.wait_for_selector(f"{nb.scope} .rw-entry[data-state='receiving'] .rw-bar:not([hidden])")
        nb.screenshot("widget-in-progress-dark", widget)
        wait_rows(nb, 2)
        nb.widget().locator(".rw-remove").nth(1).click()
        wait_rows(nb, 1)
        nb.run_cell(1)
        nb.screenshot("widget-after-run-dark", nb.widget())
        bg = nb.widget().locator(".rw-zone").evaluate("(el) => getComputedStyle(el).backgroundColor")
        channels = [int(c) for c in bg[bg.index("(") + 1 : bg.index(")")].split(",")[:3]]
        assert sum(channels) < 3 * 100, f"the drop zone should be dark in the dark theme, got {bg}"
    finally:
        nb.set_theme(dark=False)
