"""One Cog HTTP server subprocess per model: start, health, submit, cancel, stop.

The server talks to Cog as Replicate's own infrastructure does: `Prefer: respond-async` with a webhook back to
this server (live logs, partial output, the final state) and `--upload-url` so output files are PUT to us.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .registry import ModelSpec

SETUP_TIMEOUT = 120.0
_STOP_GRACE = 3.0


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a preexec hook so a Cog server dies with us even if we are killed without cleanup."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


_PREEXEC = _die_with_parent()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WorkerFailed(Exception):
    """The Cog process could not start, or died; the message says which model and why."""


class SlotsBusy(Exception):
    """Cog answered 409: every slot busy. Not a failure: Cog frees a slot a moment after its final webhook."""


class CogProcess:
    """One Cog HTTP server subprocess (coglet spawns its own Python worker beneath it)."""

    def __init__(self, spec: ModelSpec, workdir: Path, webhook_url: str, upload_url: str) -> None:
        self.spec = spec
        self.workdir = workdir
        self.webhook_url = webhook_url
        self.upload_url = upload_url
        self.port = _free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.exited = asyncio.Event()
        self.broken = False  # coglet lost its Python child: alive, but fails everything from now on
        self.log_path = workdir / "cog.log"
        self._client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", trust_env=False, timeout=30
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # coglet spawns its worker as a bare `python`: our interpreter's bin dir must come first on PATH.
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env["PORT"] = str(self.port)
        env["COG_PREDICT_TYPE_STUB"] = f"{self.spec.predictor}:{self.spec.class_name}"
        env["COG_MAX_CONCURRENCY"] = str(self.spec.concurrency)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.spec.predictor.parent), env.get("PYTHONPATH")])
        )
        env["PYTHONUNBUFFERED"] = "1"
        # Downloaded inputs and the folders models write outputs to live in the worker's directory, which
        # goes when the server stops, instead of piling up in the machine's /tmp.
        env["TMPDIR"] = str(self.workdir / "tmp")
        env.pop("REPLICATE_API_TOKEN", None)  # a model has no business with the user's token
        # Cog downloads inputs from this server: never through a proxy.
        for key in ("NO_PROXY", "no_proxy"):
            env[key] = ",".join(filter(None, ["127.0.0.1", "localhost", env.get(key)]))
        return env

    async def start(self) -> None:
        if importlib.util.find_spec("cog") is None:
            raise WorkerFailed(
                f"{self.spec.ref}: Cog is not installed, so no model can run. Install it with "
                "pip install 'replicate-widget[local]' (coglet has wheels for Linux x86-64 and macOS arm64)."
            )
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        if self.spec.schema is not None:
            # Cog reads the schema from .cog/ in its working directory; a per-worker directory keeps the
            # package's files untouched (and works from an installed wheel, which has no dot-dirs).
            (self.workdir / ".cog").mkdir(parents=True, exist_ok=True)
            (self.workdir / ".cog" / "openapi_schema.json").write_text(json.dumps(self.spec.schema))
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "cog.server.http", "--host", "127.0.0.1", "--upload-url", self.upload_url),
                cwd=self.workdir,
                env=self._env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_PREEXEC,  # only a prctl call, resolved before any fork
            )
        asyncio.get_running_loop().create_task(self._watch())
        await self._wait_ready()

    async def _watch(self) -> None:
        assert self.proc is not None
        await self.proc.wait()
        self._kill_group(signal.SIGKILL)  # coglet's own worker child must not outlive it
        self.exited.set()

    async def _wait_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETUP_TIMEOUT
        while loop.time() < deadline:
            if self.exited.is_set():
                raise WorkerFailed(f"{self.spec.ref}: the Cog server exited during setup:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                health = (await self._client.get("/health-check", timeout=2)).json()
                if health.get("status") in ("READY", "BUSY"):
                    return
                if health.get("status") in ("SETUP_FAILED", "DEFUNCT"):
                    problem = "the predictor failed to start (fix it, then run again)"
                    raise WorkerFailed(f"{self.spec.ref}: {problem}:\n{self.log_tail()}")
            await asyncio.sleep(0.05)
        raise WorkerFailed(
            f"{self.spec.ref}: Cog did not become ready in {SETUP_TIMEOUT:.0f} s.\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 10) -> str:
        """What Cog said that matters: its warnings and errors, and any plain output (tracebacks)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        kept = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                kept.append(line)
                continue
            if isinstance(record, dict) and record.get("level") in ("WARN", "ERROR"):
                fields = record.get("fields", {})
                kept.append(f"{record['level']}: {fields.get('error') or fields.get('message')}")
        return "\n".join(kept[-lines:])

    async def submit(self, prediction_id: str, cog_input: dict[str, Any]) -> None:
        body = {"id": prediction_id, "input": cog_input, "webhook": self.webhook_url}
        response = await self._client.post("/predictions", json=body, headers={"Prefer": "respond-async"})
        if response.status_code == 409:
            raise SlotsBusy(response.text)
        if response.status_code != 202:
            raise WorkerFailed(
                f"{self.spec.ref}: Cog refused the prediction ({response.status_code}): {response.text}"
            )

    async def healthy(self) -> bool:
        """False once coglet has lost its worker: it stays up but fails every later prediction."""
        if self.exited.is_set():
            return False
        try:
            health = (await self._client.get("/health-check", timeout=5)).json()
        except (httpx.HTTPError, ValueError):
            return False
        return health.get("status") in ("READY", "BUSY")

    async def cancel(self, prediction_id: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await self._client.post(f"/predictions/{prediction_id}/cancel", timeout=5)

    def _kill_group(self, sig: signal.Signals) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    async def stop(self) -> None:
        if self.proc is not None and not self.exited.is_set():
            self._kill_group(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.exited.wait(), _STOP_GRACE)
            except asyncio.TimeoutError:
                self._kill_group(signal.SIGKILL)
                await self.exited.wait()
        await self._client.aclose()
