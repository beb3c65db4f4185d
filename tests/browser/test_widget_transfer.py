"""FileInput in a real JupyterLab: files picked, dropped and pasted arrive in the kernel byte for byte."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

SETUP = "import replicate_widget as rw\nw = rw.FileInput()\nw"
# A 2x2 PNG, red/green/blue/white.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("picks")
    out = {"small": folder / "tiny.png", "30": folder / "thirty.bin", "100": folder / "hundred.bin"}
    out["small"].write_bytes(PNG)
    for key, size in (("30", 30 * 1024 * 1024), ("100", 100 * 1024 * 1024)):
        with out[key].open("wb") as f:
            f.write(os.urandom(size))
    return out


def sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def wait_rows(nb, count: int, states=("ready", "uploaded"), timeout=120_000) -> None:
    states_js = "[" + ",".join(f"'{s}'" for s in states) + "]"
    nb.page.wait_for_function(
        f"""() => {{
            const rows = Array.from(document.querySelectorAll(`{nb.scope} .rw-entry`));
            return rows.length === {count} && rows.every(r => {states_js}.includes(r.dataset.state));
        }}""",
        timeout=timeout,
    )


def pick(nb, paths) -> None:
    nb.widget().locator(".rw-file").set_input_files(paths)


def kernel_files(nb) -> list[list]:
    return nb.execute_json("[[f.name, f.size, f.sha256, str(f.path)] for f in w.files]")


def test_pick_three_files_at_once_including_30_and_100_mib(notebook, files):
    nb = notebook("pick_three.ipynb", [SETUP])
    widget = nb.widget()
    nb.screenshot("widget-empty-light", widget)
    pick(nb, [str(files["small"]), str(files["30"]), str(files["100"])])
    nb.page.wait_for_selector(
        f"{nb.scope} .rw-entry[data-state='receiving'] .rw-bar:not([hidden])", timeout=60_000
    )
    nb.screenshot("widget-in-progress-light", widget)
    wait_rows(nb, 3)
    got = kernel_files(nb)
    assert [(n, s, h) for n, s, h, _ in got] == [
        (p.name, p.stat().st_size, sha(p)) for p in (files["small"], files["30"], files["100"])
    ]
    # The kernel's bytes, hashed again from its spool files, not just its running hash.
    rehashed = nb.execute_json(
        "[__import__('hashlib').sha256(open(f.path,'rb').read()).hexdigest() for f in w.files]"
    )
    assert rehashed == [h for _, _, h, _ in got]


DISPATCH = """([scope, kind, name, type, b64, text]) => {
    const dt = new DataTransfer();
    if (b64 !== null) {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], name, {type}));
    }
    if (text !== null) dt.setData('text/plain', text);
    const root = document.querySelector(`${scope} .rw-file-input`);
    const zone = root.querySelector('.rw-zone');
    zone.focus();
    const events = kind === 'drop' ? ['dragenter', 'dragover', 'drop'] : ['paste'];
    for (const t of events) {
        const init = {bubbles: true, cancelable: true};
        const ev = t === 'paste'
            ? new ClipboardEvent(t, {...init, clipboardData: dt})
            : new DragEvent(t, {...init, dataTransfer: dt});
        zone.dispatchEvent(ev);
    }
}"""


def dispatch(nb, kind, name=None, type="", data=None, text=None):
    b64 = base64.b64encode(data).decode() if data is not None else None
    nb.page.evaluate(DISPATCH, [nb.scope, kind, name, type, b64, text])


def test_drop_paste_image_and_paste_url(notebook):
    nb = notebook("drop_paste.ipynb", [SETUP])
    nb.widget()
    dropped = os.urandom(200_000)
    dispatch(nb, "drop", "dropped.bin", "application/octet-stream", dropped)
    wait_rows(nb, 1)
    dispatch(nb, "paste", "image.png", "image/png", PNG)  # what a screenshot paste looks like
    wait_rows(nb, 2)
    dispatch(nb, "paste", text="https://example.com/photos/cat.png")
    wait_rows(nb, 3)
    nb.screenshot("widget-drop-paste-light", nb.widget())
    got = kernel_files(nb)
    assert got[0][:3] == ["dropped.bin", len(dropped), hashlib.sha256(dropped).hexdigest()]
    assert got[1][0].startswith("pasted-")
    assert got[1][0].endswith(".png")
    assert got[1][2] == hashlib.sha256(PNG).hexdigest()
    assert nb.execute_json("w.urls") == ["https://example.com/photos/cat.png"]
    assert nb.execute_json("[type(x).__name__ for x in w.inputs]") == ["LocalFile", "LocalFile", "str"]
    # The pasted image shows a thumbnail made in the browser.
    assert nb.widget().locator(".rw-entry").nth(1).locator(".rw-preview img").count() == 1


def test_same_file_picked_twice_and_removed(notebook, files, server):
    nb = notebook("twice.ipynb", [SETUP])
    nb.widget()
    pick(nb, str(files["small"]))
    wait_rows(nb, 1)
    pick(nb, str(files["small"]))  # no change event without the value reset
    wait_rows(nb, 2)
    got = kernel_files(nb)
    assert got[0][2] == got[1][2] == sha(files["small"])
    assert got[0][3] != got[1][3]
    # Remove the first with its button: its spool file goes, the other stays.
    nb.widget().locator(".rw-entry").first.locator(".rw-remove").click()
    wait_rows(nb, 1)
    left = kernel_files(nb)
    assert [x[3] for x in left] == [got[1][3]]
    exists = nb.execute_json(f"[__import__('os').path.exists(p) for p in {[got[0][3], got[1][3]]!r}]")
    assert exists == [False, True]


def test_removing_an_uploaded_file_deletes_its_upload(notebook, tmp_path, server):
    big = tmp_path / "two-megs.bin"
    big.write_bytes(os.urandom(2_000_000))
    nb = notebook("remove_upload.ipynb", [SETUP])
    nb.widget()
    pick(nb, str(big))
    wait_rows(nb, 1, states=("uploaded",))
    uploads = [e for e in server.log.entries if e["method"] == "POST" and e["path"] == "/v1/files"]
    assert [u["upload"]["sha256"] for u in uploads] == [sha(big)]
    spool = kernel_files(nb)[0][3]
    nb.widget().locator(".rw-remove").click()
    wait_rows(nb, 0)
    nb.page.wait_for_timeout(500)
    deletes = [
        e for e in server.log.entries if e["method"] == "DELETE" and e["path"].startswith("/v1/files/")
    ]
    assert len(deletes) == 1
    assert deletes[0]["path"].endswith(uploads[0]["upload"]["file_id"])
    assert nb.execute_json(f"__import__('os').path.exists({spool!r})") is False


class LongCell:
    """A cell started on the notebook's kernel without waiting for it, as a user running something else would.

    It runs until released (at most 2 minutes): a fixed sleep raced the pick of 30 MiB, which under a CPU hog
    outlasted a 30 s cell, so the file arrived to an idle kernel and never had to wait.
    """

    def __init__(self, nb, folder: Path) -> None:
        self.release, self.started = folder / "release-the-cell", folder / "the-cell-runs"
        code = (
            "import os, time\n"
            f"open({str(self.started)!r}, 'w').write('1')\n"
            "end = time.monotonic() + 120\n"
            f"while not os.path.exists({str(self.release)!r}) and time.monotonic() < end:\n"
            "    time.sleep(0.1)\n"
        )
        kernel = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        nb.page.evaluate(f"(code) => {{ {kernel}.requestExecute({{code}}); }}", code)
        # Wait until the cell really runs (it says so in a file): the kernel's "busy" status is no proof, a
        # comm message of the widget's own turns it busy too.
        deadline = time.monotonic() + 30
        while not self.started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.started.exists(), "the long cell never started"

    @property
    def running(self) -> bool:
        return not self.release.exists()

    def end(self) -> None:
        self.release.touch()


def entry_states(nb) -> list[str]:
    return nb.page.evaluate(
        f"() => Array.from(document.querySelectorAll(`{nb.scope} .rw-entry`), r => r.dataset.state)"
    )


def test_files_wait_while_a_cell_runs_then_arrive_by_themselves(notebook, files, tmp_path):
    # The classic kernel: one queue for cells and comm messages, as in Notebook 7, VS Code, Colab and any
    # JupyterLab whose "Kernel Comms over subshells" setting is off. JupyterLab 4.6 on ipykernel 7 may instead
    # deliver the widget's messages on a subshell while the cell runs (the next test).
    nb = notebook("busy.ipynb", [SETUP], run=False)
    nb.page.evaluate("() => { window.jupyterapp.serviceManager.kernels.commsOverSubshells = 'disabled'; }")
    nb.run_all()
    nb.widget()
    cell = LongCell(nb, tmp_path)
    pick(nb, str(files["30"]))
    try:
        wait_rows(nb, 1, states=("waiting",), timeout=60_000)
        shown = nb.page.locator(".rw-entry .rw-state").inner_text()
        nb.screenshot("widget-waiting-light", nb.widget())
    except PlaywrightTimeout as exc:
        raise AssertionError(
            f"no entry said 'waiting' while the cell ran; the entries: {entry_states(nb)}"
        ) from exc
    finally:
        cell.end()  # the cell ends, and the chunks queued behind it reach the kernel
    assert "waiting for the kernel" in shown
    wait_rows(nb, 1, timeout=60_000)
    assert kernel_files(nb)[0][2] == sha(files["30"])


def test_a_file_picked_while_a_cell_runs_arrives_whole_on_jupyterlabs_defaults(notebook, files, tmp_path):
    # With JupyterLab's default "perCommTarget", ipykernel 7 sends a comm message to the subshell its last
    # reply came from, so which queue the chunks join changes from run to run: behind the cell (they wait),
    # or a subshell thread beside it (they arrive while it runs). Either way the file must arrive whole.
    nb = notebook("busy_default.ipynb", [SETUP])
    nb.widget()
    cell = LongCell(nb, tmp_path)
    pick(nb, str(files["30"]))
    try:
        nb.page.wait_for_function(
            f"""() => Array.from(document.querySelectorAll(`{nb.scope} .rw-entry`))
                .some(r => ['waiting', 'ready', 'uploaded', 'error'].includes(r.dataset.state))""",
            timeout=60_000,
        )
        arrived_during_the_cell = cell.running and entry_states(nb) in (["ready"], ["uploaded"])
    finally:
        cell.end()
    wait_rows(nb, 1, timeout=60_000)
    assert kernel_files(nb)[0][2] == sha(files["30"]), f"arrived during the cell: {arrived_during_the_cell}"


def test_kernel_restart_mid_transfer_ends_in_a_clear_error(notebook, files):
    nb = notebook("restart.ipynb", [SETUP])
    nb.widget()
    pick(nb, str(files["small"]))
    wait_rows(nb, 1)
    pick(nb, str(files["100"]))
    nb.page.wait_for_selector(f"{nb.scope} .rw-entry[data-state='receiving']", timeout=30_000)
    nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    # The new kernel holds neither file: the one arriving and the one that was ready both say so.
    wait_rows(nb, 2, states=("error",), timeout=30_000)
    texts = nb.widget().locator(".rw-entry .rw-state").all_inner_texts()
    assert len(texts) == 2, texts
    assert all("pick again" in text for text in texts), texts
    nb.screenshot("widget-error-light", nb.widget())
    nb.wait_idle()
    assert nb.execute("print(1)").strip() == "1"


def test_keyboard_reaches_the_drop_zone_and_notebook_shortcuts_stay_out(notebook, files):
    nb = notebook("keys.ipynb", [SETUP])
    # Ask Playwright to intercept file dialogs now, well before Enter: expect_file_chooser sends its
    # subscription without waiting for an answer, and one module run in three lost the dialog.
    nb.page.on("filechooser", lambda _chooser: None)
    zone = nb.widget().locator(".rw-zone")
    # JupyterLab moves focus to the active cell once "run all" settles: wait for that before taking focus.
    nb.page.wait_for_timeout(500)
    zone.focus()
    assert zone.evaluate("(el) => document.activeElement === el")
    cells_before = nb.page.locator(".jp-Cell").count()
    nb.page.keyboard.press("b")  # "insert cell below" in command mode, unless the widget suppresses it
    assert nb.page.locator(".jp-Cell").count() == cells_before
    outline = zone.evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    with nb.page.expect_file_chooser() as chooser:
        nb.page.keyboard.press("Enter")
    chooser.value.set_files(str(files["small"]))
    wait_rows(nb, 1)


def test_file_over_100_mib_is_refused_in_the_browser(notebook, tmp_path):
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as f:
        f.truncate(100 * 1024 * 1024 + 1)
    nb = notebook("huge.ipynb", [SETUP])
    nb.widget()
    pick(nb, str(huge))
    notice = nb.widget().locator(".rw-notice")
    notice.wait_for(state="visible")
    assert "huge.bin" in notice.inner_text()
    assert "100 MiB" in notice.inner_text()
    assert nb.widget().locator(".rw-entry").count() == 0
    assert nb.execute_json("len(w.entries)") == 0


def test_page_reload_mid_transfer_pauses_the_entry(notebook, files):
    nb = notebook("reload.ipynb", [SETUP])
    nb.widget()
    nb.save()  # so the reloaded page has the widget's output to render again
    pick(nb, str(files["100"]))
    nb.page.wait_for_selector(f"{nb.scope} .rw-entry[data-state='receiving']", timeout=30_000)
    nb.page.reload()
    nb.wait_idle()
    nb.scope = f'[id="{nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")}"]'
    # The kernel keeps what arrived; picking the same file again sends the rest (test_slow_links.py).
    nb.page.wait_for_selector(f"{nb.scope} .rw-entry[data-state='paused']", timeout=60_000)
    assert "pick hundred.bin again" in nb.widget().locator(".rw-entry .rw-state").inner_text()
    assert nb.execute_json("[e['state'] for e in w.entries]") == ["paused"]
    assert nb.execute_json("w.files") == []
    out = nb.execute("try:\n    w.inputs\nexcept rw.TransferError as e:\n    print('TransferError', e)")
    assert out.startswith("TransferError")
    assert "paused" in out
