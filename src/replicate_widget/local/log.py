"""The request log tests read to assert what arrived (one entry per API request, newest last)."""

from __future__ import annotations

import threading
from typing import Any

# Headers worth recording: the ones that change how the server answers. The token itself never is.
_RECORDED_HEADERS = ("prefer", "cancel-after", "content-type")


class RequestLog:
    """Thread-safe: the server appends from its event loop, tests read from their own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    @property
    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def start(self, method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
        """Create the entry for a request; handlers add details (upload, inputs, prediction_id) to it."""
        recorded = {name: headers.get(name) for name in _RECORDED_HEADERS}
        recorded["authorization"] = "present" if headers.get("authorization") else "absent"
        entry: dict[str, Any] = {"method": method, "path": path, "status": None, "headers": recorded}
        with self._lock:
            self._entries.append(entry)
        return entry

    def find(self, method: str, path_prefix: str = "") -> list[dict[str, Any]]:
        """Entries for one route, oldest first: a convenience for tests."""
        return [e for e in self.entries if e["method"] == method and e["path"].startswith(path_prefix)]
