"""A person opening a prediction's `urls.web` link in Chromium: asked for the token, shown nothing before it.

Needs only the session's Chromium and local server (no JupyterLab).
"""

from __future__ import annotations

from typing import Any

import httpx


def test_prediction_page_asks_for_the_token_then_shows_the_prediction(local_server: Any, browser: Any):
    with httpx.Client(
        base_url=local_server.base_url,
        headers={"Authorization": f"Bearer {local_server.token}"},
        trust_env=False,
        timeout=60,
    ) as client:
        created = client.post(
            "/v1/models/demo/slow-echo/predictions",
            json={"input": {"text": "words for the owner only", "seconds": 0}},
            headers={"Prefer": "wait"},
        ).json()
    assert created["status"] == "succeeded"
    context = browser.new_context()
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(created["urls"]["web"])
        assert page.locator("#id").text_content() == created["id"]
        assert "words for the owner only" not in page.content()
        page.fill("#token", "local_not_the_token")
        page.click("button[type=submit]")
        page.wait_for_function("document.getElementById('message').textContent.includes('refused')")
        assert page.locator("#prediction").is_hidden()
        page.fill("#token", local_server.token)
        page.click("button[type=submit]")
        page.locator("#prediction").wait_for(state="visible", timeout=10_000)
        shown = page.locator("#prediction").text_content() or ""
        assert '"output": "words for the owner only"' in shown
        assert created["id"] in shown
        # The token stays in this tab: another run's page opens without asking again...
        page.reload()
        page.locator("#prediction").wait_for(state="visible", timeout=10_000)
        # ...and never in the address, where history and logs would keep it.
        assert local_server.token not in page.url
        # a new tab (new context: nothing kept) asks again
        other = browser.new_context().new_page()
        other.goto(created["urls"]["web"])
        assert other.locator("#prediction").is_hidden()
        assert "words for the owner only" not in other.content()
        other.context.close()
    finally:
        context.close()
    # The 401 from the wrong token is the only console error the page may cause.
    assert all("401" in e for e in errors), errors
