"""Cases entering through a Python call that go wrong on the way: tokens, HTTP statuses, redirects, timeouts,
cut connections, and predictions that fail, are canceled, aborted or interrupted (Ctrl-C, once and twice)."""

from __future__ import annotations

import os
from typing import Any

import replicate_widget as rw

from . import Case
from .cases_python import ECHO, _echo, _run_file
from .support import ShortTimeouts, closed_port


def _interrupted_run(ctx: Any) -> None:
    ctx.interrupt_when(ctx.created, 0.3)
    try:
        ctx.client.run("demo/slow-echo", {"text": "stop me", "seconds": 30})
    finally:
        assert ctx.final(ctx.created()) == "canceled"


def _twin(ctx: Any, body: dict[str, Any]) -> Any:
    """Another process creating the same prediction: then no list entry can say which one is ours."""
    twin: dict[str, Any] = {}

    def create() -> None:
        twin.update(ctx.api().post("/v1/models/demo/slow-echo/predictions", json=body).json())

    return twin, create


def _interrupted_twice(ctx: Any) -> None:
    """Ctrl-C while the create is still waiting (another process made the same prediction meanwhile): it waits
    for the answer to cancel by id; Ctrl-C again leaves it running."""
    body = {"input": {"text": "leave me", "seconds": 3}}
    twin, create = _twin(ctx, body)
    ctx.interrupt_when(ctx.created, 0.2, 0.3, then=create)  # both within the create's 1 s hold
    try:
        ctx.client.run("demo/slow-echo", body["input"])
    finally:
        ours = ctx.requests("POST", "/predictions")[0]["prediction_id"]
        assert ctx.requests("POST", "/cancel") == []
        assert ctx.final(ours) == "succeeded"
        assert ctx.final(twin["id"]) == "succeeded"


def _someone_elses_prediction(ctx: Any) -> None:
    """Another process runs the same input; this one is interrupted: only this one's prediction ends."""
    body = {"input": {"text": "same", "seconds": 4}}
    other = ctx.api().post("/v1/models/demo/slow-echo/predictions", json=body).json()
    ctx.interrupt_when(lambda: ctx.created() not in (None, other["id"]), 0.3)
    try:
        ctx.client.run("demo/slow-echo", body["input"])
    finally:
        assert ctx.final(ctx.created()) == "canceled"
        assert ctx.final(other["id"]) == "succeeded"


def _interrupted_deployment(ctx: Any) -> None:
    """A deployment's create names no model and no version: only its answer (within the 1 s hold) says which
    prediction is ours, and that one is canceled by its id."""
    other = ctx.isolated(deployments=["team/echo-prod=demo/slow-echo"])
    other.interrupt_when(other.created, 0.3)
    try:
        other.client.run("deployments/team/echo-prod", {"text": "stop me", "seconds": 30})
    finally:
        assert other.requests("POST", "/v1/deployments/team/echo-prod/predictions")
        assert other.final(other.created()) == "canceled"


def _twin_while_ours_is_held(ctx: Any) -> None:
    """Our create reaches the server first and is held there (2 s); an identical one from elsewhere is made
    meanwhile, and we are interrupted before ours exists. The twin is the only prediction with our input
    newer than our request, yet it is not ours: we wait for our create's answer and cancel that one."""
    body = {"input": {"text": "held", "seconds": 4}}
    ctx.server.faults.delay("POST /v1/models/demo/slow-echo/predictions", seconds=2)
    twin, create = _twin(ctx, body)
    ctx.interrupt_when(lambda: ctx.requests("POST", "/predictions"), 0.5, then=create)
    try:
        ctx.client.run("demo/slow-echo", body["input"])
    finally:
        ours = ctx.requests("POST", "/predictions")[0]["prediction_id"]
        assert ctx.final(twin["id"]) == "succeeded"
        assert ctx.final(ours) == "canceled"


def _aborted(ctx: Any) -> None:
    blocker = ctx.api().post(
        "/v1/models/demo/story/predictions", json={"input": {"sentences": 20, "delay": 0.1}}
    )
    try:
        ctx.client.run("demo/story", {"sentences": 1}, cancel_after=0.5)
    finally:
        ctx.api().post(f"/v1/predictions/{blocker.json()['id']}/cancel")


def _redirected(ctx: Any) -> None:
    origin, seen = ctx.redirector(307)
    client = rw.Client(api_token=ctx.server.token, base_url=origin)
    try:
        client.run("demo/slow-echo", ECHO)
    finally:
        assert all("authorization" not in h for h in seen)  # the token never goes to the other origin


def _refused(ctx: Any) -> None:
    rw.Client(api_token="x", base_url=f"http://127.0.0.1:{closed_port()}").run("demo/slow-echo", ECHO)


def _timeout_get(ctx: Any) -> None:
    ctx.server.faults.delay("GET /v1/models/demo/slow-echo", seconds=1.5)
    client = ShortTimeouts(0.5, api_token=ctx.server.token, base_url=ctx.server.base_url)
    assert client.run("demo/slow-echo", ECHO) == "hi"
    assert len(ctx.requests("GET", "/models/demo/slow-echo")) == 2


