"""LocalFile: a file in the kernel, with the name, type and checksum the API needs.

Content types come from the file name, else from the first bytes (a small table of magic numbers: the
formats models take; no dependency for a dozen signatures). Names are sanitised before they reach a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mimetypes
import os
import re
import threading
import unicodedata
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, BinaryIO

from .. import tempfiles
from ..outputs.diskwrite import full_disk_said

CHUNK_SIZE = 1024 * 1024
OCTET_STREAM = "application/octet-stream"

# (offset, signature, content type). Ordered so longer, more specific signatures win.
_MAGIC: list[tuple[int, bytes, str]] = [
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"\x1f\x8b", "application/gzip"),
]
# RIFF containers and ISO media name their format a few bytes in.
_RIFF = {b"WAVE": "audio/wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}
_ISO_BRANDS = {b"avif": "image/avif", b"heic": "image/heic", b"M4A ": "audio/mp4", b"qt  ": "video/quicktime"}


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first bytes of a file reveal, or None."""
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12], "video/mp4")
    for offset, signature, content_type in _MAGIC:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    if head and _looks_like_text(head):
        return "text/plain"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def guess_content_type(name: str, head: bytes = b"") -> str:
    """From the name's extension first (what the user meant), else from the bytes."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed:
        return guessed
    return sniff_content_type(head) or OCTET_STREAM


_UNSAFE = re.compile(r"[^\w.\- ()+,@]+")


def sanitize_filename(name: str, default: str = "file") -> str:
    """A name safe to send and to save: no directories, no control or shell characters, at most 200 bytes."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return default
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    while len(name.encode()) > 200:  # keep the extension: it carries the type
        stem = stem[:-1]
        name = f"{stem}.{ext}" if ext else stem
    return name


class LocalFile:
    """A file on the kernel's disk, about to become a model input.

    ``sha256`` is computed once, on first use, streaming the file (never whole in memory), unless an upload
    computed it on the way (``_note_sha256``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        content_type: str | None = None,
        sha256: str | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"No such file: {self.path}")
        self.name = sanitize_filename(name or self.path.name)
        # False when the name is a stand-in (bytes carry none: they are named after their field). A real name
        # travels with the file, in a data URI too (inputs/normalize.py), so the model sees it.
        self.named = True
        self._content_type = content_type
        self._sha256 = sha256
        self._lock = threading.Lock()
        # Set for a temporary copy (from_bytes, from_stream): removes its folder, once.
        self._release: weakref.finalize[..., Any] | None = None

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "file", content_type: str | None = None) -> LocalFile:
        """Spool bytes to a temporary file so they travel like any other file."""
        return cls.from_stream(io.BytesIO(data), name=name, content_type=content_type)

    @classmethod
    def from_stream(cls, stream: BinaryIO, name: str = "file", content_type: str | None = None) -> LocalFile:
        """Copy a binary stream to a temporary file, removed by `release()`, when the LocalFile is collected,
        or at the latest when the process ends (see core/tempfiles.py)."""
        folder = tempfiles.make_folder()
        try:
            path = folder / sanitize_filename(name)
            hasher = hashlib.sha256()
            with full_disk_said(folder.parent), path.open("wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    out.write(chunk)
            spooled = cls(path, name=name, content_type=content_type, sha256=hasher.hexdigest())
        except BaseException:
            tempfiles.remove_folder(folder)
            raise
        spooled._release = weakref.finalize(spooled, tempfiles.remove_folder, str(folder))
        made = _spooled_here.get()
        if made is not None:
            made.append(spooled)
        return spooled

    @property
    def temporary(self) -> bool:
        """True for a copy this package made (from bytes or a stream) that is still on disk."""
        return self._release is not None and self._release.alive

    def release(self) -> None:
        """Delete the temporary copy now (from_bytes, from_stream); nothing for a file given by its path."""
        if self._release is not None:
            self._release()

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def content_type(self) -> str:
        if self._content_type is None:
            with self.path.open("rb") as f:
                self._content_type = guess_content_type(self.name, f.read(512))
        return self._content_type

    @property
    def sha256(self) -> str:
        with self._lock:
            if self._sha256 is None:
                hasher = hashlib.sha256()
                with self.path.open("rb") as f:
                    while chunk := f.read(CHUNK_SIZE):
                        hasher.update(chunk)
                self._sha256 = hasher.hexdigest()
            return self._sha256

    # Package-internal (not in the public API): the upload path reads and sets the checksum without a pass of
    # its own over the file.
    @property
    def _known_sha256(self) -> str | None:
        """The checksum if computed already (or given), without reading the file."""
        return self._sha256

    def _note_sha256(self, digest: str) -> None:
        """Keep a checksum computed elsewhere (an upload hashes the bytes as it sends them)."""
        with self._lock:
            if self._sha256 is None:
                self._sha256 = digest

    def read(self) -> bytes:
        return self.path.read_bytes()

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def __repr__(self) -> str:
        return f"LocalFile({self.name!r}, size={self.size}, content_type={self.content_type!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalFile) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


_spooled_here: ContextVar[list[LocalFile] | None] = ContextVar("spooled_here", default=None)


@contextlib.contextmanager
def collecting_spools(made: list[LocalFile]) -> Iterator[list[LocalFile]]:
    """Append to ``made`` every temporary copy made inside the block, so its maker can release them."""
    token = _spooled_here.set(made)
    try:
        yield made
    finally:
        _spooled_here.reset(token)
