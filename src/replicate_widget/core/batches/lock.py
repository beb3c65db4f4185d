"""One batch at a time per output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FolderLock:
    """One batch at a time per folder: two running on one ledger would each create the same items. An
    exclusive ``flock`` on ``out/.rw-batch.lock``, held while the workers run; the system releases it if the
    process dies. Per open file, so a second batch in the same kernel is refused too. (Without fcntl, on
    Windows, nothing is locked.)"""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".rw-batch.lock"
        self._file: Any = None

    def acquire(self) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return True
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None
