"""A per-token rate limit on prediction creates, as Replicate applies one (600 a minute by default there).

``--rate-limit 600/min`` (or ``10/s``, ``36000/h``): a token bucket that refills at that rate and holds one
second's worth (at least one create), so short bursts pass and a steady excess is refused with 429 and a
Retry-After saying when the next create will be taken (whole seconds, as HTTP says; at least 1).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_UNIT = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}


def parse_rate(text: str) -> float:
    """Creates a second, from ``600/min``, ``10/s`` or ``36000/h``."""
    match = _RATE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"rate limit {text!r}: give creates per unit of time, like 600/min, 10/s or 36000/h")
    return float(match.group(1)) / _UNIT[match.group(2)]


def is_create(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/v1/") and path.endswith("/predictions")


class RateLimit:
    """Thread-safe token buckets, one per token (the local server has one token, so in effect one)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.capacity = max(1.0, per_second)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # token -> (tokens, when)

    def take(self, token: str) -> float | None:
        """None when this create may go, else the seconds until one may."""
        with self._lock:
            now = self._clock()
            tokens, when = self._buckets.get(token, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - when) * self.per_second)
            if tokens >= 1.0:
                self._buckets[token] = (tokens - 1.0, now)
                return None
            self._buckets[token] = (tokens, now)
            return (1.0 - tokens) / self.per_second

    @staticmethod
    def retry_after(seconds: float) -> int:
        return max(1, math.ceil(seconds))

    def __repr__(self) -> str:
        return f"RateLimit({self.per_second * 60:g}/min)"
