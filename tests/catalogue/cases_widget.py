"""Cases entering through rw.FileInput: the kernel's real message handler, fed what the front end sends
(tests/browser/ drives the same paths from a real JupyterLab page: reload, kernel restart, 100 MiB picks)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from replicate_widget.wire.protocol import PROTOCOL_VERSION

from . import Case
from .support import MAX_UPLOAD, Front


def _begin(ctx: Any, size: int, name: str = "f.bin", **extra: Any) -> dict[str, Any]:
    reply: dict[str, Any] = ctx.widget().request(
        "begin", id="e1", name=name, size=size, type="application/octet-stream", **extra
    )
    return reply


def _at_limit(ctx: Any) -> None:
    front = ctx.widget()
    source = ctx.file("limit.bin", MAX_UPLOAD)
    assert front.send("e1", "limit.bin", source)["complete"]
    [f] = front.w.files
    assert f.size == MAX_UPLOAD
    assert f.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def _past_the_end(ctx: Any) -> dict[str, Any]:
    front = ctx.widget()
    front.request("begin", id="e1", name="f.bin", size=10, type="")
    return front.request("chunk", [memoryview(b"x" * 11)], id="e1", offset=0)


def _reload(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "half.bin", os.urandom(40_000), stop_at=20_000, chunk=10_000)
    Front(front.w, "page-2").request(
        "hello", version=PROTOCOL_VERSION
    )  # the reloaded page says hello from a new session
    entry = front.entry()
    assert entry["state"] == "error", entry
    assert front.w.files == []
    front.w.inputs  # noqa: B018 - raises TransferError


def _keyed_half(ctx: Any, data: bytes) -> Any:
    """Half of ``data`` sent as today's front end sends it: with the key that recognises the file later."""
    front = ctx.widget()
    key = {"last_modified": 1_700_000_000_000, "head_sha256": hashlib.sha256(data[:65536]).hexdigest()}
    assert front.request("begin", id="e1", name="big.bin", size=len(data), type="", **key)["ok"]
    for offset in range(0, len(data) // 2, 10_000):
        front.request("chunk", [memoryview(data[offset : offset + 10_000])], id="e1", offset=offset)
    return front, key


def _reload_paused(ctx: Any) -> None:
    front, _ = _keyed_half(ctx, os.urandom(40_000))
    Front(front.w, "page-2").request("hello", version=PROTOCOL_VERSION)
    assert front.entry()["state"] == "paused", front.entry()
    front.w.inputs  # noqa: B018 - raises TransferError


def _reload_resumed(ctx: Any) -> None:
    data = os.urandom(40_000)
    front, key = _keyed_half(ctx, data)
    page2 = Front(front.w, "page-2")
    page2.request("hello", version=PROTOCOL_VERSION)
    reply = page2.request("begin", id="e9", name="big.bin", size=len(data), type="", **key)
    assert reply["id"] == "e1", reply  # the paused entry goes on
    assert reply["have"] == [[0, 20_000]], reply
    for offset in range(20_000, len(data), 10_000):
        last = page2.request("chunk", [memoryview(data[offset : offset + 10_000])], id="e1", offset=offset)
    assert last["sha256"] == hashlib.sha256(data).hexdigest()
    assert [e["state"] for e in front.w.entries] == ["ready"]


def _restart(ctx: Any) -> dict[str, Any]:
    """The kernel restarted mid-transfer: a new widget (the old state is gone) gets the page's next chunk."""
    front = ctx.widget()
    front.send("e1", "half.bin", os.urandom(40_000), stop_at=20_000, chunk=10_000)
    fresh = ctx.widget()
    return fresh.request("chunk", [memoryview(b"y" * 10_000)], id="e1", offset=20_000)


def _dropped_socket(ctx: Any) -> None:
    """The socket dropped; on reconnect the page resends its begin and every chunk not acknowledged."""
    front = ctx.widget()
    data = os.urandom(50_000)
    front.send("e1", "resume.bin", data, stop_at=30_000, chunk=10_000)
    assert front.request("begin", id="e1", name="resume.bin", size=len(data), type="")["ok"]
    for offset in (20_000, 30_000, 40_000):  # 20,000 arrived before the cut; its ack was lost
        reply = front.request("chunk", [memoryview(data[offset : offset + 10_000])], id="e1", offset=offset)
        assert reply["ok"], reply
    assert reply["sha256"] == hashlib.sha256(data).hexdigest()
    assert front.w.files[0].read() == data


def _run_while_arriving(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "half.bin", os.urandom(40_000), stop_at=20_000, chunk=10_000)
    front.w.run("demo/file-info")


def _two_files_one_input(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "a.txt", b"one")
    front.send("e2", "b.txt", b"two")
    front.w.run("demo/file-info")


def _one_file(ctx: Any, data: bytes = b"hello") -> Front:
    front: Front = ctx.widget()
    front.send("e1", "a.txt", data)
    return front


def _eager_upload_503(ctx: Any) -> None:
    ctx.server.faults.fail("POST /v1/files", status=503)
    front = ctx.widget(upload="eager")
    front.send("e1", "big.bin", os.urandom(1_000_000))
    front.w._zone.wait_uploads()
    assert "upload failed, run will retry" in front.entry()["error"]
    assert front.w.run("demo/file-info")["size"] == 1_000_000
    assert [e["status"] for e in ctx.requests("POST", "/v1/files")] == [503, 201]


def _eager_upload_429(ctx: Any) -> None:
    ctx.server.faults.rate_limit("POST /v1/files", times=2, retry_after=0.2)
    front = ctx.widget(upload="eager")
    front.send("e1", "big.bin", os.urandom(1_000_000))
    front.w._zone.wait_uploads()
    assert front.entry()["state"] == "uploaded", front.entry()
    assert [e["status"] for e in ctx.requests("POST", "/v1/files")] == [429, 429, 201]


def _model_fails(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "a.txt", b"x")
    try:
        front.w.run("demo/grayscale")  # a text file is no image: the model fails
    finally:
        assert front.w.status == "failed"


def _close_mid_transfer(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "half.bin", os.urandom(40_000), stop_at=20_000, chunk=10_000)
    front.w.close()
    assert list(ctx.tmpdir.iterdir()) == []


def _path_tricks(ctx: Any) -> None:
    front = ctx.widget()
    front.send("e1", "../../escape.txt", b"inside")
    [f] = front.w.files
    assert f.path.parent.parent == front.w._zone.folder, f.path
    assert f.read() == b"inside"


def _fail(message: str) -> None:
    raise AssertionError(message)


def _raw(ctx: Any, content: Any) -> dict[str, Any]:
    front = ctx.widget()
    front.w._handle_custom_msg(content, None)
    reply: dict[str, Any] = front.replies[-1]
    return reply


def _same_id(ctx: Any) -> dict[str, Any]:
    front = ctx.widget()
    front.request("begin", id="e1", name="a.bin", size=10, type="")
    return front.request("begin", id="e1", name="b.bin", size=20, type="")


W = "widget"
# fmt: off
CASES = [
    Case("w-100mib-plus-1", W, "a picked file of 104,857,601 bytes", "reply too-large",
         'is 104,857,601 bytes; this widget takes files up to 104,857,600 bytes. For bigger files',
         lambda c: _begin(c, MAX_UPLOAD + 1)),
    Case("w-100mib", W, "a picked file of exactly 104,857,600 bytes", "ok",
         "arrives whole; its sha256 matches", _at_limit, limit=60),
    Case("w-empty-file", W, "an empty file", "ok", "ready at once, sha256 of nothing",
         lambda c: _one_file(c, b"").entry()["state"] == "ready" or _fail("not ready")),
    Case("w-negative-size", W, "a begin announcing -1 bytes", "reply bad-message",
         "A file size can't be negative", lambda c: _begin(c, -1)),
    Case("w-chunk-past-end", W, "a chunk past the announced size", "reply size-mismatch",
         "falls outside the announced 10 bytes", _past_the_end),
    Case("w-chunk-no-buffer", W, "a chunk without its binary buffer", "reply bad-message",
         "A chunk carries exactly one binary buffer",
         lambda c: c.widget().request("chunk", None, id="e1", offset=0)),
    Case("w-not-an-object", W, "a message that is not an object", "reply bad-message",
         "A message must be an object", lambda c: _raw(c, "hello")),
    Case("w-unknown-kind", W, "a message of an unknown kind", "reply bad-message",
         "Unknown message kind 'shout'", lambda c: c.widget().request("shout")),
    Case("w-same-id-other-file", W, "a second begin under an id that holds another file", "reply bad-message",
         "already holds a file", _same_id),
    Case("w-url-javascript", W, "a pasted 'javascript:alert(1)'", "reply bad-message",
         "Only http(s) URLs can be added",
         lambda c: c.widget().request("url", id="u1", url="javascript:alert(1)")),
    Case("w-url-file", W, "a pasted 'file:///etc/passwd'", "reply bad-message",
         "Only http(s) URLs can be added",
         lambda c: c.widget().request("url", id="u1", url="file:///etc/passwd")),
    Case("w-name-path-tricks", W, "a file named '../../escape.txt'", "ok",
         "spooled inside the widget's private folder under a safe name", _path_tricks),
    Case("w-reload", W, "the page reloads while a file is half sent (sent without the file's key)",
         "TransferError",
         "did not arrive whole (lost: pick again (the page was reloaded while it was arriving))", _reload),
    Case("w-reload-paused", W, "the page reloads while a file is half sent (the file's key was sent)",
         "TransferError", "is paused at 50% (the page was reloaded while it", _reload_paused),
    Case("w-reload-repick", W, "…and the same file is picked again on the new page", "ok",
         "the paused entry goes on in place from byte 20,000; sha256 right", _reload_resumed),
    Case("w-kernel-restart", W, "the kernel restarts while a file is half sent", "reply unknown-entry",
         "The kernel has no transfer for this file (it restarted, or the entry was removed): pick the file",
         _restart),
    Case("w-dropped-socket", W, "the socket drops mid-transfer; the page resends what was not acknowledged",
         "ok", "duplicates are accepted once; the file arrives whole, sha256 right", _dropped_socket),
    Case("w-close-mid-transfer", W, "the widget is closed while a file is half sent", "ok",
         "its spool folder is removed", _close_mid_transfer),
    Case("w-run-while-arriving", W, "w.run(...) while a file is still arriving", "TransferError",
         "is still on its way to the kernel (50% received). Wait until the widget shows it ready",
         _run_while_arriving),
    Case("w-two-files-one-input", W, "w.run on a one-file input with two files", "InputError",
         "takes one file and the widget holds 2: use w.run_batch(...)", _two_files_one_input),
    Case("w-unknown-field", W, "w.run(..., field='nope')", "InputError",
         "demo/file-info has no file input named 'nope' (its file inputs: file)",
         lambda c: _one_file(c).w.run("demo/file-info", field="nope")),
    Case("w-no-file-input", W, "w.run on a model without file inputs", "InputError",
         "demo/slow-echo takes no file input, so the widget's files have nowhere to go",
         lambda c: _one_file(c).w.run("demo/slow-echo", {"text": "x"})),
    Case("w-batch-empty", W, "w.run_batch with no files", "InputError",
         "The widget holds no files: pick, drop or paste some first",
         lambda c: c.widget().w.run_batch("demo/file-info")),
    Case("w-upload-option", W, "rw.FileInput(upload='sometimes')", "ValueError",
         'upload must be "eager" or "on-run"', lambda c: c.widget(upload="sometimes")),
    Case("w-eager-upload-503", W, "503 on the eager upload", "ok",
         "the row says 'upload failed, run will retry'; w.run uploads again and runs", _eager_upload_503),
    Case("w-eager-upload-429", W, "two 429s on the eager upload", "ok", "retried; the row ends 'uploaded'",
         _eager_upload_429),
    Case("w-model-fails", W, "w.run of an image model on a text file", "ModelError", "failed:", _model_fails),
]
# fmt: on
