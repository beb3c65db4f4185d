"""Cases of issue 22 about the local server under abuse (half-open connections, a stop with requests held,
a full disk, active output files) and the CLI at its edges (a reader that leaves, a full disk)."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from replicate_widget.local import connections
from replicate_widget.local import multipart as server_uploads

from . import Case
from .support import png

HALF_OPEN = 300


def _sockets(ctx: Any, count: int, partial: bool) -> list[socket.socket]:
    port = int(ctx.server.base_url.rsplit(":", 1)[1])
    opened = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        if partial and i % 2:
            s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")  # headers begun, never ended
        opened.append(s)
    return opened


def _closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset: closed too


def _half_open(ctx: Any) -> None:
    ctx.fixture("monkeypatch").setattr(connections, "HEADER_TIMEOUT", 1.0)
    held = _sockets(ctx, HALF_OPEN, partial=True)
    try:
        api = ctx.api()
        for _ in range(10):  # normal requests answer meanwhile
            assert api.get("/v1/models/demo/slow-echo").status_code == 200
        time.sleep(1.5)
        closed = sum(_closed_by_server(s, 2.0) for s in held)
        assert closed == HALF_OPEN, f"{closed} of {HALF_OPEN} half-open connections closed by the server"
        assert api.get("/v1/models/demo/slow-echo").status_code == 200
    finally:
        for s in held:
            s.close()
    _, err = ctx.fixture("capfd").readouterr()
    assert len(err) < 2000, err[:2000]  # the flood writes (almost) nothing
    assert "Traceback" not in err


def _connection_cap(ctx: Any) -> None:
    """Past the cap a new connection is closed at once: file descriptors stay bounded under a flood."""
    ctx.fixture("monkeypatch").setattr(connections, "MAX_CONNECTIONS", 40)
    held = _sockets(ctx, 100, partial=False)
    try:
        closed = sum(_closed_by_server(s, 0.5) for s in held)
        assert closed >= 55, f"only {closed} of 100 connections past a cap of 40 were closed"
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)
    assert ctx.api().get("/v1/models/demo/slow-echo").status_code == 200  # once they are gone


def _output(ctx: Any, name: str, content_type: str, data: bytes) -> httpx.Response:
    """An output file as the server keeps one (a Cog worker's upload), fetched from its URL."""
    folder = ctx.server._state.outputs / f"case{time.monotonic_ns()}"
    folder.mkdir()
    (folder / name).write_bytes(data)
    (folder / ".content-type").write_text(content_type)
    return ctx.api(token=None).get(f"/_outputs/{folder.name}/{name}")


def _active_outputs(ctx: Any) -> None:
    page = b"<script>fetch('/v1/account', {headers: {authorization: localStorage.token}})</script>"
    for name, kind in (("x.html", "text/html"), ("x.svg", "image/svg+xml"), ("x.xml", "application/xml")):
        answer = _output(ctx, name, kind, page)
        assert answer.headers["content-disposition"].startswith("attachment"), (name, answer.headers)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"].startswith("sandbox")
    # an uploaded file, fetched as a model fetches it (its signed link, no token), is as inert
    record = ctx.api().post("/v1/files", files={"content": ("page.html", page, "text/html")}).json()
    files = ctx.server._state.files
    blob = ctx.api(token=None).get(files.download_path(files.get(record["id"])))
    assert blob.headers["content-disposition"].startswith("attachment")
    assert blob.headers["x-content-type-options"] == "nosniff"
    assert blob.headers["content-security-policy"].startswith("sandbox")
    shown = _output(ctx, "y.png", "image/png", png())
    assert "content-disposition" not in shown.headers  # an image still shows where it is linked
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-security-policy"].startswith("sandbox")


_STOP_SCRIPT = r"""
import sys, threading, time
import httpx
from replicate_widget.local import serve

local = serve()
answers = []
headers = {"authorization": f"Bearer {local.token}", "prefer": "wait=60"}
body = {"input": {"text": "held", "seconds": 30}}

def create():
    with httpx.Client(base_url=local.base_url, headers=headers, timeout=60) as http:
        answers.append(http.post("/v1/models/demo/slow-echo/predictions", json=body).status_code)

threads = [threading.Thread(target=create) for _ in range(20)]
for t in threads:
    t.start()
deadline = time.monotonic() + 30
while len([e for e in local.log.entries if e.get("prediction_id")]) < 20 and time.monotonic() < deadline:
    time.sleep(0.05)
local.stop()
for t in threads:
    t.join(10)
print(sorted(answers))
"""


def _stop_with_waiting(ctx: Any) -> None:
    """20 creates held by `Prefer: wait` when a server stops, in a process of its own (whose stderr is what a
    terminal shows): each is answered, and nothing is printed (it was one traceback each)."""
    env = {**os.environ, "TMPDIR": str(ctx.tmpdir), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _STOP_SCRIPT], env=env, capture_output=True, text=True, timeout=80, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str([202] * 20), done.stdout  # accepted, still running: as it is
    assert done.stderr.strip() == "", done.stderr[-3000:]


class _FullDisk:
    """A file whose writes fail as a full disk's do, after writing part of what they were given."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: bytes) -> int:
        self._inner.write(bytes(data[: len(data) // 2]))
        self._inner.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


def _fill_disk(ctx: Any, folder: Path) -> None:
    """Every file opened for writing under ``folder`` from now on hits a full disk (at the OS boundary)."""
    real = Path.open

    def opened(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        f = real(self, mode, *args, **kwargs)
        return _FullDisk(f) if "w" in mode and folder in self.parents else f

    ctx.fixture("monkeypatch").setattr(Path, "open", opened)


def _gray(ctx: Any) -> Any:
    return ctx.client.run("demo/grayscale", {"image": ctx.file("a.png", data=png())})


def _save_on_full_disk(ctx: Any) -> None:
    out = _gray(ctx)
    folder = ctx.work / "out"
    folder.mkdir()
    _fill_disk(ctx, folder)
    try:
        out.save(folder / "gray.png")
    finally:
        assert list(folder.iterdir()) == [], "a truncated output was left"


def _spool_on_full_disk(ctx: Any) -> None:
    _fill_disk(ctx, ctx.tmpdir)
    ctx.client.run("demo/file-info", {"file": b"bytes are spooled to a temporary file"})


def _cli_on_full_disk(ctx: Any) -> tuple[int, str]:
    folder = ctx.work / "out"
    folder.mkdir()
    _fill_disk(ctx, folder)
    result: tuple[int, str] = ctx.cli(
        "run", "demo/grayscale", "-i", f"image=@{ctx.file('a.png', data=png())}", "-o", str(folder)
    )
    assert list(folder.iterdir()) == [], "a truncated output was left"
    return result


def _server_disk_full(ctx: Any) -> httpx.Response:
    real = os.fdopen
    ctx.fixture("monkeypatch").setattr(server_uploads.os, "fdopen", lambda *a, **k: _FullDisk(real(*a, **k)))
    spool = ctx.server._state.files.spool
    before = set(spool.iterdir()) if spool.exists() else set()
    files = {"content": ("a.bin", b"x" * 200_000, "application/octet-stream")}
    answer: httpx.Response = ctx.api().post("/v1/files", files=files)
    assert (set(spool.iterdir()) if spool.exists() else set()) == before, "the partial spool file was left"
    return answer


def _broken_pipe(ctx: Any) -> tuple[int, str]:
    """`replicate-widget run ... | head -c 0`: the reader is gone before the output is printed."""
    env = {
        **os.environ,
        "REPLICATE_BASE_URL": ctx.server.base_url,
        "REPLICATE_API_TOKEN": ctx.server.token,
        "TMPDIR": str(ctx.tmpdir),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    read, write = os.pipe()
    os.close(read)  # nobody will read stdout
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "replicate_widget.cli",
                "run",
                "demo/slow-echo",
                "-i",
                "text=" + "x" * 1000,
                "-i",
                "seconds=0",
            ],
            env=env,
            cwd=ctx.work,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert "BrokenPipe" not in done.stderr, done.stderr
    return done.returncode, done.stderr


S, P, C = "local server", "Python call", "CLI"
# fmt: off
CASES = [
    Case("srv-half-open-connections", S, f"{HALF_OPEN} connections that send no (or half a) request", "ok",
         "normal requests still answer; each is closed after the header timeout (10 s); stderr stays quiet",
         _half_open, limit=60),
    Case("srv-connection-cap", S, "connections past the cap (1000, or 1/4 of the descriptor limit)", "ok",
         "closed at once, holding no descriptor; uvicorn's limit_concurrency answers 503 just before",
         _connection_cap, limit=30),
    Case("srv-active-output", S, "an HTML, SVG or XML output (or uploaded) file opened from its URL", "ok",
         "served as an attachment with X-Content-Type-Options: nosniff and a sandboxing CSP; images inline",
         _active_outputs),
    Case("srv-stop-with-waiting", S, "stop() while 20 creates wait on Prefer: wait", "ok",
         "each held request answers (202, the prediction as it is); nothing is logged", _stop_with_waiting,
         limit=90),
    Case("srv-disk-full-upload", S, "POST /v1/files when the server's disk is full", "HTTP 507",
         "No space left on the local server's disk", _server_disk_full),
    Case("py-disk-full-save", P, "FileOutput.save on a full disk", "DiskFullError",
         "No space left on the disk holding", _save_on_full_disk),
    Case("py-disk-full-spool", P, "bytes as a file input when TMPDIR's disk is full", "DiskFullError",
         "No space left on the disk holding", _spool_on_full_disk),
    Case("cli-disk-full", C, "run ... -o out/ on a full disk", "exit 1",
         "error: No space left on the disk holding", _cli_on_full_disk),
    Case("cli-broken-pipe", C, "run ... | head (the reader gone before the output)", "exit 141", "",
         _broken_pipe, limit=60),
    Case("py-413-long-text", P, "a text input of 9,000,000 characters", "APIError 413",
         "the input's values together are too large. Shorten long text",
         lambda c: c.client.run("demo/slow-echo", {"text": "x" * 9_000_000, "seconds": 0}), limit=40),
]
# fmt: on
