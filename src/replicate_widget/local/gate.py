"""ASGI middleware in front of the API: the request log, injected faults, and bearer-token auth.

Pure ASGI (not BaseHTTPMiddleware) so request bodies still stream straight to the upload parser.
"""

from __future__ import annotations

import asyncio
import hmac
import math
from http import HTTPStatus
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .bodies import drain
from .faults import Fault
from .problems import problem_response, unauthenticated
from .ratelimit import is_create
from .state import ServerState


def _is_api(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def _close_connection(receive: Receive) -> bool:
    """Close the socket without a response: the 'drop' fault. Uses uvicorn's transport behind `receive`."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    transport.close()
    return True


def authorized(authorization: str, token: str) -> bool:
    """`Bearer <token>` (or Replicate's older `Token <token>`), compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() not in ("bearer", "token"):
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


class Gate:
    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (_is_api(path) or path.startswith("/_local/")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        entry = self.state.log.start(scope["method"], path, headers) if _is_api(path) else None
        scope.setdefault("state", {})["log_entry"] = entry

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start" and entry is not None and entry["status"] is None:
                entry["status"] = message["status"]
            await send(message)

        fault = self.state.faults.take(scope["method"], path) if entry is not None else None
        if fault is not None and await self._inject(fault, scope, receive, send_logged, entry):
            return
        if not authorized(headers.get("authorization", ""), self.state.token):
            await drain(receive)
            await unauthenticated().response()(scope, receive, send_logged)
            return
        limit = self.state.rate_limit
        if limit is not None and is_create(scope["method"], path):
            wait = limit.take(self.state.token)
            if wait is not None:
                await drain(receive)
                seconds = limit.retry_after(wait)
                response = problem_response(
                    429,
                    "Too Many Requests",
                    f"Request was throttled (rate limit {limit.per_second * 60:g} creates a minute). "
                    f"Your rate limit resets in ~{seconds}s.",
                    headers={"Retry-After": str(seconds)},
                )
                await response(scope, receive, send_logged)
                return
        await self.app(scope, receive, send_logged)

    async def _inject(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, entry: dict[str, Any] | None
    ) -> bool:
        """Apply a fault; True when it answered (or dropped) the request itself."""
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return False
        if fault.kind == "drop":
            if entry is not None:
                entry["status"] = "dropped"
            if _close_connection(receive):
                return True
            raise ConnectionAbortedError("fault injection: dropping the connection")
        await drain(receive)
        if fault.kind == "answer":
            await Response(fault.body, fault.status, media_type=fault.content_type)(scope, receive, send)
            return True
        if fault.kind == "rate_limit":
            wait = math.ceil(fault.retry_after)
            response = problem_response(
                429,
                "Too Many Requests",
                f"Request was throttled. Your rate limit resets in ~{wait}s.",
                headers={"Retry-After": str(wait)},
            )
        else:
            phrase = (
                HTTPStatus(fault.status).phrase if fault.status in HTTPStatus._value2member_map_ else "Error"
            )
            detail = fault.detail or f"{phrase} (injected by the local server's fault hooks)"
            response = problem_response(fault.status, phrase, detail)
        await response(scope, receive, send)
        return True