def _timeout_create(ctx: Any) -> None:
    ctx.server.faults.delay("POST /v1/models/demo/slow-echo/predictions", seconds=1.5)
    client = ShortTimeouts(0.5, api_token=ctx.server.token, base_url=ctx.server.base_url)
    client.schema("demo/slow-echo")
    try:
        client.run("demo/slow-echo", ECHO)
    finally:
        assert len(ctx.requests("POST", "/predictions")) == 1  # a repeat could run the model twice


def _retried(ctx: Any, route: str, count: int, **fault: Any) -> None:
    kind = fault.pop("kind")
    getattr(ctx.server.faults, kind)(route, **fault)
    assert ctx.client.run("demo/slow-echo", ECHO) == "hi"
    method, path = route.split(" ")
    assert len([e for e in ctx.server.log.entries if e["method"] == method and path in e["path"]]) == count


def _failed_once(ctx: Any, route: str, status: int) -> None:
    ctx.server.faults.fail(route, status=status)
    try:
        _echo(ctx)
    finally:
        assert len(ctx.requests("POST", "/predictions")) <= 1


def _token_with_newline(ctx: Any) -> None:
    client = rw.Client(api_token=ctx.server.token + "\n", base_url=ctx.server.base_url)
    assert client.run("demo/slow-echo", ECHO) == "hi"


def _no_token(ctx: Any) -> None:
    saved = os.environ.pop("REPLICATE_API_TOKEN", None)
    try:
        rw.Client(base_url=ctx.server.base_url).run("demo/slow-echo", ECHO)
    finally:
        if saved is not None:
            os.environ["REPLICATE_API_TOKEN"] = saved
        assert ctx.server.log.entries == []


def _login(ctx: Any, token: str) -> None:
    saved = os.environ.get("REPLICATE_BASE_URL")
    os.environ["REPLICATE_BASE_URL"] = ctx.server.base_url
    try:
        rw.login(token)
    finally:
        if saved is None:
            os.environ.pop("REPLICATE_BASE_URL", None)
        else:
            os.environ["REPLICATE_BASE_URL"] = saved


def _cut_upload(ctx: Any) -> None:
    ctx.server.faults.drop("POST /v1/files")
    assert _run_file(ctx, ctx.file("a.bin", 1_000_000))["size"] == 1_000_000
    assert [e["status"] for e in ctx.requests("POST", "/v1/files")] == ["dropped", 201]


def _poll_504(ctx: Any) -> None:
    ctx.server.faults.fail("GET /v1/predictions/", status=504)
    out = ctx.client.run("demo/slow-echo", {"text": "hi", "seconds": 1.5}, wait=1)
    assert out == "hi"
    statuses = [e["status"] for e in ctx.requests("GET") if "/v1/predictions/" in e["path"]]
    assert statuses[0] == 504, statuses
    assert statuses[-1] == 200, statuses


def _upload_413(ctx: Any) -> None:
    ctx.server.faults.fail("POST /v1/files", status=413)
    _run_file(ctx, ctx.file("a.bin", 1_000_000))


