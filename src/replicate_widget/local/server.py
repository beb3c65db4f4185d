"""`serve()`: the local server in a background thread, and the handle tests and notebooks hold."""

from __future__ import annotations

import atexit
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import uvicorn

from ..core import tempfiles
from .app import build_app
from .catalog import build_deployments
from .connections import CONCURRENCY_LIMIT, GuardedH11Protocol, install_log_limits
from .faults import Faults
from .log import RequestLog
from .ratelimit import RateLimit, parse_rate
from .registry import ModelSpec, Registry, demo_models, parse_model_arg
from .state import ServerState

_START_TIMEOUT = 30.0


class LocalServer:
    """A running server: `.base_url` (the origin; API under /v1), `.token`, `.log`, `.faults`, `.stop()`."""

    def __init__(self, state: ServerState, server: uvicorn.Server, thread: threading.Thread) -> None:
        self._state = state
        self._server = server
        self._thread = thread

    @property
    def base_url(self) -> str:
        return self._state.base_url

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def log(self) -> RequestLog:
        return self._state.log

    @property
    def faults(self) -> Faults:
        return self._state.faults

    @property
    def models(self) -> list[ModelSpec]:
        return list(self._state.models)

    @property
    def deployments(self) -> dict[str, str]:
        """Deployment ref -> the model it runs."""
        return {ref: d.model.ref for ref, d in self._state.deployments.items()}

    def workers(self) -> list[dict[str, Any]]:
        """Each started model worker: model, pid of its Cog server, running and queued predictions."""
        return self._state.workers.describe()

    @property
    def rate_limit(self) -> str | None:
        """Prediction creates allowed per token, like "600/min"; None when unlimited."""
        limit = self._state.rate_limit
        return None if limit is None else f"{limit.per_second * 60:g}/min"

    @rate_limit.setter
    def rate_limit(self, value: str | None) -> None:
        self._state.rate_limit = None if value is None else RateLimit(parse_rate(value))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the server and every Cog worker it started; remove its temporary files."""
        atexit.unregister(self.stop)
        self._state.predictions.stopping.set()  # held requests answer now, rather than being cancelled
        self._server.should_exit = True
        self._thread.join(timeout=30)
        tempfiles.remove_folder(self._state.root)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:  # never shows the token
        return f"<LocalServer {self.base_url} {'running' if self.running else 'stopped'}>"


def _as_specs(models: Iterable[ModelSpec | str] | None) -> list[ModelSpec]:
    specs = demo_models()
    for model in models or ():
        spec = parse_model_arg(model) if isinstance(model, str) else model
        specs = [s for s in specs if s.ref != spec.ref] + [spec]
    return specs


def serve(
    models: Iterable[ModelSpec | str] | None = None,
    port: int = 0,
    token: str | None = None,
    deployments: Iterable[str] = (),
    rate_limit: str | None = None,
) -> LocalServer:
    """Start a Replicate-compatible server on 127.0.0.1 (`port=0`: any free port) and return its handle.

    `models` adds predictors to the demo models, as `owner/name=path/predict.py:Predictor` strings or specs.
    `deployments` adds deployments to the demo one, as `owner/name=model-owner/model-name` strings.
    `rate_limit` ("600/min", "10/s") refuses prediction creates past that rate with 429 and Retry-After.
    Cog workers start when a model is first needed. Use it in `with`, or call `.stop()`.
    """
    install_log_limits()
    specs = _as_specs(models)
    limit = RateLimit(parse_rate(rate_limit)) if rate_limit is not None else None
    deployments = list(deployments)
    build_deployments(Registry(specs), deployments)  # a bad --deployment is refused before anything starts
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it, on a socket handed to uvicorn, every keep-alive
    # request waited ~40 ms (Nagle meeting delayed ACKs): measured 44 ms per GET, 1.5 ms with it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    bound_port = sock.getsockname()[1]
    state = ServerState(
        base_url=f"http://127.0.0.1:{bound_port}",
        token=token or f"local_{secrets.token_urlsafe(24)}",
        # Removed by stop(), and by core/tempfiles.py at exit, on SIGTERM and SIGHUP if stop() never ran.
        root=tempfiles.make_folder(prefix="replicate-widget-local-"),
        models=specs,
        extra_deployments=list(deployments),
        rate_limit=limit,
    )
    config = uvicorn.Config(
        build_app(state),
        log_level="warning",
        access_log=False,
        lifespan="on",
        # h11 takes any method token; httptools (uvicorn's choice when installed) refuses QUERY /v1/models.
        # Ours adds a header timeout and a connection cap (connections.py).
        http=GuardedH11Protocol,
        limit_concurrency=CONCURRENCY_LIMIT,
        timeout_graceful_shutdown=2,
        # Worker callbacks and long waits share this loop; keep-alive is generous for polling clients.
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="replicate-local", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            tempfiles.remove_folder(state.root)
            raise RuntimeError("The local server did not start; see the log above for uvicorn's error.")
        time.sleep(0.01)
    handle = LocalServer(state, server, thread)
    atexit.register(handle.stop)  # a notebook that never calls stop() must not leave Cog servers behind
    return handle
