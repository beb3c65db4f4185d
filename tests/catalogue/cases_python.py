"""Cases entering through a Python call (``rw.run`` and friends): sizes at the limits, special files, schemes,
data URIs, numbers and types, unknown models and fields. The client is bound to the local server."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import replicate_widget as rw

from . import Case
from .support import MAX_UPLOAD, png

ECHO = {"text": "hi", "seconds": 0}
FAST = {"seconds": 0, "steps": 1}
IMAGE_URL = "https://127.0.0.1:9/x.png"  # never fetched: the input is refused before any request


def _run_file(ctx: Any, value: Any, **options: Any) -> Any:
    return ctx.client.run("demo/file-info", {"file": value}, **options)


def _echo(ctx: Any, **values: Any) -> Any:
    return ctx.client.run("demo/slow-echo", {"text": "hi", **FAST, **values})


def _file_arrived(ctx: Any, size: int, kind: str) -> None:
    out = _run_file(ctx, ctx.file("limit.bin", size))
    assert out["size"] == size, out
    [create] = ctx.requests("POST", "/predictions")
    assert create["inputs"]["file"]["kind"] == kind, create["inputs"]
    assert create["inputs"]["file"]["size"] == size
    assert len(ctx.requests("POST", "/v1/files")) == (kind == "file")


def _upload_at_limit(ctx: Any) -> None:
    """The upload a run makes for a 100 MiB file (the model's own download of it is not the point here)."""
    local = rw.LocalFile(ctx.file("limit.bin", MAX_UPLOAD))
    url = ctx.client.upload(local)
    [entry] = ctx.requests("POST", "/v1/files")
    assert entry["upload"]["size"] == MAX_UPLOAD
    assert entry["upload"]["sha256"] == local.sha256
    assert url.endswith(entry["upload"]["file_id"])


def _too_large(ctx: Any) -> None:
    try:
        _run_file(ctx, ctx.file("huge.bin", MAX_UPLOAD + 1))
    finally:
        assert ctx.server.log.entries == []  # refused before any request, the model lookup included


def _inline_budget(ctx: Any) -> None:
    """Six images of 999,999 bytes: 5,999,994 raw bytes would go inline; the largest goes up instead."""
    images = [ctx.file(f"{i}.png", data=png(999_999 - i)) for i in range(6)]
    ctx.client.run("demo/contact-sheet", {"images": images, "thumb_size": 32})
    [create] = ctx.requests("POST", "/predictions")
    kinds = [item["kind"] for item in create["inputs"]["images"]]
    assert kinds == ["file", "data-uri", "data-uri", "data-uri", "data-uri", "data-uri"], kinds


def _data_uri_at_budget(ctx: Any) -> None:
    out = _run_file(ctx, ctx.file("five.bin", 5_000_000), strategy="data-uri")
    assert out["size"] == 5_000_000
    assert ctx.requests("POST", "/v1/files") == []


def _bytes_left_behind(ctx: Any) -> None:
    assert _run_file(ctx, b"hello")["size"] == 5
    assert list(ctx.tmpdir.iterdir()) == [], "the temporary copy of a bytes input was left behind"


class _Zeros(io.RawIOBase):
    """A stream of ``size`` zero bytes that holds none of them in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _stream_too_large(ctx: Any) -> None:
    try:
        _run_file(ctx, io.BufferedReader(_Zeros(MAX_UPLOAD + 1)))
    finally:
        assert list(ctx.tmpdir.iterdir()) == [], "the spooled copy of a refused stream was left behind"


def _fifo(ctx: Any) -> Any:
    path = ctx.work / "pipe"
    os.mkfifo(path)
    return _run_file(ctx, path)


def _symlink(ctx: Any, target: Path) -> Path:
    link = ctx.work / "link"
    link.symlink_to(target)
    return link


def _symlink_to_file(ctx: Any) -> None:
    assert _run_file(ctx, _symlink(ctx, ctx.file("real.txt", data=b"followed")))["size"] == 8


def _proc_file(ctx: Any) -> None:
    assert Path("/proc/self/status").stat().st_size == 0  # what stat says; reading gives the contents
    assert _run_file(ctx, Path("/proc/self/status"))["size"] > 100


def _server_422(ctx: Any) -> None:
    version = ctx.api().get("/v1/models/demo/slow-echo").json()["latest_version"]["id"]
    ctx.client.run(version, {"text": 5})  # a bare version id: no schema to check against before sending


P = "Python call"
# fmt: off
CASES = [
    # ---- sizes at and around the limits
    Case("py-999999-inline", P, "a file of 999,999 bytes (strategy auto)", "ok",
         "sent inline as a data: URI; no upload", lambda c: _file_arrived(c, 999_999, "data-uri")),
    Case("py-1000000-upload", P, "a file of exactly 1,000,000 bytes", "ok",
         "uploaded through the Files API, then passed by URL", lambda c: _file_arrived(c, 1_000_000, "file")),
    Case("py-100mib-upload", P, "a file of exactly 104,857,600 bytes (100 MiB)", "ok",
         "uploaded whole through the Files API", _upload_at_limit, limit=60),
    Case("py-100mib-plus-1", P, "a file of 104,857,601 bytes", "InputError",
         "is 104,857,601 bytes; the API takes files up to 104,857,600 bytes (100 MiB). Set storage='s3://bucket/prefix'",
         _too_large),
    Case("py-inline-budget", P, "six files of ~999,999 bytes in one request (5,999,979 bytes)", "ok",
         "within the 5,000,000-byte inline budget the smaller five go inline; the largest is uploaded",
         _inline_budget),
    Case("py-data-uri-5000000", P, "strategy='data-uri', a file of exactly 5,000,000 bytes", "ok",
         "sent inline (a JSON body of about 6.7 MB); no upload", _data_uri_at_budget, limit=40),
    Case("py-data-uri-5000001", P, "strategy='data-uri', a file of 5,000,001 bytes", "InputError",
         "strategy='data-uri' would put 5,000,001 bytes inline; one request takes at most 5,000,000",
         lambda c: _run_file(c, c.file("over.bin", 5_000_001), strategy="data-uri")),
    Case("py-data-uri-100mib-plus-1", P, "strategy='data-uri', a file of 104,857,601 bytes", "InputError",
         "the API takes files up to 104,857,600 bytes",
         lambda c: _run_file(c, c.file("huge.bin", MAX_UPLOAD + 1), strategy="data-uri")),
    Case("py-stream-too-large", P, "a binary stream of 104,857,601 bytes (no name, not a file)", "InputError",
         "is 104,857,601 bytes; the API takes files up to 104,857,600", _stream_too_large),
    Case("py-bytes-temp-copy", P, "b'hello' as a file input", "ok",
         "sent inline; the temporary copy is removed when the run ends", _bytes_left_behind),
    # ---- empty and special files
    Case("py-empty-file", P, "an empty file (0 bytes)", "ok",
         "sent as an empty data: URI; the model gets 0 bytes",
         lambda c: _run_file(c, c.file("empty.txt", data=b""))),
    Case("py-directory", P, "Path to a directory", "InputError", "is a folder; give a file in it",
         lambda c: _run_file(c, c.work)),
    Case("py-fifo", P, "Path to a FIFO (named pipe) nobody writes to", "InputError",
         "is not a regular file (a pipe, socket or device); save its contents to a file", _fifo, limit=10),
    Case("py-dev-zero", P, "Path('/dev/zero') (a device)", "InputError",
         "'file': /dev/zero is not a regular file", lambda c: _run_file(c, Path("/dev/zero")), limit=10),
    Case("py-proc-file", P, "Path('/proc/self/status') (stat size 0, contents on read)", "ok",
         "its contents are read and sent", _proc_file),
    Case("py-symlink", P, "a symlink to a file", "ok", "followed; the target's bytes are sent",
         _symlink_to_file),
    Case("py-broken-symlink", P, "a symlink to nothing", "InputError", "'file': no such file:",
         lambda c: _run_file(c, _symlink(c, c.work / "gone"))),
    Case("py-missing-path", P, "Path('missing.png')", "InputError", "'file': no such file: missing.png",
         lambda c: _run_file(c, Path("missing.png"))),
    Case("py-missing-string", P, "'no/such.png' for a file input", "InputError",
         "'file' takes a file: 'no/such.png' is neither an existing file nor an http(s) URL",
         lambda c: _run_file(c, "no/such.png")),
    Case("py-text-mode", P, "a file opened in text mode", "InputError",
         "open the file in binary mode ('rb'), not text mode",
         lambda c: _run_file(c, io.TextIOWrapper(io.BytesIO(b"text")))),
    # ---- schemes and data URIs
    Case("py-scheme-ftp", P, "'ftp://example.com/x.png'", "InputError",
         "the scheme 'ftp:' is not supported; give an https: URL or a file",
         lambda c: _run_file(c, "ftp://example.com/x.png")),
    Case("py-scheme-file", P, "'file:///etc/hosts'", "InputError", "the scheme 'file:' is not supported",
         lambda c: _run_file(c, "file:///etc/hosts")),
    Case("py-data-uri-base64", P, "'data:image/png;base64,!!!'", "InputError",
         "the data URI's base64 does not decode", lambda c: _run_file(c, "data:image/png;base64,!!!")),
    Case("py-data-uri-no-comma", P, "'data:image/png;base64' (no comma, no payload)", "InputError",
         "broken data URI (expected data:<type>;base64,<data>)",
         lambda c: _run_file(c, "data:image/png;base64")),
    Case("py-data-uri-huge", P, "a data: URI string of 9,000,000 bytes given by hand", "APIError 413",
         'HTTP 413 Payload too large: The request body is larger than 8 MiB (8,388,608 bytes)',
         lambda c: _run_file(c, "data:text/plain;base64," + "QUFB" * 2_250_000), limit=40),
    Case("py-data-text", P, "{'text': 'data: quarterly numbers'} (a text field)", "ok",
         "text that starts with 'data:' is text where the schema says string",
         lambda c: _echo(c, text="data: quarterly numbers")),
    # ---- numbers and types
    Case("py-nan", P, "{'seconds': float('nan')}", "InputError",
         "'seconds' is nan: JSON carries only finite numbers; give a finite one.",
         lambda c: _echo(c, seconds=math.nan)),
    Case("py-inf", P, "{'seconds': float('inf')}", "InputError",
         "'seconds' is inf: JSON carries only finite numbers; give a finite one.",
         lambda c: _echo(c, seconds=math.inf)),
    Case("py-below-minimum", P, "{'seconds': -1}", "InputError", "'seconds' must be at least 0; got -1",
         lambda c: _echo(c, seconds=-1)),
    Case("py-above-maximum", P, "{'steps': 1001}", "InputError", "'steps' must be at most 1000; got 1001",
         lambda c: _echo(c, steps=1001)),
    Case("py-float-for-integer", P, "{'steps': 1.5}", "InputError",
         "'steps' must be an integer, got float 1.5", lambda c: _echo(c, steps=1.5)),
    Case("py-bool-for-number", P, "{'seconds': True}", "InputError", "'seconds' must be a number, got bool",
         lambda c: _echo(c, seconds=True)),
    Case("py-string-for-integer", P, "{'steps': '3'}", "InputError",
         "'steps' must be an integer, got str '3'", lambda c: _echo(c, steps="3")),
    Case("py-set-value", P, "{'text': {1, 2}} (not JSON)", "InputError", "'text' must be a string, got set",
         lambda c: _echo(c, text={1, 2})),
    Case("py-enum", P, "{'output_format': 'gif'} (choices png, jpeg, webp)", "InputError",
         "'output_format' must be one of 'png', 'jpeg', 'webp'; got 'gif'",
         lambda c: c.client.run("demo/grayscale", {"image": IMAGE_URL, "output_format": "gif"})),
    Case("py-input-not-a-dict", P, "rw.run('demo/slow-echo', ['hi'])", "InputError", "input must be a dict",
         lambda c: c.client.run("demo/slow-echo", ["hi"])),
    Case("py-model-not-a-string", P, "rw.run(42, {...})", 'InputError',
         "Model reference 42 not understood: use 'owner/name'", lambda c: c.client.run(42, ECHO)),
    Case("py-wait-not-a-number", P, "wait='soon'", "InputError", "wait must be True, False or seconds",
         lambda c: c.client.run("demo/slow-echo", ECHO, wait="soon")),
    Case("py-strategy", P, "strategy='fast'", "InputError",
         "strategy must be 'auto', 'data-uri', 'upload' or 'storage', not 'fast'",
         lambda c: _run_file(c, c.file("x.txt", data=b"x"), strategy="fast")),
    Case("py-stream-wait", P, "rw.stream(..., wait=True)", "TypeError", "wait",
         lambda c: list(c.client.stream("demo/story", {"sentences": 1}, wait=True))),
    # ---- unknown model, version, field
    Case("py-bad-reference", P, "'not a ref' as the model", "InputError",
         "Model reference 'not a ref' not understood: use 'owner/name'",
         lambda c: c.client.run("not a ref", {})),
    Case("py-unknown-model", P, "'demo/nope'", "APIError 404",
         "Model demo/nope does not exist on this local server (it serves:",
         lambda c: c.client.run("demo/nope", {})),
    Case("py-unknown-version", P, "'demo/slow-echo:000…0' (64 hex digits)", "APIError 404", "Version 0000",
         lambda c: c.client.run("demo/slow-echo:" + "0" * 64, ECHO)),
    Case("py-unknown-bare-version", P, "'000…0' (a bare version id nobody has)", "APIError 422",
         "does not exist here", lambda c: c.client.run("0" * 64, ECHO)),
    Case("py-unknown-deployment", P, "'deployments/acme/nope'", "APIError 404",
         "Deployment acme/nope does not exist on this local server",
         lambda c: c.client.run("deployments/acme/nope", {"text": "hi"})),
    Case("py-unknown-field", P, "{'text': 'hi', 'nope': 1}", "InputError",
         "'nope' is not an input of this model (its inputs: text, seconds, steps, fail)",
         lambda c: _echo(c, nope=1)),
    Case("py-missing-field", P, "{} for a model that requires 'text'", "InputError", "'text' is required",
         lambda c: c.client.run("demo/slow-echo", {})),
    Case("py-server-422", P, "{'text': 5} to a bare version id (checked by the server)", "APIError 422",
         "input.text: text must be of type string, got int", _server_422),
]
# fmt: on