P = "Python call"
CREATE = "POST /v1/models/demo/slow-echo/predictions"
# fmt: off
CASES = [
    # ---- tokens
    Case("py-no-token", P, "no REPLICATE_API_TOKEN, no rw.login()", "AuthenticationError",
         "No API token is configured: Set REPLICATE_API_TOKEN", _no_token),
    Case("py-bad-token", P, "a wrong token", "AuthenticationError 401",
         "You did not pass a valid authentication token",
         lambda c: rw.Client(api_token="r8_wrong", base_url=c.server.base_url).run("demo/slow-echo", ECHO)),
    Case("py-token-newline", P, "the right token with a trailing newline (pasted from a file)", "ok",
         "surrounding whitespace is stripped; the run succeeds", _token_with_newline),
    Case("py-token-non-ascii", P, "a token with a non-ASCII character ('tök')", "AuthenticationError",
         "The API token contains characters no token has",
         lambda c: rw.Client(api_token="tök", base_url=c.server.base_url).run("demo/slow-echo", ECHO)),
    Case("py-local-token-changed", P, "a local server's local_ token from before the server restarted",
         "AuthenticationError 401", "makes a new token each time it starts, so it has been restarted",
         lambda c: rw.Client(api_token="local_" + "x" * 32, base_url=c.server.base_url).run(
             "demo/slow-echo", ECHO)),
    Case("py-login-bad-token", P, "rw.login('r8_wrong')", "AuthenticationError 401",
         "You did not pass a valid authentication token", lambda c: _login(c, "r8_wrong")),
    # ---- HTTP statuses from the server
    Case("py-401-injected", P, "the create answered 401", "AuthenticationError 401",
         "`replicate-widget env` in a shell prints its current",
         lambda c: _failed_once(c, "POST /v1/models/demo/slow-echo/predictions", 401)),
    Case("py-403", P, "the create answered 403", "APIError 403", "HTTP 403 Forbidden",
         lambda c: _failed_once(c, "POST /v1/models/demo/slow-echo/predictions", 403)),
    Case("py-409", P, "the create answered 409", "APIError 409", "HTTP 409 Conflict",
         lambda c: _failed_once(c, "POST /v1/models/demo/slow-echo/predictions", 409)),
    Case("py-413-upload", P, "the upload answered 413", "APIError 413", "HTTP 413", _upload_413),
    Case("py-429-then-ok", P, "two 429s (Retry-After) on the create", "ok",
         "retried after Retry-After; the third attempt runs it once",
         lambda c: _retried(c, CREATE, 3, kind="rate_limit", times=2, retry_after=0.2)),
    Case("py-429-persistent", P, "429 on every attempt", "APIError 429", "Request was throttled",
         lambda c: (c.server.faults.rate_limit("POST /v1/models", times=8, retry_after=0), _echo(c)),
         limit=30),
    Case("py-500-create", P, "the create answered 500", "APIError 500", "HTTP 500 Internal Server Error",
         lambda c: _failed_once(c, "POST /v1/models/demo/slow-echo/predictions", 500)),
    Case("py-502-create", P, "the create answered 502 (not retried: it may have run)", "APIError 502",
         "HTTP 502 Bad Gateway",
         lambda c: _failed_once(c, "POST /v1/models/demo/slow-echo/predictions", 502)),
    Case("py-503-lookup", P, "two 503s on the model lookup (a GET)", "ok",
         "retried with backoff; then it runs",
         lambda c: _retried(c, "GET /v1/models/demo/slow-echo", 3, kind="fail", status=503, times=2)),
    Case("py-504-poll", P, "a 504 while polling the prediction", "ok",
         "the poll is retried; the run ends normally", _poll_504),
    # ---- redirects, timeouts, cut connections
    Case("py-redirect", P, "the API origin answers 307 to another origin", "APIError 307",
         'answered 307 with Location: http://127.0.0.1:', _redirected),
    Case("py-timeout-lookup", P, "the model lookup outlasts the read timeout once", "ok",
         "retried (a GET can be repeated); then it runs", _timeout_get),
    Case("py-timeout-create", P, "the create outlasts the read timeout", "ConnectionError",
         'Connection failed: POST', _timeout_create),
    Case("py-cut-create", P, "the server drops the connection of the create", "ConnectionError",
         'connection lost. Check the network and REPLICATE_BASE_URL',
         lambda c: (c.server.faults.drop("POST /v1/models/demo/slow-echo/predictions"), _echo(c))),
    Case("py-cut-upload", P, "the server drops the connection of an upload", "ok",
         "the upload is retried from the start; the model gets every byte", _cut_upload),
    Case("py-refused", P, "nothing listens at REPLICATE_BASE_URL", "ConnectionError",
         'connection refused. Nothing is listening at http://127.0.0.1:', _refused, limit=4),
    # ---- how predictions end
    Case("py-failed", P, "the model raises (fail='kaboom')", "ModelError", "RuntimeError: kaboom",
         lambda c: _echo(c, fail="kaboom")),
    Case("py-canceled", P, "cancel_after=0.5 on a 10 s run", "PredictionCanceled",
         "was canceled before it finished",
         lambda c: c.client.run("demo/slow-echo", {"text": "x", "seconds": 10}, cancel_after=0.5)),
    Case("py-aborted", P, "cancel_after=0.5 while the model is busy", "PredictionAborted",
         "was aborted: its deadline passed before it started", _aborted),
    Case("py-cancel-after-words", P, "cancel_after='soon'", "APIError 422",
         "Cancel-After 'soon' is not a duration like 30s, 5m or 1h30m",
         lambda c: c.client.run("demo/slow-echo", ECHO, cancel_after="soon")),
    Case("py-ctrl-c", P, "Ctrl-C while a 30 s run's create waits (Prefer: wait=1)", "KeyboardInterrupt", "",
         _interrupted_run, limit=20),
    Case("py-ctrl-c-twice", P, "Ctrl-C while the create waits (a twin prediction exists), then Ctrl-C again",
         "KeyboardInterrupt", "", _interrupted_twice, limit=30),
    Case("py-ctrl-c-deployment", P, "Ctrl-C while a deployment run's create waits", "KeyboardInterrupt", "",
         _interrupted_deployment, limit=60),
    Case("py-ctrl-c-twin-while-held", P,
         "Ctrl-C while our create is held by the server and an identical twin is made meanwhile",
         "KeyboardInterrupt", "", _twin_while_ours_is_held, limit=40),
    Case("py-ctrl-c-other-process", P, "Ctrl-C while another client runs the same input", "KeyboardInterrupt",
         "", _someone_elses_prediction, limit=30),
]
# fmt: on
