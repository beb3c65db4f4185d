"""What the catalogue's cases act with: the local server, a client, files (sparse where large), the widget's
front end played from Python, the CLI, and a redirecting origin. Heavy imports wait until a case runs, so
the unit tier (base install) can import the catalogue to render docs/errors.md."""

from __future__ import annotations

import _thread
import contextlib
import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

import replicate_widget as rw

MAX_UPLOAD = 104_857_600  # 100 MiB, the Files API's limit (inclusive)


class Ctx:
    """One case's surroundings: ``work`` holds the inputs a case makes; ``tmpdir`` is TMPDIR, to end empty."""

    def __init__(self, server: Any, work: Path, tmpdir: Path) -> None:
        self.server, self.work, self.tmpdir = server, work, tmpdir
        self.client = rw.Client(api_token=server.token, base_url=server.base_url)
        self._closers: list[Any] = []
        self.fixture: Any = None  # pytest's getfixturevalue, set by the test that runs the case

    # ---- files
    def file(self, name: str, size: int | None = None, data: bytes | None = None) -> Path:
        """A file of ``data``, or of ``size`` bytes: sparse (no memory, little disk), its last byte set."""
        path = self.work / name
        if data is not None:
            path.write_bytes(data)
        else:
            assert size is not None
            with path.open("wb") as f:
                f.truncate(size)
                if size:
                    f.seek(size - 1)
                    f.write(b"\x01")  # the last byte is not a hole: an off-by-one can't pass unseen
        return path

    # ---- the server
    def api(self, token: str | None = "") -> httpx.Client:
        headers = {} if token is None else {"authorization": f"Bearer {token or self.server.token}"}
        client = httpx.Client(base_url=self.server.base_url, headers=headers, trust_env=False, timeout=60)
        self._closers.append(client.close)
        return client

    def requests(self, method: str, suffix: str = "") -> list[dict[str, Any]]:
        return [e for e in self.server.log.entries if e["method"] == method and e["path"].endswith(suffix)]

    def prediction(self, prediction_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.api().get(f"/v1/predictions/{prediction_id}").json()
        return body

    def final(self, prediction_id: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = str(self.prediction(prediction_id)["status"])
            if status in ("succeeded", "failed", "canceled", "aborted") or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def created(self) -> str | None:
        """The id of the prediction the newest create made, once the server has made it."""
        ids = [e.get("prediction_id") for e in self.requests("POST", "/predictions")]
        return ids[-1] if ids and ids[-1] else None

    def interrupt_when(self, condition: Any, *delays: float, then: Any = None) -> None:
        """Once ``condition()`` holds, run ``then()`` (if given), and Ctrl-C after each of ``delays`` (from
        that moment, one after the other): tied to what happened, not to a clock a loaded machine outruns."""

        def watch() -> None:
            deadline = time.monotonic() + 30
            while not condition():
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
            if then is not None:
                then()
            for delay in delays:
                time.sleep(delay)
                _thread.interrupt_main()

        threading.Thread(target=watch, daemon=True).start()

    def interrupt_after(self, *seconds: float) -> None:
        """Ctrl-C in this (the main) thread after each delay, as a person at the keyboard would."""
        for delay in seconds:
            timer = threading.Timer(delay, _thread.interrupt_main)
            timer.daemon = True
            timer.start()
            self._closers.append(timer.cancel)

    def isolated(self, **serve_options: Any) -> Ctx:
        """A fresh server of its own, for a case that could break the shared one for the cases after it, or
        that needs more than it serves (``deployments=[...]``: see rw.local.serve)."""
        from replicate_widget.local import serve

        server = serve(**serve_options)
        other = Ctx(server, self.work, self.tmpdir)
        self._closers += [server.stop, other.close]
        return other

    def raw(self, head: bytes) -> bytes:
        """Send ``head`` on a plain socket (what httpx won't send: lying headers) and return the answer."""
        import socket

        host, port = self.server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head)
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer

    # ---- the widget
    def widget(self, **options: Any) -> Front:
        w = rw.FileInput(client=self.client, **{"upload": "on-run", **options})
        self._closers.append(w.close)
        return Front(w)

    # ---- the CLI
    def cli(self, *args: str, token: str | None = "") -> tuple[int, str]:
        """``replicate-widget ARGS`` in this process (its real entry point), with the server in the env."""
        from replicate_widget.cli import main

        env = {"REPLICATE_BASE_URL": self.server.base_url, "REPLICATE_API_TOKEN": token or self.server.token}
        out = io.StringIO()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update({k: v for k, v in env.items() if token is not None or k != "REPLICATE_API_TOKEN"})
        if token is None:
            os.environ.pop("REPLICATE_API_TOKEN", None)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    code = main(list(args))
                except SystemExit as exit_:  # argparse
                    code = int(exit_.code or 0)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return code, out.getvalue()

    def cli_process(self, *args: str) -> subprocess.Popen[str]:
        """``replicate-widget ARGS`` as its own process (for signals), TMPDIR pointed at the case's."""
        env = {
            **os.environ,
            "REPLICATE_BASE_URL": self.server.base_url,
            "REPLICATE_API_TOKEN": self.server.token,
            "TMPDIR": str(self.tmpdir),
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "replicate_widget.cli", *args],
            env=env,
            cwd=self.work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._closers.append(lambda: proc.poll() is None and proc.kill())
        return proc

    # ---- other origins
    def redirector(self, status: int = 307) -> tuple[str, list[dict[str, str]]]:
        """An origin that answers every request with a redirect to a second origin, which records headers."""
        seen: list[dict[str, str]] = []
        target = _serve(lambda h: _record(h, seen))
        source = _serve(lambda h: _redirect(h, status, target))
        self._closers += [target.shutdown, source.shutdown, target.server_close, source.server_close]
        return f"http://127.0.0.1:{source.server_port}", seen

    def close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        self.client.close()


class Front:
    """Plays the widget's front end: numbered requests through the kernel's real message handler."""

    def __init__(self, widget: Any, session: str = "page-1") -> None:
        self.w, self.session, self.rid = widget, session, 0
        self.replies: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.replies.append(content)

    def request(self, kind: str, buffers: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
        self.rid += 1
        self.w._handle_custom_msg({"kind": kind, "rid": self.rid, "session": self.session, **fields}, buffers)
        reply = self.replies[-1]
        assert reply["rid"] == self.rid, reply
        return reply

    def send(
        self, entry_id: str, name: str, source: bytes | Path, stop_at: int | None = None, chunk: int = 1 << 22
    ) -> dict[str, Any]:
        """begin + chunks, as the front end sends a picked file; stops early at ``stop_at`` bytes."""
        size = source.stat().st_size if isinstance(source, Path) else len(source)
        reply = self.request("begin", id=entry_id, name=name, size=size, type="application/octet-stream")
        if not reply["ok"]:
            return reply
        with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as f:
            offset = 0
            while offset < size and (stop_at is None or offset < stop_at):
                data = f.read(chunk)
                reply = self.request("chunk", [memoryview(data)], id=entry_id, offset=offset)
                if not reply["ok"]:
                    return reply
                offset += len(data)
        return reply

    def entry(self, index: int = 0) -> dict[str, Any]:
        entries: list[dict[str, Any]] = self.w.entries
        return entries[index]


def _serve(handle: Any) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            handle(self)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _redirect(handler: BaseHTTPRequestHandler, status: int, target: ThreadingHTTPServer) -> None:
    length = int(handler.headers.get("content-length") or 0)
    handler.rfile.read(length)
    handler.send_response(status)
    handler.send_header("Location", f"http://127.0.0.1:{target.server_port}{handler.path}")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _record(handler: BaseHTTPRequestHandler, seen: list[dict[str, str]]) -> None:
    seen.append({k.lower(): v for k, v in handler.headers.items()})
    body = json.dumps({"detail": "the other origin"}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def png(size: int | None = None) -> bytes:
    """A small valid PNG, padded after its end to ``size`` bytes (image readers ignore trailing bytes)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 10)).save(buf, format="PNG")
    data = buf.getvalue()
    return data if size is None else data + b"\x00" * (size - len(data))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ShortTimeouts(rw.Client):
    """The client with its read timeouts (30 s, or wait + 15 s) scaled down to ``seconds``, so that a case
    about a timeout doesn't take half a minute. Everything else is the real client and its real transport."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._transport = _ShortTransport(self._transport, seconds)


class _ShortTransport:
    def __init__(self, inner: Any, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    def send(self, call: Any) -> httpx.Response:
        response: httpx.Response = self.inner.send(dataclasses.replace(call, timeout=self.seconds))
        return response

    def start(self, call: Any) -> Any:
        return self.inner.start(dataclasses.replace(call, timeout=self.seconds))

    def upload(self, file: Any, progress: Any) -> str:
        url: str = self.inner.upload(file, progress)
        return url

    def close(self) -> None:
        self.inner.close()
