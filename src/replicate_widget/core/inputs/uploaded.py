"""Each client's memory of what it uploaded: the same bytes go up once, and can be deleted again.

Keyed by sha256. A claim returns the shared future for those bytes and whether the caller must perform the
upload; concurrent runs (threads, tasks, a batch) that need the same file wait on that one future.
"""

from __future__ import annotations

import concurrent.futures
import threading

from ..network.http import Flow
from .files_api import UploadedFile, delete_flow
from .local_file import LocalFile


class UploadCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[str, concurrent.futures.Future[UploadedFile]] = {}

    def claim(self, file: LocalFile) -> tuple[concurrent.futures.Future[UploadedFile], bool]:
        """The shared future for these bytes, and whether the caller must perform the upload (and settle)."""
        digest = file.sha256
        with self._lock:
            future = self._uploads.get(digest)
            if future is not None and future.done() and (future.exception() or future.result().expired):
                future = None
            if future is None:
                future = concurrent.futures.Future()
                self._uploads[digest] = future
                return future, True
            return future, False

    def settle(
        self,
        file: LocalFile,
        future: concurrent.futures.Future[UploadedFile],
        outcome: UploadedFile | BaseException,
    ) -> None:
        """Record how a claimed upload ended; a failure is forgotten so the next claim tries again."""
        if isinstance(outcome, BaseException):
            with self._lock:
                if self._uploads.get(file.sha256) is future:
                    del self._uploads[file.sha256]
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def live(self, file: LocalFile) -> UploadedFile | None:
        """The finished, successful upload of these bytes, if any."""
        future = self._uploads.get(file.sha256)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def forget(self, file: LocalFile) -> UploadedFile | None:
        """Forget the upload of these bytes and return it (the caller deletes the remote copy)."""
        record = self.live(file)
        if record is not None:
            with self._lock:
                self._uploads.pop(file.sha256, None)
        return record

    def forget_flow(self, base_url: str, file: LocalFile) -> Flow:
        """Forget the upload of these bytes and delete the remote copy; nothing when this cache made none."""
        record = self.forget(file)
        if record is not None:
            yield from delete_flow(base_url, record.id)
