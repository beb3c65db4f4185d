"""When to try a request again, how long to wait first, and what to tell the person waiting.

429 is retried on every request (the server refused before doing anything) and honours Retry-After. Other
failures only where a repeat cannot do something twice: 502/503/504 and dropped connections for GET/DELETE
(idempotent), a dropped connection for an upload (a new file at worst, never a second run), and a connection
that was never made for any request (nothing was sent). Connection failures get a short budget: a server that
is not there rarely appears within seconds, and a refused connection to this machine never does.
"""

from __future__ import annotations

import email.utils
import ipaddress
import random
import socket
import time
from dataclasses import dataclass
from typing import Literal

import httpx

RetryKind = Literal["idempotent", "create", "upload", "never"]
MAX_ATTEMPTS = 8
MAX_DELAY = 30.0
# Connection failures: the waits between attempts add up to at most this; and when no connection could be
# made at all, no retry starts later than CONNECT_BUDGET seconds after the first attempt (a connect may take
# seconds to time out). An upload cut after minutes is still retried: its time was spent sending.
CONNECT_WAITS = 7.5
CONNECT_BUDGET = 10.0


@dataclass(frozen=True)
class Retry:
    """Wait ``seconds``, then try again; ``reason`` is what went wrong, in a few words."""

    seconds: float
    reason: str


def decide(
    kind: RetryKind, attempt: int, outcome: httpx.Response | Exception, *, url: str = "", elapsed: float = 0.0
) -> Retry | None:
    """Whether to try attempt ``attempt + 1`` (``attempt`` counts from 1), or None to give up.

    ``url``: the request's (a refused connection to this machine is final); ``elapsed``: seconds since the
    first attempt.
    """
    if attempt >= MAX_ATTEMPTS or kind == "never":
        return None
    if isinstance(outcome, httpx.Response):
        if outcome.status_code == 429:
            hinted = parse_retry_after(outcome.headers.get("retry-after"))
            if hinted is not None:
                seconds = min(hinted, 60.0) + random.uniform(0, 0.1)  # noqa: S311 - jitter, not crypto
                return Retry(seconds, "rate limited (HTTP 429)")
            return Retry(backoff(attempt), "rate limited (HTTP 429)")
        if kind == "idempotent" and outcome.status_code in (502, 503, 504):
            return Retry(backoff(attempt), f"the server is unavailable (HTTP {outcome.status_code})")
        return None
    if not isinstance(outcome, httpx.TransportError):
        return None
    never_connected = isinstance(outcome, (httpx.ConnectError, httpx.ConnectTimeout))
    if not (never_connected or kind in ("idempotent", "upload")):
        return None  # a create that may have arrived: a repeat could run the model twice
    if refused(outcome) and is_loopback(url):
        return None  # nothing listens on this machine at that port: waiting will not change that
    seconds = min(0.5 * 2.0 ** (attempt - 1), CONNECT_WAITS) * random.uniform(0.9, 1.1)  # noqa: S311
    if _connect_waits(attempt) > CONNECT_WAITS or (never_connected and elapsed + seconds > CONNECT_BUDGET):
        return None
    return Retry(seconds, describe(outcome))


def _connect_waits(attempt: int) -> float:
    """The nominal waits of connection retries up to and including the one after ``attempt``."""
    return sum(0.5 * 2.0 ** (n - 1) for n in range(1, attempt + 1))


def backoff(attempt: int) -> float:
    """Exponential from 0.25 s, capped, with +-25 % jitter so parallel clients spread out."""
    base = min(0.25 * 2.0 ** (attempt - 1), MAX_DELAY)
    return base * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not crypto


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def refused(exc: BaseException) -> bool:
    """The other end answered that nothing listens there (ECONNREFUSED)."""
    return any(isinstance(e, ConnectionRefusedError) or "refused" in str(e).lower() for e in _chain(exc))


def _unresolved(exc: BaseException) -> bool:
    names = ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
    return any(isinstance(e, socket.gaierror) or any(n in str(e).lower() for n in names) for e in _chain(exc))


def describe(exc: BaseException) -> str:
    """A transport failure in a few words."""
    if refused(exc):
        return "connection refused"
    if _unresolved(exc):
        return "host name not found"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return "connection lost"


def is_loopback(url: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: this machine."""
    host = (httpx.URL(url).host if url else "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
