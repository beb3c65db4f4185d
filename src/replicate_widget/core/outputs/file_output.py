"""FileOutput: a model's output file, readable, savable, and displayed inline in Jupyter (also once saved).

How it displays is in display.py; this module fetches (whole, or at most so many bytes, or a HEAD)
through the `Downloads` of the client that made it (its connection pool and httpx transport:
network/transport.py), never with the token; one made by hand fetches through the process's shared pool.
"""

from __future__ import annotations

import base64
import contextlib
import html
import mimetypes
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import httpx

from ..inputs.local_file import OCTET_STREAM, guess_content_type, sanitize_filename, sniff_content_type
from ..limits import EMBED_LIMIT
from ..network.transport import shared_downloads
from .diskwrite import write_whole


class Downloads(Protocol):
    """How output files and streams are fetched: a streamed response, never with the token, redirects
    followed unless told (HttpTransport.open: the client's pool)."""

    def open(
        self,
        method: str,
        url: str,
        *,
        timeout: httpx.Timeout = ...,
        follow_redirects: bool = ...,
        headers: dict[str, str] | None = ...,
    ) -> AbstractContextManager[httpx.Response]: ...


class AsyncDownloads(Protocol):
    """`Downloads` on the event loop (AsyncHttpTransport.open)."""

    def open(
        self,
        method: str,
        url: str,
        *,
        timeout: httpx.Timeout = ...,
        follow_redirects: bool = ...,
        headers: dict[str, str] | None = ...,
    ) -> AbstractAsyncContextManager[httpx.Response]: ...


