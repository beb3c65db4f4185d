"""Cases of rw.batch and `replicate-widget batch`: what it takes as inputs, and the server's rate limit."""

from __future__ import annotations

import io
import json
from typing import Any

from . import Case

ECHO = {"text": "hi", "seconds": 0, "steps": 1}


def _batch(ctx: Any, inputs: Any, model: str = "demo/slow-echo", **options: Any) -> Any:
    options.setdefault("out", ctx.work / "out")
    return ctx.client.batch(model, inputs, **options).wait()


def _jsonl(ctx: Any) -> Any:
    path = ctx.work / "in.jsonl"
    path.write_text(json.dumps(ECHO) + "\n{not json}\n")
    return _batch(ctx, path)


def _out_is_a_file(ctx: Any) -> Any:
    (ctx.work / "taken").write_text("a file, not a folder")
    return _batch(ctx, [ECHO], out=ctx.work / "taken")


def _rate_limited(ctx: Any) -> Any:
    ctx.server.rate_limit = "60/min"  # a bucket of one: the second create at once is refused
    try:
        ctx.api().post("/v1/models/demo/slow-echo/predictions", json={"input": ECHO})
        return ctx.api().post("/v1/models/demo/slow-echo/predictions", json={"input": ECHO})
    finally:
        ctx.server.rate_limit = None


def _cli_failed_item(ctx: Any) -> Any:
    path = ctx.work / "in.jsonl"
    path.write_text(json.dumps({**ECHO, "fail": "kaboom"}) + "\n")
    return ctx.cli("batch", "demo/slow-echo", "--inputs", str(path), "--out", str(ctx.work / "out"))


P, C, S = "Python call", "CLI", "local server"
# fmt: off
CASES = [
    Case("batch-files-no-field", P, "rw.batch('demo/slow-echo', [photo.png]) (no file input)", "InputError",
         "it has no file input: pass field='name'", lambda c: _batch(c, [c.file("photo.png", 10)])),
    Case("batch-inputs-missing", P, "rw.batch(model, 'no-such-folder/')", "InputError",
         "is not a folder, a glob pattern or a .jsonl file", lambda c: _batch(c, str(c.work / "nowhere"))),
    Case("batch-inputs-one-dict", P, "rw.batch(model, {'text': 'hi'})", "InputError",
         "not one dict: wrap it in [...]", lambda c: _batch(c, ECHO)),
    Case("batch-glob-matches-nothing", P, "rw.batch(model, 'photos/*.jpg') matching no file", "InputError",
         "matches no file", lambda c: _batch(c, str(c.work / "*.jpg"), "demo/grayscale")),
    Case("batch-jsonl-bad-line", P, "a .jsonl whose line 2 is not JSON", "InputError",
         "line 2: not JSON", _jsonl),
    Case("batch-unkeepable-input", P, "rw.batch(model, [{'file': io.BytesIO(...)}])", "InputError",
         "Give files as paths (pathlib.Path or rw.LocalFile), or as bytes",
         lambda c: _batch(c, [{"text": io.BytesIO(b"x")}])),
    Case("batch-bad-rate", P, "rw.batch(..., rate=-1)", "InputError",
         "rate must be creates a minute", lambda c: _batch(c, [ECHO], rate=-1)),
    Case("batch-out-is-a-file", P, "rw.batch(..., out=an existing file)", "InputError",
         "is a file: give a folder", _out_is_a_file),
    Case("cli-batch-item-fails", C, "batch demo/slow-echo --inputs in.jsonl (an item fails)", "exit 1",
         "Add --retry-failed to the same command", _cli_failed_item),
    Case("server-rate-limit", S, "a create past --rate-limit 60/min", "HTTP 429",
         "Request was throttled (rate limit 60 creates a minute)", _rate_limited),
]
# fmt: on
