"""Partial spools kept for a later re-pick: what a reloaded page may resume, within a budget of disk and time.

When the page that was sending a file goes away (a reload, a closed tab), the kernel keeps the bytes it has,
paused, so picking the same file again sends only what is missing. Every widget's paused spools share one
budget per kernel: 2 GiB and an hour each, the oldest dropped first when new ones need room. A spool is the
same file when name, size, lastModified and the sha256 of its first 64 KiB match (``SpoolKey``); the kernel
checks that hash against the bytes it holds (see ``head_matches``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 64 * 1024
BUDGET_BYTES = 2 * 1024**3
KEEP_SECONDS = 3600.0


@dataclass(frozen=True)
class SpoolKey:
    """What makes a re-picked file the same file as a paused one."""

    name: str
    size: int
    last_modified: int
    head_sha256: str


def head_length(size: int) -> int:
    return min(size, HEAD_BYTES)


def head_matches(path: Path, size: int, head_sha256: str) -> bool:
    """Whether the first 64 KiB at ``path`` (the whole file, if smaller) hash to ``head_sha256``."""
    with open(path, "rb") as f:
        head = f.read(head_length(size))
    return hashlib.sha256(head).hexdigest() == head_sha256


@dataclass
class _Paused:
    held: int  # bytes on disk
    since: float
    drop: Callable[[str], None]  # frees the spool; the argument says why, for the user


class PausedSpools:
    """The paused spools of every widget in this kernel, pruned by age and then by size, oldest first."""

    def __init__(
        self,
        budget_bytes: int = BUDGET_BYTES,
        keep_seconds: float = KEEP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget_bytes, self.keep_seconds, self.clock = budget_bytes, keep_seconds, clock
        self._paused: dict[object, _Paused] = {}
        self._lock = threading.Lock()

    def add(self, owner: object, held: int, drop: Callable[[str], None]) -> None:
        """Keep a paused spool of ``held`` bytes; ``drop(reason)`` is called if the budget evicts it."""
        with self._lock:
            self._paused[owner] = _Paused(held, self.clock(), drop)
        self.prune()

    def discard(self, owner: object) -> None:
        """The spool resumed, finished or was removed: it no longer counts."""
        with self._lock:
            self._paused.pop(owner, None)

    def held_bytes(self) -> int:
        with self._lock:
            return sum(p.held for p in self._paused.values())

    def __contains__(self, owner: object) -> bool:
        return owner in self._paused

    def prune(self) -> None:
        """Drop spools older than an hour, then the oldest until the rest fit the budget."""
        now = self.clock()
        dropped: list[tuple[_Paused, str]] = []
        with self._lock:
            by_age = sorted(self._paused.items(), key=lambda item: item[1].since)
            total = sum(p.held for _, p in by_age)
            for owner, paused in by_age:
                if now - paused.since > self.keep_seconds:
                    reason = "kept an hour"
                elif total > self.budget_bytes:
                    reason = "made room for newer ones"
                else:
                    continue
                del self._paused[owner]
                total -= paused.held
                dropped.append((paused, reason))
        for paused, reason in dropped:  # outside the lock: drop() publishes widget state
            paused.drop(reason)


# One budget per kernel process, shared by every widget's receiver.
PAUSED = PausedSpools()
