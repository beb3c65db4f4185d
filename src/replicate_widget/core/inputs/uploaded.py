"""Each client's memory of what it uploaded: the same bytes go up once, and can be deleted again.

Keyed by sha256. A claim returns the shared future for those bytes and whether the caller must perform the
upload; concurrent runs (threads, tasks, a batch) that need the same file wait on that one future.

A file whose sha256 is not known yet is not hashed before it goes: hashing 100 MiB first costs a read of its
own and delays the first byte. Only bytes of the same size can be the same bytes, so a file of a size this
cache has not seen (uploaded, or on its way) is sent at once, hashed as it is sent (upload.py), and filed
under its sha256 when it is done. A file of a size seen before is hashed first, after waiting for an upload
of that size still on its way (it may be these very bytes), and then looked up as ever.
"""

from __future__ import annotations

import concurrent.futures
import threading

from .files_api import UploadedFile
from .local_file import LocalFile


class UploadCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[str, concurrent.futures.Future[UploadedFile]] = {}
        # Uploads on their way whose sha256 is computed as they are sent: future -> the file's size.
        self._unhashed: dict[concurrent.futures.Future[UploadedFile], int] = {}

    def claim(self, file: LocalFile) -> tuple[concurrent.futures.Future[UploadedFile], bool]:
        """The shared future for these bytes, and whether the caller must perform the upload (and settle).

        May block: while hashing the file, or waiting for an upload of the same size to finish (async
        callers claim in a thread)."""
        size = file.size
        while True:
            digest = file._known_sha256
            with self._lock:
                same_size = next((f for f, s in self._unhashed.items() if s == size), None)
                if same_size is None:
                    if digest is not None:
                        return self._claim_digest(digest)
                    if not any(self._record_size(f) == size for f in self._uploads.values()):
                        future: concurrent.futures.Future[UploadedFile] = concurrent.futures.Future()
                        self._unhashed[future] = size
                        return future, True
            if same_size is not None:
                # Its outcome, not ours: a failure is that caller's to report, and we try afresh.
                concurrent.futures.wait([same_size])
            else:
                _ = file.sha256  # outside the lock: 100 MiB takes a while

    def _claim_digest(self, digest: str) -> tuple[concurrent.futures.Future[UploadedFile], bool]:
        future = self._uploads.get(digest)
        if future is not None and future.done() and (future.exception() or future.result().expired):
            future = None
        if future is None:
            future = concurrent.futures.Future()
            self._uploads[digest] = future
            return future, True
        return future, False

    @staticmethod
    def _record_size(future: concurrent.futures.Future[UploadedFile]) -> int | None:
        """The size of a finished upload's bytes; None while on its way (those are known by their sha256 and
        so are looked up by it) or failed."""
        if not future.done() or future.exception() is not None:
            return None
        return future.result().size

    def settle(
        self,
        file: LocalFile,
        future: concurrent.futures.Future[UploadedFile],
        outcome: UploadedFile | BaseException,
    ) -> None:
        """Record how a claimed upload ended; a failure is forgotten so the next claim tries again."""
        with self._lock:
            unhashed = self._unhashed.pop(future, None) is not None
            if isinstance(outcome, BaseException):
                digest = file._known_sha256
                if not unhashed and digest is not None and self._uploads.get(digest) is future:
                    del self._uploads[digest]
            elif unhashed:
                # Filed before the waiters wake: they look it up by its sha256 next.
                self._uploads[outcome.sha256] = future
        if isinstance(outcome, BaseException):
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
