"""Pacing a batch's creates: never more than the account's rate, and everyone waits after a 429.

Replicate allows 600 prediction creates a minute per account. A batch spaces its creates evenly at ``rate``
a minute (a token bucket holding a single token: no bursts, so a server that counts over any window sees at
most the rate), shared by every batch of one client. When the server still answers 429, its Retry-After
holds back every create, not only the one refused: they share the limit.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..errors import InputError

DEFAULT_RATE = 600.0  # creates a minute: Replicate's limit for prediction creates


def check_rate(rate: float | None) -> float | None:
    """Creates a minute, or None for no limit."""
    if rate is None:
        return DEFAULT_RATE
    if rate == 0 or rate is False:
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        raise InputError(f"rate must be creates a minute (a positive number; 0 for no limit), not {rate!r}.")
    return float(rate)


class Pacer:
    """Thread-safe. ``take()`` blocks until this create may go; ``hold(seconds)`` pauses everyone."""

    def __init__(
        self,
        per_minute: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = clock()  # when the next create may go
        self.holds = 0  # 429s heard: a paced batch should hear none

    def take(self, stop: threading.Event | None = None) -> bool:
        """Wait for this create's turn; False when ``stop`` was set meanwhile (the batch was canceled)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            if self._sleep is not None:
                self._sleep(wait)
            elif stop is not None:
                stop.wait(wait)
            else:
                time.sleep(wait)
        return not (stop is not None and stop.is_set())

    def hold(self, seconds: float) -> None:
        """A 429 said to wait: no create goes before then."""
        with self._lock:
            self.holds += 1
            self._next = max(self._next, self._clock() + seconds)


_shared: weakref.WeakKeyDictionary[Any, dict[float | None, Pacer]] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared_pacer(owner: Any, per_minute: float | None) -> Pacer:
    """One pacer per client and rate: two batches of one client share the account's limit, not each
    take all of it."""
    with _shared_lock:
        pacers = _shared.setdefault(owner, {})
        if per_minute not in pacers:
            pacers[per_minute] = Pacer(per_minute)
        return pacers[per_minute]
