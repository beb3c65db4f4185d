"""Retry policy, Retry-After, and the one place HTTP failures become our exceptions."""

import socket

import httpx
import pytest

from replicate_widget import APIError, AuthenticationError
from replicate_widget.core.network.http import Call, Sleep, raise_for_status, send
from replicate_widget.core.network.retry import decide, is_loopback, parse_retry_after


def retry_delay(kind, attempt, outcome, url="https://api.example.test/v1/x"):
    decision = decide(kind, attempt, outcome, url=url)
    return None if decision is None else decision.seconds


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
def test_retry_policy_on_dropped_connections(kind, retried):
    # The request may have arrived: only what cannot happen twice is repeated.
    assert (retry_delay(kind, 1, httpx.ReadError("reset")) is not None) is retried


@pytest.mark.parametrize("kind", ["idempotent", "upload", "create"])
def test_a_connection_never_made_is_retried_for_every_request(kind):
    # Nothing was sent, so nothing can run twice.
    assert retry_delay(kind, 1, unresolved()) is not None


def unresolved():
    """What httpx raises when DNS fails, built without looking any name up."""
    try:
        raise socket.gaierror(-2, "Name or service not known")
    except socket.gaierror as cause:
        try:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from cause
        except httpx.ConnectError as exc:
            return exc


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/v1/x", "http://127.8.9.10:80/v1/x", "http://[::1]:9/v1/x", "http://localhost:9/"],
)
def test_a_refused_connection_to_this_machine_is_final(url):
    assert is_loopback(url)
    assert retry_delay("idempotent", 1, httpx.ConnectError("[Errno 111] Connection refused"), url) is None
    # elsewhere a refusal may be a server restarting: retried
    assert retry_delay("idempotent", 1, httpx.ConnectError("[Errno 111] Connection refused")) is not None


def test_connection_retries_fit_in_under_ten_seconds():
    flow = send(Call("GET", "https://api.example.test/v1/models/a/b"))
    assert isinstance(next(flow), Call)
    waits = []

    def fail_until_given_up():
        while True:
            effect = flow.throw(unresolved())
            assert isinstance(effect, Sleep)
            waits.append(effect)
            assert isinstance(next(flow), Call)

    with pytest.raises(APIError) as info:
        fail_until_given_up()
    assert 2 <= len(waits) <= 5
    assert sum(w.seconds for w in waits) < 10
    assert {w.reason for w in waits} == {"host name not found"}
    assert "host name not found" in str(info.value)
    assert info.value.__cause__ is None  # ours alone, not httpx's chain
    assert info.value.__suppress_context__


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


def test_a_problem_the_detail_already_names_is_said_once():
    # Replicate's 422 lists each problem in its detail and again in invalid_fields.
    problem = "input.text: text must be of type string, got int"
    body = {
        "title": "Input validation failed",
        "detail": problem,
        "status": 422,
        "invalid_fields": [
            {"type": "type", "field": "input.text", "description": "text must be of type string, got int"},
            {"type": "required", "field": "input.image", "description": "image is required"},
        ],
    }
    with pytest.raises(APIError) as info:
        raise_for_status(response(422, json=body))
    message = str(info.value)
    assert message.count("must be of type string") == 1, message
    assert "- input.image: image is required" in message


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


def test_a_redirect_is_an_error_naming_status_and_location():
    redirect = httpx.Response(
        307,
        headers={"location": "https://elsewhere.test/v1/models/a/b"},
        request=httpx.Request("GET", "https://api.example.test/v1/models/a/b"),
    )
    with pytest.raises(APIError) as info:
        raise_for_status(redirect)
    assert info.value.status == 307
    assert "307" in str(info.value)
    assert "https://elsewhere.test/v1/models/a/b" in str(info.value)


def test_send_does_not_retry_a_create_on_connection_error():
    flow = send(Call("POST", "http://x/v1/predictions", retry="create"))
    next(flow)
    with pytest.raises(APIError) as info:
        flow.throw(httpx.ReadError("reset"))
    assert "Connection failed" in str(info.value)
