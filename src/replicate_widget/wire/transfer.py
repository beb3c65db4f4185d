"""The kernel side of a file transfer: spool chunks to a private folder, hash them, check the size.

Reusable by any widget that hosts a drop zone (FileInput, the Playground). It never blocks: every call does
the work for one message and returns. Chunks carry their offset, so chunks that overtake each other (marimo
keeps no order) still assemble, and a chunk sent twice (the front end resends one it thinks was lost) is
accepted once. The sha256 covers the bytes in order as soon as they are contiguous, so a 100 MiB file is never
read back whole.

When the page that was sending goes away (a reload), its unfinished transfers pause: their bytes stay on disk,
within the kernel's budget for paused spools (spools.py), and a ``begin`` for the same file (name, size,
lastModified and the sha256 of its first 64 KiB, which the kernel checks against the bytes it holds) resumes
the paused transfer under its old entry id. Every ``begin`` reply lists the byte ranges already held, so the
front end sends only the rest, after a page reload or after a cut socket alike.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..core import tempfiles
from ..core.inputs.local_file import sanitize_filename
from . import ranges
from .protocol import LIMITS, ErrorCode, ProtocolError
from .spools import PAUSED, PausedSpools, SpoolKey, head_length, head_matches

_READ_BACK = 1024 * 1024


@dataclass(eq=False)  # one transfer is one object: compared and hashed by identity
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
    key: SpoolKey | None = None  # set when the front end sent lastModified and the head's sha256
    head_checked: bool = False
    paused: bool = False
    _hasher: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)
    _fd: int | None = field(default=None, repr=False)

    @property
    def progress(self) -> float:
        return 1.0 if self.size == 0 else self.received / self.size

    def held(self) -> list[list[int]]:
        """The byte ranges on disk, merged: ``[[start, end], ...]``."""
        return ranges.merged(self.chunks)


class Receiver:
    """Spools incoming files under one private temporary folder, removed on close or at exit."""

    def __init__(self, max_bytes: int = LIMITS["MAX_FILE_BYTES"], paused: PausedSpools = PAUSED) -> None:
        self.max_bytes = max_bytes
        self.paused = paused
        # Told when the budget drops one of this receiver's paused spools: (transfer, why).
        self.on_dropped: Callable[[Transfer, str], None] | None = None
        self._transfers: dict[str, Transfer] = {}
        # A begin that resumed a paused spool: the new entry's id -> the resumed one's. The front end may
        # send chunks before it reads the begin's reply, under the id it asked with.
        self._aliases: dict[str, str] = {}
        self._lock = threading.Lock()
        # mkdtemp creates the folder with mode 0700: other users of the machine can't read the files.
        self.folder = tempfiles.make_folder()
        # Runs when the receiver is collected or closed (the widget's close); at exit, on kernel shutdown,
        # SIGTERM or SIGHUP, core/tempfiles.py removes the folder.
        self._finalizer = weakref.finalize(self, tempfiles.remove_folder, str(self.folder))

    def get(self, entry_id: str) -> Transfer | None:
        return self._transfers.get(self.resolve(entry_id))

    def resolve(self, entry_id: str) -> str:
        """The id the transfer is kept under: the resumed entry's, for a begin that resumed one."""
        return self._aliases.get(entry_id, entry_id)

    def begin(
        self,
        entry_id: str,
        name: str,
        size: int,
        content_type: str,
        session: str,
        *,
        last_modified: int = 0,
        head_sha256: str = "",
    ) -> Transfer:
        """Start a transfer, or return the one this begin continues: the same entry (a resent begin), or a
        paused spool of the same file (its ``id`` is then the old entry's, not ``entry_id``)."""
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
            key = SpoolKey(name, size, last_modified, head_sha256) if head_sha256 else None
            resumable = self._paused_match(key)
            if resumable is not None:
                self._resume(resumable, session)
                self._aliases[entry_id] = resumable.id
                return resumable
            entry_dir = Path(tempfile.mkdtemp(dir=self.folder))
            path = entry_dir / sanitize_filename(name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            transfer = Transfer(entry_id, name, size, content_type, session, path, key=key, _fd=fd)
            self._transfers[entry_id] = transfer
        if size == 0:
            self._finish(transfer)
        return transfer

    def chunk(self, entry_id: str, offset: int, data: bytes | memoryview) -> Transfer:
        transfer = self.get(entry_id)
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
        if end > transfer.size:
            raise ProtocolError(
                ErrorCode.SIZE_MISMATCH,
                f"A chunk of {transfer.name} falls outside the announced {transfer.size:,} bytes.",
            )
        view = memoryview(data).cast("B")
        # Chunk sizes adapt to the link, so a chunk resent after a cut socket may straddle bytes the kernel
        # already holds: write only the new parts (the held ones must be the same bytes).
        for start, stop in self._new_parts(transfer, offset, end, view):
            piece = view[start - offset : stop - offset]
            try:
                os.pwrite(transfer._fd, piece, start)
            except OSError as exc:
                self._fail(transfer)
                raise ProtocolError(ErrorCode.IO, f"Couldn't write {transfer.name}: {exc.strerror}.") from exc
            transfer.chunks[start] = stop - start
            transfer.received += stop - start
            if start == transfer.hashed_upto:
                transfer._hasher.update(piece)
                transfer.hashed_upto = stop
        self._hash_written_gaps(transfer)
        self._check_head(transfer)
        if transfer.received == transfer.size:
            self._finish(transfer)
        return transfer

    def remove(self, entry_id: str) -> Transfer | None:
        with self._lock:
            transfer = self._transfers.pop(entry_id, None)
            self._aliases = {new: old for new, old in self._aliases.items() if entry_id not in (new, old)}
        if transfer is not None:
            self.paused.discard(transfer)
            self._close_fd(transfer)
            shutil.rmtree(transfer.path.parent, ignore_errors=True)
        return transfer

    def cut_off(self, keep_session: str) -> tuple[list[Transfer], list[Transfer]]:
        """The front end of every session but ``keep_session`` is gone (a page reload): its unfinished
        transfers pause when they can be recognised again (key sent), and are lost otherwise.

        Returns (paused, lost).
        """
        gone = [
            t
            for t in self._transfers.values()
            if not t.complete and not t.paused and t._fd is not None and t.session != keep_session
        ]
        paused, lost = [], []
        for transfer in gone:
            if transfer.key is None:
                self._fail(transfer)
                lost.append(transfer)
                continue
            self._close_fd(transfer)
            transfer.paused = True
            paused.append(transfer)
            self.paused.add(transfer, transfer.received, partial(self._drop_paused, transfer))
        return paused, lost

    def close(self) -> None:
        self.on_dropped = None
        for entry_id in list(self._transfers):
            self.remove(entry_id)
        self._finalizer()

    def _paused_match(self, key: SpoolKey | None) -> Transfer | None:
        if key is None:
            return None
        self.paused.prune()  # an hour-old spool is not resumed
        for transfer in self._transfers.values():
            if transfer.paused and transfer.key == key and transfer in self.paused:
                return transfer
        return None

    def _resume(self, transfer: Transfer, session: str) -> None:
        self.paused.discard(transfer)
        transfer._fd = os.open(transfer.path, os.O_WRONLY)
        transfer.paused, transfer.session = False, session

    def _drop_paused(self, transfer: Transfer, why: str) -> None:
        """The budget let this paused spool go: its bytes leave the disk; the entry is lost."""
        if not transfer.paused:
            return
        self._fail(transfer)
        transfer.paused = False
        transfer.received = 0
        if self.on_dropped is not None:
            self.on_dropped(transfer, why)

    def _check_head(self, transfer: Transfer) -> None:
        """Once the first 64 KiB are in, check them against the sha256 the front end announced."""
        if transfer.key is None or transfer.head_checked:
            return
        if transfer.hashed_upto < head_length(transfer.size):
            return
        transfer.head_checked = True
        if not head_matches(transfer.path, transfer.size, transfer.key.head_sha256):
            self._fail(transfer)
            raise ProtocolError(
                ErrorCode.SIZE_MISMATCH,
                f"The first bytes of {transfer.name} do not match the hash the browser announced: "
                "pick it again.",
            )

    @staticmethod
    def _new_parts(transfer: Transfer, start: int, end: int, data: memoryview) -> list[tuple[int, int]]:
        """The parts of [start, end) not on disk yet; the held parts must carry the same bytes."""
        held = ranges.overlapping(transfer.chunks, start, end)
        for lo, hi in held:
            with open(transfer.path, "rb") as f:  # rare: only a resend that straddles held bytes
                f.seek(lo)
                same = f.read(hi - lo) == data[lo - start : hi - start]
            if not same:
                raise ProtocolError(
                    ErrorCode.SIZE_MISMATCH,
                    f"Two chunks of {transfer.name} disagree about the same bytes: pick it again.",
                )
        return ranges.missing(held, start, end)

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
