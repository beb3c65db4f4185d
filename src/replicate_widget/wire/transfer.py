"""The kernel side of a file transfer: spool chunks to a private folder, hash them, check the size.

Reusable by any widget that hosts a drop zone (FileInput, the Playground). It never blocks: every call does
the work for one message and returns. Chunks carry their offset, so chunks that overtake each other (marimo
keeps no order) still assemble, and a chunk sent twice (the front end resends one it thinks was lost) is
accepted once. The sha256 covers the bytes in order as soon as they are contiguous, so a 100 MiB file is never
read back whole.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from ..core import tempfiles
from ..core.files import sanitize_filename
from .protocol import LIMITS, ErrorCode, ProtocolError

_READ_BACK = 1024 * 1024


@dataclass
class Transfer:
    """One file on its way into the kernel (or arrived: ``complete``)."""

    id: str
    name: str
    size: int
    content_type: str
    session: str
    path: Path
    received: int = 0
    complete: bool = False
    sha256: str | None = None
    # offset -> length of every chunk written; lets duplicates be recognised and gaps hashed later.
    chunks: dict[int, int] = field(default_factory=dict)
    hashed_upto: int = 0
    _hasher: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    _fd: int | None = field(default=None, repr=False)

    @property
    def progress(self) -> float:
        return 1.0 if self.size == 0 else self.received / self.size


class Receiver:
    """Spools incoming files under one private temporary folder, removed on close or at exit."""

    def __init__(self, max_bytes: int = LIMITS["MAX_FILE_BYTES"]) -> None:
        self.max_bytes = max_bytes
        self._transfers: dict[str, Transfer] = {}
        self._lock = threading.Lock()
        # mkdtemp creates the folder with mode 0700: other users of the machine can't read the files.
        self.folder = tempfiles.make_folder()
        # Runs when the receiver is collected or closed (the widget's close); at exit, on kernel shutdown,
        # SIGTERM or SIGHUP, core/tempfiles.py removes the folder.
        self._finalizer = weakref.finalize(self, tempfiles.remove_folder, str(self.folder))

    def get(self, entry_id: str) -> Transfer | None:
        return self._transfers.get(entry_id)

    def begin(self, entry_id: str, name: str, size: int, content_type: str, session: str) -> Transfer:
        if size > self.max_bytes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"{name} is {size:,} bytes; the limit is {self.max_bytes:,} per file.",
            )
        with self._lock:
            existing = self._transfers.get(entry_id)
            if existing is not None:
                # A resent begin (the first reply was lost) is fine; a different file under the same id isn't.
                if (existing.name, existing.size) != (name, size):
                    raise ProtocolError(ErrorCode.BAD_MESSAGE, f"Entry {entry_id} already holds a file.")
                return existing
            entry_dir = Path(tempfile.mkdtemp(dir=self.folder))
            path = entry_dir / sanitize_filename(name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            transfer = Transfer(entry_id, name, size, content_type, session, path, _fd=fd)
            self._transfers[entry_id] = transfer
        if size == 0:
            self._finish(transfer)
        return transfer

    def chunk(self, entry_id: str, offset: int, data: bytes | memoryview) -> Transfer:
        transfer = self._transfers.get(entry_id)
        if transfer is None:
            raise ProtocolError(
                ErrorCode.UNKNOWN_ENTRY,
                "The kernel has no transfer for this file (it restarted, or the entry was removed): "
                "pick the file again.",
            )
        if transfer.complete or transfer.chunks.get(offset) == len(data):
            return transfer  # a duplicate of a chunk already written
        if transfer._fd is None:
            raise ProtocolError(ErrorCode.CUT_OFF, f"The transfer of {transfer.name} was cut off.")
        end = offset + len(data)
        if end > transfer.size or self._overlaps(transfer, offset, end):
            raise ProtocolError(
                ErrorCode.SIZE_MISMATCH,
                f"A chunk of {transfer.name} falls outside the announced {transfer.size:,} bytes.",
            )
        try:
            os.pwrite(transfer._fd, data, offset)
        except OSError as exc:
            self._fail(transfer)
            raise ProtocolError(ErrorCode.IO, f"Couldn't write {transfer.name}: {exc.strerror}.") from exc
        transfer.chunks[offset] = len(data)
        transfer.received += len(data)
        if offset == transfer.hashed_upto:
            transfer._hasher.update(data)
            transfer.hashed_upto = end
            self._hash_written_gaps(transfer)
        if transfer.received == transfer.size:
            self._finish(transfer)
        return transfer

    def remove(self, entry_id: str) -> Transfer | None:
        with self._lock:
            transfer = self._transfers.pop(entry_id, None)
        if transfer is not None:
            self._close_fd(transfer)
            shutil.rmtree(transfer.path.parent, ignore_errors=True)
        return transfer

    def cut_off(self, keep_session: str) -> list[Transfer]:
        """Stop every unfinished transfer not from ``keep_session``: its front end is gone (page reload)."""
        lost = [t for t in self._transfers.values() if not t.complete and t.session != keep_session]
        for transfer in lost:
            self._fail(transfer)
        return lost

    def close(self) -> None:
        for entry_id in list(self._transfers):
            self.remove(entry_id)
        self._finalizer()

    @staticmethod
    def _overlaps(transfer: Transfer, start: int, end: int) -> bool:
        return any(start < o + n and o < end for o, n in transfer.chunks.items())

    def _hash_written_gaps(self, transfer: Transfer) -> None:
        """Hash chunks that arrived early, now that the bytes before them are in."""
        while transfer.hashed_upto in transfer.chunks and transfer.hashed_upto < transfer.size:
            start = transfer.hashed_upto
            length = transfer.chunks[start]
            with open(transfer.path, "rb") as f:
                f.seek(start)
                left = length
                while left:
                    piece = f.read(min(left, _READ_BACK))
                    transfer._hasher.update(piece)
                    left -= len(piece)
            transfer.hashed_upto = start + length

    def _finish(self, transfer: Transfer) -> None:
        self._close_fd(transfer)
        on_disk = transfer.path.stat().st_size
        if on_disk != transfer.size or transfer.hashed_upto != transfer.size:
            self._fail(transfer)
            raise ProtocolError(
                ErrorCode.SIZE_MISMATCH,
                f"{transfer.name} arrived with {on_disk:,} bytes instead of {transfer.size:,}: "
                "pick it again.",
            )
        transfer.sha256 = transfer._hasher.hexdigest()
        transfer.complete = True

    def _fail(self, transfer: Transfer) -> None:
        """Drop the partial bytes: a cut-off transfer must never pass for a whole file."""
        self._close_fd(transfer)
        transfer.chunks.clear()
        with open(transfer.path, "wb"):
            pass

    @staticmethod
    def _close_fd(transfer: Transfer) -> None:
        if transfer._fd is not None:
            os.close(transfer._fd)
            transfer._fd = None
