"""Retry policy, Retry-After, and the one place HTTP failures become our exceptions."""

import httpx
import pytest

from replicate_widget import APIError, AuthenticationError
from replicate_widget.core.http import Call, Sleep, parse_retry_after, raise_for_status, retry_delay, send


def response(status, headers=None, json=None):
    return httpx.Response(status, headers=headers or {}, json=json, request=httpx.Request("GET", "http://x"))


@pytest.mark.parametrize(
    ("kind", "status", "retried"),
    [
        ("idempotent", 429, True),
        ("create", 429, True),
        ("upload", 429, True),
        ("idempotent", 503, True),
        ("idempotent", 502, True),
        ("idempotent", 504, True),
        ("idempotent", 500, False),
        ("create", 503, False),
        ("upload", 503, False),
        ("idempotent", 404, False),
    ],
)
def test_retry_policy_by_status(kind, status, retried):
    assert (retry_delay(kind, 1, response(status)) is not None) is retried


@pytest.mark.parametrize(("kind", "retried"), [("idempotent", True), ("upload", True), ("create", False)])
def test_retry_policy_on_connection_errors(kind, retried):
    assert (retry_delay(kind, 1, httpx.ConnectError("refused")) is not None) is retried


def test_retry_after_is_honoured_and_attempts_are_bounded():
    delay = retry_delay("create", 1, response(429, {"retry-after": "3"}))
    assert 3 <= delay <= 3.2
    assert retry_delay("idempotent", 8, response(503)) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("nonsense") is None


def test_backoff_grows():
    first = [retry_delay("idempotent", 1, response(503)) for _ in range(20)]
    fourth = [retry_delay("idempotent", 4, response(503)) for _ in range(20)]
    assert max(first) < min(fourth)


def test_problem_json_with_invalid_fields():
    body = {
        "title": "Input validation failed",
        "detail": "- input.x: bad\n",
        "status": 422,
        "invalid_fields": [{"type": "enum", "field": "input.x", "description": "x must be one of a, b"}],
    }
    with pytest.raises(APIError) as info:
        raise_for_status(response(422, json=body))
    assert info.value.status == 422
    assert info.value.invalid_fields[0]["field"] == "input.x"
    assert "x must be one of a, b" in str(info.value)


def test_401_says_how_to_set_a_token():
    with pytest.raises(AuthenticationError) as info:
        raise_for_status(
            response(401, json={"title": "Unauthenticated", "detail": "bad token", "status": 401})
        )
    assert "REPLICATE_API_TOKEN" in str(info.value)
    assert "rw.login()" in str(info.value)
    assert "bad token. Set REPLICATE_API_TOKEN" in str(info.value)  # the server's words, then the advice


def test_send_retries_then_returns():
    flow = send(Call("GET", "http://x/v1/y"))
    assert isinstance(next(flow), Call)
    assert isinstance(flow.send(response(503)), Sleep)
    assert isinstance(next(flow), Call)
    with pytest.raises(StopIteration) as done:
        flow.send(response(200, json={"ok": True}))
    assert done.value.value.json() == {"ok": True}


def test_send_does_not_retry_a_create_on_connection_error():
    flow = send(Call("POST", "http://x/v1/predictions", retry="create"))
    next(flow)
    with pytest.raises(APIError) as info:
        flow.throw(httpx.ReadError("reset"))
    assert "Connection failed" in str(info.value)
