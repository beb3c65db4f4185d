"""Cases entering through the CLI: `replicate-widget run ...` in this process (its real entry point), and as
its own process where a signal is the input."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from . import Case


def _run(ctx: Any, *args: str, token: str | None = "") -> tuple[int, str]:
    result: tuple[int, str] = ctx.cli("run", *args, token=token)
    return result


def _sigint(ctx: Any) -> tuple[int, str]:
    """SIGINT into a running `replicate-widget run` process (Ctrl-C in a terminal signals the process)."""
    proc = ctx.cli_process("run", "demo/slow-echo", "-i", "text=stop", "-i", "seconds=5")
    _wait_for(ctx, ctx.created)  # the server has made the prediction; the create is held (Prefer: wait=1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert ctx.final(ctx.created()) == "canceled", out
    return proc.returncode, out


def _sigint_twice(ctx: Any) -> tuple[int, str]:
    """Ctrl-C while the create waits (another process made the same prediction meanwhile), and again while
    it waits for the answer to cancel by id. In this process: the watcher raises KeyboardInterrupt in the
    main thread as SIGINT's handler does, at moments tied to the server's log (a subprocess can't be pinned
    down so)."""
    body = {"input": {"text": "leave me", "seconds": 3}}
    twin: dict[str, Any] = {}

    def create_twin() -> None:
        twin.update(ctx.api().post("/v1/models/demo/slow-echo/predictions", json=body).json())

    ctx.interrupt_when(ctx.created, 0.2, 0.3, then=create_twin)  # both within the create's 1 s hold
    code, out = _run(ctx, "demo/slow-echo", "-i", "text=leave me", "-i", "seconds=3")
    ours = ctx.requests("POST", "/predictions")[0]["prediction_id"]
    assert ctx.requests("POST", "/cancel") == []
    assert ctx.final(ours) == "succeeded"
    assert ctx.final(twin["id"]) == "succeeded"
    return code, out


def _wait_for(ctx: Any, condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def _output_is_a_file(ctx: Any) -> tuple[int, str]:
    blocker = ctx.file("out", data=b"not a folder")
    return _run(ctx, "demo/grayscale", "-i", f"image=@{ctx.file('a.png', data=_png())}", "-o", str(blocker))


def _png() -> bytes:
    from .support import png

    return png()


def _env_with_nothing_running(ctx: Any) -> tuple[int, str]:
    """`replicate-widget env` where no server noted itself (an empty state folder of the case's own)."""
    saved = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(ctx.work / "state")
    try:
        return _cli(ctx, "env")
    finally:
        if saved is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = saved


def _cli(ctx: Any, *args: str) -> tuple[int, str]:
    result: tuple[int, str] = ctx.cli(*args)
    return result


C = "CLI"
# fmt: off
CASES = [
    Case("cli-env-nothing-running", C, "env, with no local server running", "exit 1",
         "No local server is running. Start one with `replicate-widget serve`", _env_with_nothing_running),
    Case("cli-no-equals", C, "run demo/slow-echo -i nonsense", "exit 1",
         "error: -i 'nonsense': expected NAME=VALUE.", lambda c: _run(c, "demo/slow-echo", "-i", "nonsense")),
    Case("cli-missing-file", C, "run demo/file-info -i file=@missing.png", "exit 1",
         "error: 'file': no such file", lambda c: _run(c, "demo/file-info", "-i", "file=@missing.png")),
    Case("cli-bad-number", C, "run demo/slow-echo -i text=x -i seconds=abc", "exit 1",
         "'seconds' must be a number, got str 'abc'",
         lambda c: _run(c, "demo/slow-echo", "-i", "text=x", "-i", "seconds=abc")),
    Case("cli-unknown-model", C, "run demo/nope", "exit 1", "error: HTTP 404 Model not found",
         lambda c: _run(c, "demo/nope")),
    Case("cli-no-token", C, "run ... with no REPLICATE_API_TOKEN", "exit 1",
         'error: no API token is configured. Set one in this shell:',
         lambda c: _run(c, "demo/slow-echo", "-i", "text=x", token=None)),
    Case("cli-model-fails", C, "run demo/slow-echo -i fail=kaboom", "exit 1", "RuntimeError: kaboom",
         lambda c: _run(c, "demo/slow-echo", "-i", "text=x", "-i", "seconds=0", "-i", "fail=kaboom")),
    Case("cli-output-is-a-file", C, "run ... -o path-of-an-existing-file", "exit 1",
         "error: the output folder", _output_is_a_file),
    Case("cli-unknown-command", C, "replicate-widget fly", "exit 2", "invalid choice: 'fly'",
         lambda c: c.cli("fly")),
    Case("cli-ctrl-c", C, 'Ctrl-C (SIGINT) while the create waits on a 5 s run', "exit 130",
         "Interrupted: canceled prediction", _sigint, limit=40),
    Case("cli-ctrl-c-twice", C, 'Ctrl-C while the create waits (a twin prediction exists), then Ctrl-C again',
         "exit 130", "Ctrl-C again leaves it running", _sigint_twice, limit=40),
]
# fmt: on
