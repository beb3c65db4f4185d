"""FileInput in Jupyter Notebook 7: picked and dropped files arrive whole, a model runs on them."""

from __future__ import annotations

import hashlib
import os

import pytest
from test_widget_transfer import PNG, SETUP, dispatch, kernel_files, pick, wait_rows

pytestmark = pytest.mark.browser


def test_pick_drop_and_run_in_notebook_7(notebook7, tmp_path, server):
    data = os.urandom(12 * 1024 * 1024)  # over the single-message limit: only chunks get it through
    path = tmp_path / "twelve.bin"
    path.write_bytes(data)
    nb = notebook7.notebook("nb7.ipynb", [SETUP, "print(w.run('demo/file-info')['sha256'])"], run=False)
    try:
        nb.run_cell(0)
        nb.widget()
        pick(nb, str(path))
        wait_rows(nb, 1)
        dispatch(nb, "drop", "dot.png", "image/png", PNG)
        wait_rows(nb, 2)
        got = kernel_files(nb)
        assert [g[2] for g in got] == [hashlib.sha256(data).hexdigest(), hashlib.sha256(PNG).hexdigest()]
        nb.screenshot("widget-notebook7-light", nb.widget())
        nb.widget().locator(".rw-remove").nth(1).click()
        wait_rows(nb, 1)
        nb.run_cell(1)
        assert nb.cell_output(1).strip() == hashlib.sha256(data).hexdigest()
        assert nb.widget_errors() == []
    finally:
        nb.close()