class FileOutput:
    """A file a model produced. ``str()`` is its URL; ``read()``, ``save()`` and iteration fetch it.

    ``downloads``: what fetches it, the client's that made it; None, the process's shared pool."""

    def __init__(self, url: str, *, downloads: Downloads | None = None) -> None:
        self.url = url
        self._downloads = downloads
        # The input it was made from, for its caption: run_batch sets it, where every output of a model may
        # bear the same name (six `gray.png`).
        self.source: str | None = None
        self._data: bytes | None = None
        self._content_type: str | None = None
        self._size: int | None = None
        self._probed = False  # whether a HEAD asked for the size and type
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            self._content_type = header[5:].split(";")[0] or "text/plain"
            raw = payload.encode()
            self._data = base64.b64decode(raw) if ";base64" in header else urllib.parse.unquote_to_bytes(raw)

    @property
    def filename(self) -> str:
        if self.url.startswith("data:"):
            ext = mimetypes.guess_extension(self.content_type) or ""
            return f"output{ext}"
        path = urllib.parse.urlsplit(self.url).path
        return sanitize_filename(urllib.parse.unquote(path.rsplit("/", 1)[-1]), default="output")

    @property
    def content_type(self) -> str:
        """From the name's extension, else the server's Content-Type (HEAD), else the first bytes."""
        if self._content_type is None:
            guessed, _ = mimetypes.guess_type(self.filename, strict=False)
            if guessed is None:
                self.size_hint()  # a HEAD notes the server's type
            if self._content_type is None:
                self._content_type = guessed or self._sniff() or OCTET_STREAM
        return self._content_type

    def _sniff(self) -> str | None:
        with contextlib.suppress(httpx.HTTPError):
            return sniff_content_type(self.first_bytes(512))
        return None

    def _open(self, method: str) -> AbstractContextManager[httpx.Response]:
        return (self._downloads or shared_downloads()).open(method, self.url)

    def __getstate__(self) -> dict[str, Any]:
        # A copy or a pickle keeps the file, not the connection pool: it fetches through the shared one.
        return {**self.__dict__, "_downloads": None}

    def __iter__(self) -> Iterator[bytes]:
        if self._data is not None:
            yield self._data
            return
        with self._open("GET") as response:
            response.raise_for_status()
            self._note_type(response)
            yield from response.iter_bytes(1024 * 1024)

    def read(self) -> bytes:
        if self._data is None:
            with self._open("GET") as response:
                response.raise_for_status()
                response.read()
                self._note_type(response)
                self._data = response.content
        return self._data

    def save(self, path: str | Path = ".") -> Path:
        """Write to ``path`` (a directory gets the file under its own name), streaming in chunks. The file
        appears whole or not at all (written under a temporary name, then renamed); a full disk is a
        DiskFullError."""
        target = Path(path)
        if target.is_dir():
            target = target / self.filename
        with write_whole(target) as out:
            for chunk in self:
                out.write(chunk)
        return target

    def _note_type(self, response: httpx.Response) -> None:
        header = response.headers.get("content-type", "").split(";")[0].strip()
        if header and header != OCTET_STREAM:
            self._content_type = header
        elif self._content_type is None and response.is_stream_consumed and response.request.method == "GET":
            self._content_type = guess_content_type(self.filename, response.content[:512])

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        shown = self.url if len(self.url) < 100 else self.url[:60] + "..."
        return f"FileOutput({shown!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileOutput) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    # ---- looking without downloading ---------------------------------------------------------------------
    def size_hint(self) -> int | None:
        """The size in bytes, from memory or a HEAD request (once); None when the server does not say."""
        if self._data is not None:
            return len(self._data)
        if self._size is not None:  # a read that stopped at a limit learnt at least this much
            return self._size
        if not self._probed:
            self._probed = True
            with contextlib.suppress(httpx.HTTPError), self._open("HEAD") as response:
                if response.is_success:
                    self._note_type(response)
                    length = response.headers.get("content-length", "")
                    self._size = int(length) if length.isdigit() else None
        return self._size

    def read_at_most(self, limit: int) -> bytes | None:
        """The whole file if it has at most ``limit`` bytes, else None; never reads more than ``limit`` + one
        chunk. Small files (up to the embed limit) are kept, like read() keeps them."""
        if self._data is not None:
            return self._data if len(self._data) <= limit else None
        parts: list[bytes] = []
        total = 0
        with self._open("GET") as response:
            response.raise_for_status()
            self._note_type(response)
            for chunk in response.iter_bytes(256 * 1024):
                total += len(chunk)
                if total > limit:
                    self._size = max(self._size or 0, total)
                    return None  # leaving the block closes the connection: the rest is never sent
                parts.append(chunk)
        data = b"".join(parts)
        self._size = len(data)
        if len(data) <= EMBED_LIMIT:
            self._data = data
        return data

    def first_bytes(self, limit: int) -> bytes:
        """The first ``limit`` bytes (all of a shorter file), from a stream closed once it has them."""
        if self._data is not None:
            return self._data[:limit]
        parts: list[bytes] = []
        total = 0
        with self._open("GET") as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(min(limit, 256 * 1024)):
                parts.append(chunk)
                total += len(chunk)
                if total >= limit:
                    break
        return b"".join(parts)[:limit]

    # ---- display (display.py) ------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from .display import mimebundle

        return mimebundle(self)

    def _html(self, image_height: int = 512) -> str:
        from .display import figure

        return figure(self, image_height)


class FileOutputList(list):  # type: ignore[type-arg]
    """A list of outputs that displays its files as a gallery. Otherwise an ordinary list."""

    GALLERY_IMAGE_HEIGHT = 240  # px: several to a row, so a batch reads as one picture, not a long scroll

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        parts = [
            item._html(self.GALLERY_IMAGE_HEIGHT)
            if isinstance(item, FileOutput)
            else f"<pre>{html.escape(repr(item))}</pre>"
            for item in self
        ]
        gallery = '<div style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start">' + "".join(parts)
        return {"text/plain": repr(list(self)), "text/html": gallery + "</div>"}


def make_file_output(url: str, downloads: Downloads | None = None) -> FileOutput:
    return FileOutput(url, downloads=downloads)


def galleries(value: Any) -> Any:
    """Lists holding files become FileOutputList, at any depth, so they display as galleries."""
    if isinstance(value, list):
        items = [galleries(v) for v in value]
        return FileOutputList(items) if any(isinstance(v, FileOutput) for v in items) else items
    if isinstance(value, dict):
        return {k: galleries(v) for k, v in value.items()}
    return value
