"""The kernel's end of one widget's request channel: every request gets exactly one reply, whatever happens.

A widget makes one ``Endpoint``, registers a handler per request kind (the drop zone registers the transfer's,
the Playground adds run, cancel and secret) and passes every custom message to ``handle``. A handler returns
the fields of its ok reply or raises ``ProtocolError``; any other exception is logged and still answered, so
the front end never waits for a reply that cannot come. ``hello`` is checked here: a front end that speaks
another protocol version is refused with "reload the page", and the widget remembers why (``mismatch``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .protocol import (
    ErrorCode,
    Kind,
    ProtocolError,
    Reply,
    Request,
    error_reply,
    ok_reply,
    parse_request,
    request_id,
    version_problem,
)

log = logging.getLogger(__name__)

Handler = Callable[[Any, list[Any]], dict[str, Any]]
"""Takes the parsed request (a TypedDict of protocol.py) and its buffers; returns the ok reply's fields."""


class Endpoint:
    """Parses, dispatches and answers one widget's requests (``send`` delivers a reply to the front end)."""

    def __init__(self, send: Callable[[Reply], None], name: str = "widget") -> None:
        self._send = send
        self._name = name
        self._handlers: dict[Kind, Handler] = {}
        # One request at a time: JupyterLab 4.6 on ipykernel 7 delivers a widget's messages on a subshell's
        # thread as well as the main one (docs/architecture.md), and the handlers were written for one.
        self._one_at_a_time = threading.Lock()
        self.mismatch: str | None = None
        """Why the front end was refused at hello (another protocol version), or None."""

    def on(self, kind: Kind, handler: Handler) -> None:
        self._handlers[kind] = handler

    def handle(self, content: Any, buffers: list[Any] | None) -> None:
        """Answer one message from the front end, exactly once."""
        with self._one_at_a_time:
            self._handle(content, buffers)

    def _handle(self, content: Any, buffers: list[Any] | None) -> None:
        rid = request_id(content)
        try:
            reply = ok_reply(rid, **self._dispatch(parse_request(content, buffers), buffers or []))
        except ProtocolError as exc:
            reply = error_reply(rid, exc.code, str(exc))
        except Exception as exc:  # every request gets its one reply, even when something unforeseen breaks
            kind = content.get("kind") if isinstance(content, dict) else None
            log.exception("The %s could not handle a %s message", self._name, kind)
            reply = error_reply(rid, ErrorCode.IO, f"The kernel couldn't handle this: {exc}")
        self._send(reply)

    def _dispatch(self, request: Request, buffers: list[Any]) -> dict[str, Any]:
        if request["kind"] is Kind.HELLO:
            problem = version_problem(request["version"])
            if problem is not None:
                self.mismatch = problem
                log.error("%s: %s", self._name, problem)
                raise ProtocolError(ErrorCode.VERSION_MISMATCH, problem)
            self.mismatch = None
        handler = self._handlers.get(request["kind"])
        if handler is None:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"The {self._name} takes no {request['kind']} requests."
            )
        return handler(request, buffers)
