"""The Playground shown more than once, and its drop zone when the kernel's handler breaks.

One Playground in two cells (and a third view opened while a file is arriving): the views share one session
with the kernel, so a new view cuts nothing off, and a run started from either view gets its reply. A chunk
whose handler raises still gets a reply, which the field shows at once.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from test_playground_browser import DROP

pytestmark = pytest.mark.browser

SETUP = "import replicate_widget as rw\npg = rw.Playground('demo/file-info')\npg"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def drop(root, data: bytes, name: str) -> None:
    root.locator("[data-field=file] .rwp-drop").evaluate(DROP, [base64.b64encode(data).decode(), name, ""])


def run_and_wait(root, runs: int, timeout: float = 60) -> None:
    """Click Run and wait until the history lists ``runs`` runs, the newest succeeded (a status badge alone
    could still show the previous run's)."""
    root.locator(".rwp-run-button").click()
    root.locator(
        f".rwp-history-list .rwp-run:nth-child(1):nth-last-child({runs})[data-status=succeeded]"
    ).wait_for(timeout=timeout * 1000)


def test_one_playground_in_two_cells_runs_from_each(notebook, server, tmp_path: Path):
    nb = notebook("pg_two_views.ipynb", [SETUP, "pg", "pg"], run=False)
    nb.run_cell(0)
    nb.run_cell(1)
    first, second = nb.widget(".rwp", 0), nb.widget(".rwp", 1)
    # A slow link, simulated in the kernel: bytes land at about 2.5 MiB/s (sleep by size: the front end sizes
    # its chunks by the rate it measures, so a fixed sleep per chunk would shrink them without end), so the
    # file below is still arriving when a third view opens.
    nb.execute(
        "import time\nfrom replicate_widget.wire.transfer import Receiver\n_chunk = Receiver.chunk\n"
        "def _slow(self, entry_id, offset, data):\n    time.sleep(len(data) / (2.5 * 2**20))\n"
        "    return _chunk(self, entry_id, offset, data)\n"
        "Receiver.chunk = _slow"
    )
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(32 * 1024 * 1024))
    first.locator("[data-field=file] .rwp-file-input").set_input_files(str(big))
    first.locator(".rwp-entry[data-state=receiving] .rwp-entry-progress").wait_for(timeout=30_000)
    # ...and a third view opens meanwhile (under the old design it said hello and cut the transfer off).
    nb.run_cell(2)
    nb.widget(".rwp", 2)
    assert nb.execute_json("pg.files['file'][0]['state']") == "receiving"  # it did open mid-transfer
    for root in (first, second):  # every view lists the file, and it arrives whole
        root.locator(".rwp-entry[data-state=ready], .rwp-entry[data-state=uploaded]").wait_for(
            timeout=120_000
        )
    assert nb.execute_json("pg.input['file'].sha256") == sha(big.read_bytes())
    nb.execute("Receiver.chunk = _chunk")
    run_and_wait(first, 1, timeout=120)
    second.locator(".rw-status[data-status=succeeded]").wait_for(timeout=10_000)  # both views show it
    # Now a small file through the second view, replacing the first (the field takes one), run from there.
    small = b"dropped in the second view\n"
    drop(second, small, "second.txt")
    first.locator(".rwp-entry[data-name='second.txt'][data-state=ready]").wait_for(timeout=30_000)
    assert first.locator(".rwp-entry").count() == 1
    run_and_wait(second, 2)
    creates = [e for e in server.log.entries if e.get("inputs")]
    assert [c["inputs"]["file"]["sha256"] for c in creates[-2:]] == [sha(big.read_bytes()), sha(small)]
    runs = nb.execute_json("[(r.status, r.output['sha256']) for r in pg.history]")
    assert runs == [["succeeded", sha(big.read_bytes())], ["succeeded", sha(small)]]
    assert first.locator(".rwp-run").count() == 2
    assert second.locator(".rwp-run").count() == 2
    nb.screenshot("playground-second-view-after-two-runs-light", second)


def test_the_drop_zone_gets_a_reply_when_the_kernels_handler_raises(notebook):
    nb = notebook("pg_raising.ipynb", [SETUP])
    root = nb.widget(".rwp")
    # Break the kernel's chunk handler the way an unforeseen bug would.
    nb.execute(
        "def _broken(*_args):\n"
        "    raise ZeroDivisionError('simulated bug')\n"
        "pg._zone._receiver.chunk = _broken"
    )
    drop(root, b"some bytes", "doomed.txt")
    entry = root.locator(".rwp-entry[data-name='doomed.txt']")
    # The reply comes at once and carries the kernel's own words (a lost reply would only time out).
    root.locator(".rwp-entry[data-state=error]").wait_for(timeout=5_000)
    assert "simulated bug" in entry.inner_text()
    assert nb.execute_json("pg.files['file'][0]['state']") == "error"
    # Fixed again: the same field takes a file as before.
    nb.execute("del pg._zone._receiver.chunk")
    entry.locator(".rwp-remove").click()
    drop(root, b"fine now", "fine.txt")
    root.locator(".rwp-entry[data-name='fine.txt'][data-state=ready]").wait_for(timeout=30_000)
    run_and_wait(root, 1)
    assert nb.execute_json("pg.output['sha256']") == sha(b"fine now")
