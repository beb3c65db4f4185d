"""The Playground's kernel side against the local server: messages in, traits and history out.

The browser is replaced by calls to the widget's message handler with the same messages js/playground.js
sends (secret, begin/chunk for files, run, cancel); the browser tests drive the real front end.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from replicate_widget.core.client import Client
from replicate_widget.widgets.playground.widget import Playground


@pytest.fixture
def client(server):
    return Client(api_token=server.token, base_url=server.base_url)


def send(pg: Playground, content: dict, buffers: list | None = None) -> None:
    pg._on_message(pg, content, buffers or [])


def drop_file(pg: Playground, field: str, data: bytes, name: str, content_type: str) -> str:
    entry = f"{field}:t{len(data)}"
    send(pg, {"kind": "begin", "rid": 1, "session": "s", "id": entry, "name": name, "size": len(data),
              "type": content_type})  # fmt: skip
    send(pg, {"kind": "chunk", "rid": 2, "session": "s", "id": entry, "offset": 0}, [memoryview(data)])
    return entry


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def test_file_field_run_sends_the_dropped_bytes(server, client):
    pg = Playground("demo/grayscale", client=client)
    field = next(s["name"] for s in pg.form if s["kind"] == "file")
    data = png_bytes()
    drop_file(pg, field, data, "red.png", "image/png")
    assert pg.files[field][0]["state"] == "ready"
    assert pg.files[field][0]["sha256"] == hashlib.sha256(data).hexdigest()
    send(pg, {"kind": "run"})
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


def test_missing_required_file_is_flagged_before_any_request(server, client):
    pg = Playground("demo/grayscale", client=client)
    server.log.clear()
    send(pg, {"kind": "run"})
    assert pg.status == "invalid"
    field = next(s["name"] for s in pg.form if s["kind"] == "file")
    assert "required" in pg.field_errors[field].lower()
    assert not [e for e in server.log.entries if e["method"] == "POST"]
    assert pg.history == []


def test_slow_run_is_canceled_remotely(server, client):
    pg = Playground("demo/slow-echo", client=client)
    numeric = [s for s in pg.form if s["kind"] in ("slider", "number")]
    values = dict(pg.values)
    for spec in numeric:
        if "second" in spec["name"]:
            values[spec["name"]] = min(30, spec["maximum"] or 30)
    text_field = next(s["name"] for s in pg.form if s["kind"] in ("text", "textarea"))
    values[text_field] = "hello"
    pg.values = values
    send(pg, {"kind": "run"})
    deadline = time.monotonic() + 30
    # Cancel once it runs. (Canceling while the local server hands it to Cog can end as "failed" with
    # Cog's CancelationException: a server-side race, reported to the server's owner.)
    while pg.status != "processing" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pg._prediction_id
    send(pg, {"kind": "cancel"})
    pg.wait(30)
    assert pg.status == "canceled", pg.message
    cancels = [e for e in server.log.entries if e["path"].endswith("/cancel")]
    assert cancels
    assert pg.history[-1].status == "canceled"


def test_streamed_text_arrives_and_is_the_output(server, client):
    pg = Playground("demo/story", client=client)
    assert pg._schema.is_streaming
    send(pg, {"kind": "run"})
    pg.wait(60)
    assert pg.status == "succeeded", pg.message
    assert isinstance(pg.output, str)
    assert pg.output
    assert pg.stream_text == pg.output
    assert pg.outputs[0]["kind"] == "text"


def test_secret_reaches_the_run_but_no_trait(client):
    import json

    schema = json.loads((Path(__file__).parents[1] / "data" / "schemas" / "deepfates__openai-moderation.json")
                        .read_text())["openapi_schema"]  # fmt: skip
    pg = Playground._from_schema(schema, model="deepfates/openai-moderation", client=client)
    send(pg, {"kind": "secret", "name": "api_key", "value": "sk-very-secret"})
    assert pg.input["api_key"] == "********"
    assert "sk-very-secret" not in json.dumps(pg.get_state(), default=str)
    assert "sk-very-secret" not in pg.code()
    assert "getpass" in pg.code()
    values, errors = pg._collect()
    assert values["api_key"] == "sk-very-secret"
    assert errors == {}
