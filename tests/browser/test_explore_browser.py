"""Exploring in a real JupyterLab: search results render as cards with their covers, and the Playground line a
card shows, run as it is, gives a Playground that runs the model."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SET_SOURCE = """([i, text]) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  cell.model.sharedModel.setSource(text);
}"""


def test_search_cards_and_a_playground_from_one(notebook, server):
    nb = notebook(
        "explore_search.ipynb",
        [
            "import replicate_widget as rw\nresults = rw.search('text')\nresults",
            "",
            "rw.model('demo/grayscale')",
        ],
    )
    grid = nb.widget(".rw-card-grid")
    cards = grid.locator(".rw-card")
    refs = nb.execute_json("[m.ref for m in results]")
    assert refs[:2] == ["demo/slow-echo", "demo/story"]
    assert cards.count() == len(refs)
    assert [cards.nth(i).get_attribute("data-ref") for i in range(len(refs))] == refs
    # every cover came from the local server and decoded (a broken image has no natural width)
    widths = grid.locator("img").evaluate_all(
        "(imgs) => Promise.all(imgs.map((img) => img.decode().then(() => img.naturalWidth, () => 0)))"
    )
    assert len(widths) == len(refs)
    assert all(w > 0 for w in widths)
    first = cards.nth(0)
    assert "Echo text after a while" in first.inner_text()
    nb.screenshot("explore-search-grid-light", grid)
    nb.screenshot("explore-card-light", nb.widget(".rw-card", index=len(refs)))
    nb.set_theme(dark=True)  # the cards take JupyterLab's theme variables
    nb.screenshot("explore-card-dark", nb.widget(".rw-card", index=len(refs)))
    nb.set_theme(dark=False)
    # listing and drawing the cards fetched no schema of theirs (the last cell's full card fetched its own)
    fetched = {e["path"] for e in server.log.entries if e["method"] == "GET"}
    assert fetched & {f"/v1/models/{ref}" for ref in refs} == set()
    assert "/v1/models/demo/grayscale" in fetched

    line = first.locator("code").inner_text().strip()
    assert line == "rw.model('demo/slow-echo').playground()"
    nb.page.evaluate(SET_SOURCE, [1, line])
    nb.run_cell(1)
    root = nb.widget(".rwp")
    root.locator("[data-field=text] textarea").fill("from a card")
    root.locator("[data-field=seconds] input[type=number]").fill("0")
    root.locator(".rwp-run-button").click()
    root.locator(".rw-status[data-status=succeeded]").wait_for(timeout=60_000)
    assert "from a card" in root.inner_text()
    created = [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]
    assert [e["path"] for e in created] == ["/v1/models/demo/slow-echo/predictions"]
    nb.screenshot("explore-playground-from-card-light", root)
