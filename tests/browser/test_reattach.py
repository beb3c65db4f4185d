"""A run survives the kernel: a notebook starts a 20 s run, the kernel restarts under it, and a new cell picks
the prediction up again by the id its progress line announced, and shows the result."""

from __future__ import annotations

import re
import time

import httpx
import pytest

pytestmark = pytest.mark.browser

TEXT = "after the restart"
RUN = (
    "import replicate_widget as rw\n"
    f'out = rw.run("demo/slow-echo", {{"text": "{TEXT}", "seconds": 20, "steps": 20}})'
)


def server_status(server, prediction_id):
    answer = httpx.get(
        f"{server.base_url}/v1/predictions/{prediction_id}",
        headers={"authorization": f"Bearer {server.token}"},
        trust_env=False,
    )
    return answer.json()["status"]


def _creates(server):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]


def test_a_run_is_picked_up_by_id_after_a_kernel_restart(notebook, server):
    nb = notebook("reattach.ipynb", [RUN, "# the new cell", "rw.predictions(limit=3)"], run=False)
    # Started, not awaited (the command's promise ends with the cell): the kernel restarts while it runs.
    nb.page.evaluate(
        """() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0;
                   window.jupyterapp.commands.execute('notebook:run-cell'); }"""
    )
    # The cell's output announces the prediction, linked to its page, as soon as it is created.
    announce = nb.page.locator(f"{nb.scope} .jp-Cell").nth(0).locator(".rw-progress a")
    announce.wait_for(state="visible", timeout=30_000)
    found = re.search(r"prediction (\w+) on demo/slow-echo", announce.inner_text())
    assert found, announce.inner_text()
    prediction_id = found.group(1)
    assert announce.get_attribute("href").endswith(f"/p/{prediction_id}")
    nb.screenshot("reattach-running", nb.page.locator(f"{nb.scope} .jp-Cell").nth(0))

    assert "demo/slow-echo: " in nb.cell_output(0)  # still running: no final line yet
    nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    nb.wait_idle(timeout=60)
    restarted_at = time.monotonic()
    assert server_status(server, prediction_id) in ("starting", "processing"), "restarted mid-run"

    code = (
        f"import replicate_widget as rw\n"
        f'p = rw.prediction("{prediction_id}").wait()\nprint(p.status, p.output)'
    )
    nb.page.evaluate(
        "(code) => window.jupyterapp.shell.currentWidget.content.widgets[1]"
        ".model.sharedModel.setSource(code)",
        code,
    )
    nb.run_cell(1, timeout=60)
    output = nb.cell_output(1)
    assert f"succeeded {TEXT}" in output, output
    assert "✓ demo/slow-echo succeeded in" in output  # the wait's own progress line, collapsed at the end
    assert time.monotonic() - restarted_at < 45
    nb.screenshot("reattach-done", nb.page.locator(f"{nb.scope} .jp-Cell").nth(1))
    # one prediction, created once, and it ran to the end: the restart neither canceled nor repeated it
    assert len(_creates(server)) == 1
    assert not server.log.find("POST", f"/v1/predictions/{prediction_id}/cancel")
    # and the list of recent ones shows it at the top, as a table row linked to its page
    nb.run_cell(2, timeout=60)
    table = nb.page.locator(f"{nb.scope} .jp-Cell").nth(2).locator("table.rw-predictions")
    first_row = table.locator("tr").nth(1)
    assert prediction_id in first_row.inner_text()
    assert "succeeded" in first_row.inner_text()
    assert TEXT in first_row.inner_text()
    nb.screenshot("predictions-table", table)
