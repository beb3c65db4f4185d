"""FileInput in a real JupyterLab: files picked, dropped and pasted arrive in the kernel byte for byte."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

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
            const rows = Array.from(document.querySelectorAll('.rw-entry'));
            return rows.length === {count} && rows.every(r => {states_js}.includes(r.dataset.state));
        }}""",
        timeout=timeout,
    )


def kernel_files(nb) -> list[list]:
    return nb.execute_json("[[f.name, f.size, f.sha256, str(f.path)] for f in w.files]")


def test_pick_three_files_at_once_including_30_and_100_mib(notebook, files):
    nb = notebook("pick_three.ipynb", [SETUP])
    widget = nb.widget()
    nb.screenshot("widget-empty-light", widget)
    nb.page.set_input_files(".rw-file", [str(files["small"]), str(files["30"]), str(files["100"])])
    nb.page.wait_for_selector(".rw-entry[data-state='receiving'] .rw-bar:not([hidden])", timeout=60_000)
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
