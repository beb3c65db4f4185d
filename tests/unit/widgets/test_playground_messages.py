"""The Playground's kernel side driven with the messages its front end sends: every request (transfer, run,
cancel, secret) gets exactly one reply, even when a handler raises; files in transit are TransferErrors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from replicate_widget.widgets.playground.widget import Playground
from replicate_widget.wire.protocol import PROTOCOL_VERSION

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"


def playground(stem: str, model: str) -> Playground:
    doc = json.loads((SCHEMAS / f"{stem}.json").read_text())["openapi_schema"]
    return Playground._from_schema(doc, model=model)


@pytest.fixture
def sdxl():
    pg = playground("stability-ai__sdxl", "stability-ai/sdxl")
    yield pg
    pg.close()


def test_every_request_gets_exactly_one_reply(sdxl, front):
    f = front(sdxl)
    assert f.request("hello", version=PROTOCOL_VERSION)["ok"]
    assert f.request("ping")["ok"]
    sdxl.values = {**sdxl.values, "num_outputs": 9}
    run = f.request("run")  # a value out of bounds: refused, and said so
    assert run["ok"] is True
    assert run["started"] is False
    assert sdxl.status == "invalid"
    assert f.request("cancel") == {"kind": "reply", "rid": f.rid, "ok": True, "canceled": False}
    assert f.request("secret", name="prompt", value="x")["error"]["code"] == "bad-message"
    assert f.request("begin", id="prompt:1", name="a", size=1, type="")["ok"] is False  # not a file field
    assert f.request("nonsense")["ok"] is False


def test_a_transfer_handler_that_raises_still_replies_and_marks_the_file(sdxl, front, monkeypatch):
    f = front(sdxl)
    assert f.request("begin", id="image:a", name="a.png", size=4, type="image/png")["ok"]
    monkeypatch.setattr(sdxl._zone._receiver, "chunk", lambda *_: 1 / 0)
    reply = f.request("chunk", [b"abcd"], id="image:a", offset=0)
    assert reply["ok"] is False
    assert "division by zero" in reply["error"]["message"]
    assert sdxl.files["image"][0]["state"] == "error"


def test_a_file_still_arriving_is_flagged_at_its_field_not_sent(sdxl, front):
    f = front(sdxl)
    f.send_file("image:a", "sky.png", os.urandom(40_000), stop_at=20_000, type="image/png")
    assert sdxl.files["image"][0]["state"] == "receiving"
    assert "image" not in sdxl.input
    sdxl.values = {**sdxl.values, "prompt": "a fox"}
    assert f.request("run")["started"] is False
    assert "still on its way" in sdxl.field_errors["image"]


def test_a_whole_file_is_the_fields_input(sdxl, front):
    data = os.urandom(3000)
    f = front(sdxl)
    last = f.send_file("image:a", "sky.png", data, type="image/png")
    assert last["complete"]
    assert sdxl.input["image"].read() == data
    assert sdxl.files["image"][0]["state"] == "ready"
    assert f.request("remove", id="image:a")["ok"]
    assert sdxl.files["image"] == []


def test_secrets_arrive_by_request_and_stay_out_of_traits(front):
    pg = playground("deepfates__openai-moderation", "deepfates/openai-moderation")
    assert front(pg).request("secret", name="api_key", value="sk-very-secret")["ok"]
    assert pg.input["api_key"] == "********"
    assert "sk-very-secret" not in json.dumps(pg.get_state(), default=str)
    assert pg._form_values(reveal_secrets=True)[0]["api_key"] == "sk-very-secret"
    pg.close()
