"""FileInput and the Playground show a run with the same status panel (js/ui/status.js, fed by
widgets/status.py): the same parts while it runs, the same look once it is done. Screenshots of both, mid-run
and after, land in test-artifacts/screenshots/status-*.png."""

from __future__ import annotations

import pytest
from test_widget_transfer import PNG, SETUP, pick, wait_rows

pytestmark = pytest.mark.browser

PARTS = (".rw-status-badge", ".rw-status-message", ".rw-status-bar", ".rw-status-logs")


def start_cell(nb, index: int) -> None:
    """Run a cell without waiting for it to end (Notebook.run_cell waits, as does the command's promise)."""
    nb.page.evaluate(
        """(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i;
                    window.jupyterapp.commands.execute("notebook:run-cell"); }""",
        index,
    )


def badge_colour(panel) -> str:
    return panel.locator(".rw-status-badge").evaluate("(el) => getComputedStyle(el).backgroundColor")


def test_both_widgets_show_a_run_with_the_same_panel(notebook, server, tmp_path):
    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    cells = [SETUP, "pg = rw.Playground('demo/slow-echo')\npg", "info = w.run('demo/file-info')"]
    nb = notebook("status_panel.ipynb", cells, run=False)
    nb.run_cell(0)
    nb.run_cell(1)
    widget, root = nb.widget(), nb.widget(".rwp")
    assert widget.locator(".rw-status").is_hidden()  # nothing to show before a run, in either
    assert root.locator(".rw-status").is_hidden()

    pick(nb, str(image))
    wait_rows(nb, 1)
    server.faults.delay("POST /v1/models/demo/file-info/predictions", seconds=4)  # in flight a while
    start_cell(nb, 2)
    panel = widget.locator(".rw-status")
    widget.locator(".rw-status[data-status=starting]").wait_for(timeout=30_000)
    assert panel.get_attribute("data-tone") == "busy"
    assert panel.locator(".rw-status-message").inner_text() == "demo/file-info"
    assert panel.locator(".rw-status-bar").is_visible()  # indeterminate: no fraction known yet
    nb.screenshot("status-file-input-running", widget)
    nb.wait_executed()
    widget.locator(".rw-status[data-status=succeeded]").wait_for(timeout=30_000)
    assert panel.locator(".rw-status-message").inner_text().startswith("demo/file-info: done · prediction ")
    assert panel.locator(".rw-status-bar").is_hidden()
    nb.screenshot("status-file-input-done", widget)

    root.locator("[data-field=text] textarea").fill("hello")
    root.locator("[data-field=seconds] input[type=number]").fill("4")
    root.locator(".rwp-run-button").click()
    running = root.locator(".rw-status[data-status=processing]")
    running.wait_for(timeout=60_000)
    running.locator(".rw-status-logs:not([hidden])").wait_for(timeout=30_000)  # slow-echo's tqdm lines
    assert running.locator(".rw-status-message").inner_text().startswith("prediction ")
    for part in PARTS:  # the same parts as FileInput's
        assert running.locator(part).count() == 1, part
    nb.screenshot("status-playground-running", root)
    done = root.locator(".rw-status[data-status=succeeded]")
    done.wait_for(timeout=60_000)
    assert done.locator(".rw-status-message").inner_text().startswith("done · prediction ")
    nb.screenshot("status-playground-done", root)
    assert badge_colour(done) == badge_colour(panel)  # the same run's end looks the same in either
