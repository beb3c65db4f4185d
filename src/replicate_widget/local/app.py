"""The Starlette application: routes, problem+json for every error, workers stopped on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import routes_explore, routes_files, routes_internal, routes_predictions
from .bodies import ClientDisconnected
from .connections import quiet_loop_errors
from .gate import Gate
from .problems import Problem, disk_full, problem_response
from .state import ServerState


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"{request.method} {request.url.path} is not an endpoint of this local server."
    elif exc.status_code == 405:
        detail = f"{request.url.path} does not accept {request.method}."
    else:
        detail = str(exc.detail)
    return problem_response(exc.status_code, title, detail, headers=dict(exc.headers or {}))


async def _disconnected(request: Request, exc: Exception) -> Response:
    entry = request.state.log_entry
    if entry is not None:
        entry["status"] = "client disconnected"
    return Response(status_code=400)  # nobody is listening; nothing was kept


async def _os_error(request: Request, exc: Exception) -> Response:
    """A full disk is an answer (507, no traceback); any other OSError is a bug, and stays one."""
    assert isinstance(exc, OSError)
    return disk_full(exc, request.app.state.server.root).response()


async def _unexpected(request: Request, exc: Exception) -> Response:
    return problem_response(500, "Internal Server Error", f"The local server failed: {exc!r}")


def build_app(state: ServerState) -> Gate:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_loop_errors(asyncio.get_running_loop())
        try:
            yield
        finally:
            await state.workers.stop()

    app = Starlette(
        routes=[
            *routes_predictions.routes,
            *routes_explore.routes,
            *routes_files.routes,
            *routes_internal.routes,
        ],
        exception_handlers={
            Problem: _problem,
            HTTPException: _http_error,
            ClientDisconnected: _disconnected,
            OSError: _os_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.server = state
    return Gate(app, state)
