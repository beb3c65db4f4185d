"""Cases entering the local server directly over HTTP (what any client, or a hostile one, can send)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from . import Case
from .support import MAX_UPLOAD

MODEL = "/v1/models/demo/slow-echo/predictions"
ECHO = {"input": {"text": "hi", "seconds": 0, "steps": 1}}


def _post(ctx: Any, path: str = MODEL, **kwargs: Any) -> httpx.Response:
    response: httpx.Response = ctx.api().post(path, **kwargs)
    return response


def _nothing_stored(ctx: Any, response: httpx.Response, listing: str) -> httpx.Response:
    """A refused request must leave nothing behind, and the listing must keep working."""
    page = ctx.api().get(listing)
    assert page.status_code == 200, page.text
    return response


def _file_input(ctx: Any, value: str) -> httpx.Response:
    return _post(ctx, "/v1/models/demo/file-info/predictions", json={"input": {"file": value}})


def _basic_auth(ctx: Any) -> httpx.Response:
    response: httpx.Response = ctx.api(token=None).get(
        "/v1/account", headers={"authorization": f"Basic {ctx.server.token}"}
    )
    return response


def _nan_input(ctx: Any) -> httpx.Response:
    ctx = ctx.isolated()  # before the fix, this breaks the server's predictions list for good
    before = len(ctx.api().get("/v1/predictions").json()["results"])
    body = '{"input": {"text": "hi", "seconds": NaN}}'
    response = _post(ctx, content=body, headers={"content-type": "application/json"})
    page = ctx.api().get("/v1/predictions")
    assert page.status_code == 200, page.text[:200]
    assert len(page.json()["results"]) == before
    return response


def _nan_metadata(ctx: Any) -> httpx.Response:
    ctx = ctx.isolated()  # before the fix, this breaks the server's file list for good
    response = _post(ctx, "/v1/files", files={"content": ("a.txt", b"x", "text/plain")},
                     data={"metadata": '{"a": NaN}'})  # fmt: skip
    return _nothing_stored(ctx, response, "/v1/files")


def _cancel_after(ctx: Any, value: str) -> httpx.Response:
    ctx = ctx.isolated()  # before the fix, such a deadline is stored and can break the predictions list
    return _post(ctx, json=ECHO, headers={"cancel-after": value})


def _zeros(total: int, step: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(step)
    while total > 0:
        yield block[: min(step, total)]
        total -= step


def _upload_of(ctx: Any, size: int) -> httpx.Response:
    """A multipart upload of ``size`` zero bytes, streamed (never whole in memory)."""
    boundary = "catalogue-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{size}.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from _zeros(size)
        yield tail

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    response = _post(ctx, "/v1/files", content=body(), headers=headers)
    if size > MAX_UPLOAD:
        names = [f["name"] for f in ctx.api().get("/v1/files").json()["results"]]
        assert f"{size}.bin" not in names
    return response


def _body_of(ctx: Any, size: int) -> httpx.Response:
    """A prediction body of exactly ``size`` bytes, padded by an unknown field (so it is refused with 422 once
    it gets past the size check: what this case looks at is which check answers)."""
    head, tail = '{"input": {"text": "hi"}, "pad": "', '"}'
    body = (head + "x" * (size - len(head) - len(tail)) + tail).encode()
    assert len(body) == size
    return _post(ctx, content=body, headers={"content-type": "application/json"})


def _many_fields(ctx: Any) -> httpx.Response:
    fields = {f"f{i}": "x" * 10 for i in range(4000)}
    return _post(ctx, "/v1/files", files={"content": ("a.txt", b"x", "text/plain")}, data=fields)


def _huge_json(ctx: Any) -> httpx.Response:
    text = "x" * (9 * 1024 * 1024)
    return _post(
        ctx, content=json.dumps({"input": {"text": text}}), headers={"content-type": "application/json"}
    )


def _web_page(ctx: Any, token: str | None = None) -> httpx.Response:
    """Prediction ids end up in saved notebooks: the page must not show the input to whoever has one."""
    created = _post(ctx, json={"input": {"text": "private-words-7f3", "seconds": 0, "steps": 1}}).json()
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response: httpx.Response = ctx.api(token=None).get(f"/p/{created['id']}", headers=headers)
    assert "private-words-7f3" not in response.text
    return response


def _escaped_name(ctx: Any) -> httpx.Response:
    """An upload named ../../x.txt, then used as an input: the model must receive its bytes."""
    stored = _post(ctx, "/v1/files", files={"content": ("../../x.txt", b"escaped", "text/plain")}).json()
    body = {"input": {"file": stored["urls"]["get"]}}
    response = _post(ctx, "/v1/models/demo/file-info/predictions", json=body, headers={"prefer": "wait"})
    assert response.json()["status"] == "succeeded", response.text[:300]
    return response


def _disconnect_mid_upload(ctx: Any) -> None:
    """The client goes away halfway through an upload: nothing is stored, the spool holds nothing."""
    before = {f["id"] for f in ctx.api().get("/v1/files").json()["results"]}

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="content"; filename="cut.bin"\r\n\r\n'
        yield bytes(1 << 20)
        raise ConnectionAbortedError("the client went away")

    with contextlib.suppress(ConnectionAbortedError):
        _post(ctx, "/v1/files", content=body(), headers={"content-type": "multipart/form-data; boundary=b"})
    after = {f["id"] for f in ctx.api().get("/v1/files").json()["results"]}
    assert after == before
    spool = ctx.server._state.files.spool
    deadline = time.monotonic() + 5
    while list(spool.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(spool.iterdir()) == [], list(spool.iterdir())


def _declared_too_large(ctx: Any) -> httpx.Response:
    """Only the headers of a 200 MiB upload: the answer must come before any of the body is sent."""
    head = (
        f"POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ctx.server.token}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {200 << 20}\r\n\r\n"
    ).encode()
    answer = ctx.raw(head)
    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    request = httpx.Request("POST", ctx.server.base_url + "/v1/files")
    return httpx.Response(int(status_line.split()[1]), content=body, request=request)


S = "local server"
# fmt: off
CASES = [
    Case("srv-no-token", S, "GET /v1/account without Authorization", "HTTP 401",
         "You did not pass a valid authentication token", lambda c: c.api(token=None).get("/v1/account")),
    Case("srv-basic-auth", S, "Authorization: Basic … (the right token, wrong scheme)", "HTTP 401",
         "You did not pass a valid authentication token", _basic_auth),
    Case("srv-not-json", S, "a prediction body that is not JSON", "HTTP 400",
         'Failed to parse the request body as JSON',
         lambda c: _post(c, content=b"{input:", headers={"content-type": "application/json"})),
    Case("srv-body-a-list", S, "a prediction body that is a JSON list", "HTTP 422",
         "The request body must be a JSON object", lambda c: _post(c, json=[1, 2])),
    Case("srv-unknown-body-field", S, "{'input': {...}, 'colour': 'red'}", "HTTP 422",
         "Additional property colour is not allowed", lambda c: _post(c, json={**ECHO, "colour": "red"})),
    Case("srv-missing-version", S, "POST /v1/predictions without 'version'", "HTTP 422",
         "version is required", lambda c: _post(c, "/v1/predictions", json=ECHO)),
    Case("srv-version-not-string", S, "{'version': 7, ...}", "HTTP 422", "version must be a string",
         lambda c: _post(c, "/v1/predictions", json={**ECHO, "version": 7})),
    Case("srv-wrong-type", S, "{'input': {'text': 5}}", "HTTP 422", "text must be of type string, got int",
         lambda c: _post(c, json={"input": {"text": 5}})),
    Case("srv-broken-data-uri", S, "a file input 'data:text/plain;base64,%%%'", "HTTP 422",
         "broken data: URI", lambda c: _file_input(c, "data:text/plain;base64,%%%")),
    Case("srv-not-a-file", S, "a file input 'hello' (no scheme)", "HTTP 422",
         "must be a file: an http(s) URL, a Files API URL or a data: URI", lambda c: _file_input(c, "hello")),
    Case("srv-deleted-upload", S, "an input naming a /v1/files URL that does not exist", "HTTP 422",
         "is not an uploaded file (deleted, or never uploaded here)",
         lambda c: _file_input(c, f"{c.server.base_url}/v1/files/nope")),
    Case("srv-nan-input", S, "{'input': {'seconds': NaN}} (raw JSON)", "HTTP 422",
         'seconds must be a finite number (JSON has no NaN or Infinity)', _nan_input),
    Case("srv-nan-metadata", S, 'POST /v1/files with metadata {"a": NaN}', "HTTP 422",
         'metadata.a must be a finite number (JSON has no NaN or Infinity)', _nan_metadata),
    Case("srv-cancel-after-nan", S, "Cancel-After: nan", "HTTP 422",
         "Cancel-After 'nan' is out of range: give a duration from 0s to 24h",
         lambda c: _cancel_after(c, "nan")),
    Case("srv-cancel-after-inf", S, "Cancel-After: inf", "HTTP 422",
         "Cancel-After 'inf' is out of range: give a duration from 0s to 24h",
         lambda c: _cancel_after(c, "inf")),
    Case("srv-cancel-after-huge", S, "Cancel-After: 1e12", "HTTP 422",
         "Cancel-After '1e12' is out of range: give a duration from 0s to 24h",
         lambda c: _cancel_after(c, "1e12")),
    Case("srv-cancel-after-words", S, "Cancel-After: soon", "HTTP 422",
         "Cancel-After 'soon' is not a duration like 30s, 5m or 1h30m", lambda c: _cancel_after(c, "soon")),
    Case("srv-json-over-8mib", S, "a 9 MiB JSON prediction body", "HTTP 413",
         'The request body is larger than 8 MiB (8,388,608 bytes)', _huge_json),
    Case("srv-json-8mib", S, "a JSON body of exactly 8,388,608 bytes (8 MiB)", "HTTP 422",
         "Additional property pad is not allowed", lambda c: _body_of(c, 8 * 1024 * 1024)),
    Case("srv-json-8mib-plus-1", S, "a JSON body of 8,388,609 bytes", "HTTP 413",
         "The request body is larger than 8 MiB (8,388,608 bytes)",
         lambda c: _body_of(c, 8 * 1024 * 1024 + 1)),
    Case("srv-4000-fields", S, "an upload with 4,000 extra form fields", "HTTP 413",
         'The form has more than 16 fields besides `content`', _many_fields),
    Case("srv-upload-declared-too-large", S, "POST /v1/files declaring Content-Length 200 MiB", "HTTP 413",
         "Files must be at most 100 MiB (104,857,600 bytes) in size", _declared_too_large),
    Case("srv-upload-100mib", S, "an upload of exactly 104,857,600 bytes", "HTTP 201", "size",
         lambda c: _upload_of(c, MAX_UPLOAD), limit=60),
    Case("srv-upload-100mib-plus-1", S, "an upload of 104,857,601 bytes (streamed)", "HTTP 413",
         "at most 100 MiB", lambda c: _upload_of(c, MAX_UPLOAD + 1), limit=60),
    Case("srv-upload-no-file", S, "POST /v1/files with no file part", "HTTP 400",
         'Send the file as multipart/form-data with a `content` part',
         lambda c: _post(c, "/v1/files", data={"metadata": "{}"})),
    Case("srv-upload-disconnect", S, "the client goes away halfway through an upload", "ok",
         "nothing is stored; the spool is emptied", _disconnect_mid_upload),
    Case("srv-prediction-404", S, "GET /v1/predictions/nope", "HTTP 404", "Prediction nope not found",
         lambda c: c.api().get("/v1/predictions/nope")),
    Case("srv-cancel-404", S, "POST /v1/predictions/nope/cancel", "HTTP 404", "Prediction nope not found",
         lambda c: _post(c, "/v1/predictions/nope/cancel")),
    Case("srv-file-404", S, "DELETE /v1/files/nope", "HTTP 404", "File nope not found",
         lambda c: c.api().delete("/v1/files/nope")),
    Case("srv-unknown-deployment", S, "POST /v1/deployments/acme/nope/predictions", "HTTP 404",
         "Deployment acme/nope does not exist on this local server (it serves: demo/grayscale-prod",
         lambda c: _post(c, "/v1/deployments/acme/nope/predictions", json=ECHO)),
    Case("srv-web-page-no-token", S, "GET /p/{id} (a prediction's web page) without the token", "HTTP 200",
         "shows a prediction only to whoever holds its API token", _web_page),
    Case("srv-web-page-bad-token", S, "GET /p/{id} with a wrong token", "HTTP 401",
         "You did not pass a valid authentication token", lambda c: _web_page(c, "r8_wrong")),
    Case("srv-upload-name-escape", S, "an upload named '../../x.txt', used as an input", "HTTP 201",
         "succeeded", _escaped_name),
]
# fmt: on
