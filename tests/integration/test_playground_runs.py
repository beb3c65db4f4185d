"""The Playground's kernel side against the local server: messages in, traits and history out.

The browser is replaced by the same requests js/playground.js sends (secret, begin/chunk for files, run,
cancel), each of whose replies is checked; the browser tests drive the real front end.
"""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from replicate_widget.core.client import Client
from replicate_widget.widgets.playground.widget import Playground


@pytest.fixture
def client(server):
    return Client(api_token=server.token, base_url=server.base_url)


def drop_file(front, pg: Playground, field: str, data: bytes, name: str, content_type: str) -> str:
    """Drop a file on a field as the front end does; every reply must be ok and the last one complete."""
    entry = f"{field}:t{len(data)}"
    last = front(pg).send_file(entry, name, data, chunk=1 << 20, type=content_type)
    assert last is not None
    assert last["complete"]
    assert last["sha256"] == hashlib.sha256(data).hexdigest()
    return entry


def run(front, pg: Playground) -> None:
    assert front(pg).request("run")["started"] is True


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def test_file_field_run_sends_the_dropped_bytes(server, client, front):
    pg = Playground("demo/grayscale", client=client)
    field = next(s["name"] for s in pg.form if s["kind"] == "file")
    data = png_bytes()
    drop_file(front, pg, field, data, "red.png", "image/png")
    assert pg.files[field][0]["state"] == "ready"
    assert pg.files[field][0]["sha256"] == hashlib.sha256(data).hexdigest()
    run(front, pg)
    pg.wait(60)
    assert pg.status == "succeeded", pg.message
    creates = [e for e in server.log.entries if e.get("inputs")]
    assert creates[-1]["inputs"][field]["sha256"] == hashlib.sha256(data).hexdigest()
    assert pg.outputs[0]["kind"] == "image"
    assert pg.outputs[0]["url"].startswith("http://127.0.0.1")
    assert pg.output is not None
    assert pg.history[-1].status == "succeeded"
    assert pg.runs[-1]["status"] == "succeeded"
    assert "rw.LocalFile('red.png')" in pg.code()
    pg.close()


def test_missing_required_file_is_flagged_before_any_request(server, client, front):
    pg = Playground("demo/grayscale", client=client)
    server.log.clear()
    assert front(pg).request("run")["started"] is False
    assert pg.status == "invalid"
    field = next(s["name"] for s in pg.form if s["kind"] == "file")
    assert "required" in pg.field_errors[field].lower()
    assert not [e for e in server.log.entries if e["method"] == "POST"]
    assert pg.history == []


def test_slow_run_is_canceled_remotely(server, client, front):
    pg = Playground("demo/slow-echo", client=client)
    numeric = [s for s in pg.form if s["kind"] in ("slider", "number")]
    values = dict(pg.values)
    for spec in numeric:
        if "second" in spec["name"]:
            values[spec["name"]] = min(30, spec["maximum"] or 30)
    text_field = next(s["name"] for s in pg.form if s["kind"] in ("text", "textarea"))
    values[text_field] = "hello"
    pg.values = values
    run(front, pg)
    deadline = time.monotonic() + 30
    while pg.status != "processing" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pg._prediction_id
    assert front(pg).request("cancel")["canceled"] is True
    pg.wait(30)
    assert pg.status == "canceled", pg.message
    cancels = [e for e in server.log.entries if e["path"].endswith("/cancel")]
    assert cancels
    assert pg.history[-1].status == "canceled"


def test_streamed_text_arrives_and_is_the_output(server, client, front):
    pg = Playground("demo/story", client=client)
    assert pg._schema.is_streaming
    run(front, pg)
    pg.wait(60)
    assert pg.status == "succeeded", pg.message
    assert isinstance(pg.output, str)
    assert pg.output
    assert pg.stream_text == pg.output
    assert pg.outputs[0]["kind"] == "text"


def test_cancel_at_once_while_the_server_hands_the_prediction_to_cog(server, client, front):
    """Cancel the moment the prediction exists, while it is still queued ("starting"): the server handles
    that race, so the run ends canceled, never failed."""
    pg = Playground("demo/slow-echo", client=client)
    pg.values = {**pg.values, "text": "now", "seconds": 20}
    run(front, pg)
    deadline = time.monotonic() + 30
    while not pg._prediction_id and time.monotonic() < deadline:
        time.sleep(0.01)
    assert front(pg).request("cancel")["canceled"] is True
    pg.wait(30)
    assert pg.status == "canceled", pg.message
    pg.close()


def test_playground_uploads_a_large_file_as_soon_as_it_arrives_and_the_run_reuses_it(server, client, front):
    pg = Playground("demo/file-info", client=client)
    field = next(s["name"] for s in pg.form if s["kind"] == "file")
    data = os.urandom(1_500_000)  # over the data-URI limit: it would be uploaded anyway
    drop_file(front, pg, field, data, "blob.bin", "application/octet-stream")
    pg._zone.wait_uploads()
    digest = hashlib.sha256(data).hexdigest()
    assert pg.files[field][0]["state"] == "uploaded"
    assert [u["upload"]["sha256"] for u in server.log.find("POST", "/v1/files")] == [digest]
    run(front, pg)
    pg.wait(60)
    assert pg.status == "succeeded", pg.message
    assert pg.output["sha256"] == digest
    assert len(server.log.find("POST", "/v1/files")) == 1  # the run reused the eager upload
    pg.close()
