"""Pure parsing in the local server: data URIs, Prefer and Cancel-After, input validation, fault routes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from replicate_widget.local.faults import Faults, parse_route
from replicate_widget.local.inputs import describe_data_uri
from replicate_widget.local.problems import Problem
from replicate_widget.local.registry import demo_models
from replicate_widget.local.routes_predictions import _cancel_after, _wait_seconds
from replicate_widget.local.validation import validate_input


def test_data_uris():
    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    assert describe_data_uri("data:image/png;base64,aGk=") == ("image/png", sha(b"hi"), 2)
    assert describe_data_uri("data:,a%20b") == ("text/plain", sha(b"a b"), 3)
    big = bytes(range(256)) * 20_000  # decoded in several pieces
    uri = "data:application/octet-stream;base64," + base64.b64encode(big).decode()
    assert describe_data_uri(uri) == ("application/octet-stream", sha(big), len(big))
    for broken in ("data:image/png;base64", "data:;base64,@@@", "data:;base64,aGk"):
        with pytest.raises(ValueError, match=r"data: URI|base64"):
            describe_data_uri(broken)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("wait", 60), ("wait=5", 5), ("wait=600", 60), ("respond-async", None), ("x, wait=3", 3),
     ("wait=" + "9" * 5000, None)],
)  # fmt: skip
def test_prefer_wait(header, seconds):
    assert _wait_seconds(header) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m45s", 5445), ("2.5", 2.5), ("24h", 86400), ("0", 0)],
)
def test_cancel_after(text, seconds):
    assert _cancel_after(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "soon", "5x", "m", "nan", "inf", "-inf", "1e12", "-1", "24h1s", "9" * 400 + "h"]
)
def test_cancel_after_refuses_nonsense(text):
    with pytest.raises(Problem) as caught:
        _cancel_after(text)
    assert caught.value.status == 422


def test_validation_resolves_ref_enums_and_lists_every_problem():
    sheet = next(s for s in demo_models() if s.ref == "demo/contact-sheet")
    problems = validate_input(
        {"images": "one", "background": "pink", "thumb_size": 5.5, "x": 1}, sheet.schema
    )
    assert {(p["field"], p["type"]) for p in problems} == {
        ("input.images", "type"),
        ("input.background", "enum"),
        ("input.thumb_size", "type"),
        ("input.x", "additional_property_not_allowed"),
    }
    assert validate_input({"images": ["https://example.com/a.png"], "columns": 2.0}, sheet.schema) == []
    assert validate_input({"anything": True}, None) == []
    assert validate_input([], sheet.schema)[0]["field"] == "input"


def test_fault_routes_and_counts():
    assert parse_route("post /v1/files") == ("POST", "/v1/files")
    assert parse_route("/v1/") == ("*", "/v1/")
    faults = Faults()
    faults.fail("POST /v1/files", times=2)
    assert faults.take("GET", "/v1/files") is None
    assert faults.take("POST", "/v1/files/x") is not None
    assert faults.take("POST", "/v1/files") is not None
    assert faults.take("POST", "/v1/files") is None
    with pytest.raises(ValueError, match="at least 1"):
        faults.drop("GET /v1/models", times=0)
    for bad in (float("nan"), float("inf"), -1, 1e308, "5"):
        with pytest.raises(ValueError, match="seconds"):
            faults.delay("GET /v1/models", seconds=bad)
        with pytest.raises(ValueError, match="seconds"):
            faults.rate_limit("GET /v1/models", retry_after=bad)
    for status in (200, 99999, 503.0):
        with pytest.raises(ValueError, match="status"):
            faults.fail("GET /v1/models", status=status)
