"""What a flood of connections meets: a header timeout, a cap on open connections, and logs that stay small.

uvicorn's h11 protocol arms its keep-alive timer only after a response, so a connection that never sends a
whole request (half-open, or a byte at a time) was held for ever; about 22,000 of them exhausted the file
descriptors, and every failed accept logged a traceback (131 MB of stderr in a minute). Here a connection
must send its request's headers within HEADER_TIMEOUT; past MAX_CONNECTIONS open ones a new one is closed at
once (uvicorn's own ``limit_concurrency`` answers 503 a little before); and the messages such a flood causes
are logged at most once per LOG_EVERY seconds each, with a count of the ones left out.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import threading
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds from connecting (or from the last response) to a request's complete headers
LOG_EVERY = 10.0


def _connection_cap() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = soft == resource.RLIM_INFINITY
    return 1000 if unlimited else max(64, min(1000, soft // 4))  # leaves descriptors for files and workers


MAX_CONNECTIONS = _connection_cap()
CONCURRENCY_LIMIT = MAX_CONNECTIONS - 32  # uvicorn's 503s start here, before connections are closed unheard


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a cap on open connections."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            transport.close()  # no descriptor held, no log line: the flood's sender sees a closed connection
            return
        self._arm_header_timer()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers arrived
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm_header_timer(self.timeout_keep_alive + HEADER_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self, seconds: float | None = None) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(seconds or HEADER_TIMEOUT, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return  # a request is being served: never cut it
        self.transport.close()


class RateLimited(logging.Filter):
    """Each message (by its template) at most once per LOG_EVERY seconds; the next one says how many were
    left out. Tracebacks of OSErrors (a failed accept) are dropped: the message says what happened."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -LOG_EVERY) < LOG_EVERY:
                self._skipped[key] = self._skipped.get(key, 0) + 1
                return False
            self._last[key] = now
            skipped = self._skipped.pop(key, 0)
        if skipped:
            record.msg = f"{record.msg} ({skipped} more like it in the last {LOG_EVERY:.0f} s not shown)"
        if record.exc_info and isinstance(record.exc_info[1], OSError):
            record.msg = f"{record.msg}: {record.exc_info[1]}"
            record.exc_info = None
        return True


_FILTER = RateLimited()


def install_log_limits() -> None:
    """On the loggers a flood writes to (uvicorn's and asyncio's, where a failed accept goes). Once."""
    for name in ("uvicorn.error", "asyncio"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def quiet_loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """The loop's own errors (``socket.accept() out of system resource``) through the rate-limited logger."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError):
            logging.getLogger("asyncio").error("%s: %s", context.get("message", "error"), exc)
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
