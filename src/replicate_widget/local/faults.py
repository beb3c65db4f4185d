"""Fault injection and rate limiting: fail, delay, drop, throttle or answer as told the next N requests on a
route."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["fail", "delay", "drop", "rate_limit", "answer"]


@dataclass
class Fault:
    kind: FaultKind
    method: str  # "*" matches any method
    path_prefix: str
    remaining: int
    status: int = 503
    seconds: float = 0.0
    retry_after: float = 1.0
    detail: str = ""
    body: str = ""
    content_type: str = ""

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and path.startswith(self.path_prefix)


def parse_route(route: str) -> tuple[str, str]:
    """`"POST /v1/files"` -> ("POST", "/v1/files"); a bare path matches every method."""
    parts = route.strip().split(None, 1)
    if len(parts) == 1:
        return "*", parts[0]
    method, path = parts
    if not path.startswith("/"):
        raise ValueError(f"route {route!r}: the path must start with '/', e.g. 'POST /v1/files'")
    return method.upper(), path


class Faults:
    """The faults armed on a server. Thread-safe: tests arm them, the server's loop consumes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def _add(self, kind: FaultKind, route: str, times: int, **options: float | int | str) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        method, path = parse_route(route)
        with self._lock:
            self._faults.append(Fault(kind, method, path, times, **options))  # type: ignore[arg-type]

    def fail(self, route: str, status: int = 503, times: int = 1, detail: str = "") -> None:
        """Answer the next `times` matching requests with `status` (problem+json)."""
        if not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError("status must be an HTTP error status, 400 to 599")
        self._add("fail", route, times, status=status, detail=detail)

    def delay(self, route: str, seconds: float = 1.0, times: int = 1) -> None:
        """Hold the next `times` matching requests for `seconds`, then serve them normally."""
        self._add("delay", route, times, seconds=_seconds("seconds", seconds))

    def drop(self, route: str, times: int = 1) -> None:
        """Close the connection of the next `times` matching requests without any response."""
        self._add("drop", route, times)

    def answer(
        self, route: str, body: str, status: int = 200, content_type: str = "application/json", times: int = 1
    ) -> None:
        """Answer the next `times` matching requests with this body as it is: what a proxy, a captive portal
        or a hostile API might send (HTML, nothing, a list, a record with a malformed schema)."""
        if not (isinstance(status, int) and 200 <= status <= 599):
            raise ValueError("status must be an HTTP status, 200 to 599")
        self._add("answer", route, times, status=status, body=body, content_type=content_type)

    def rate_limit(self, route: str, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next `times` matching requests with 429 and a Retry-After header."""
        self._add("rate_limit", route, times, status=429, retry_after=_seconds("retry_after", retry_after))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.remaining > 0]

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, consuming one of its times."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None


def _seconds(name: str, value: float) -> float:
    """A fault's duration: a number from 0 to an hour (a request held for 1e308 s would never end)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600")
    return float(value)
