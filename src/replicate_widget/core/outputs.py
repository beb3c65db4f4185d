"""FileOutput: a model's output file, readable, savable, and displayed inline in Jupyter (also once saved)."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import mimetypes
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .files import guess_content_type, sanitize_filename, sniff_content_type
from .limits import EMBED_LIMIT

THUMBNAIL_EDGE = 512
TEXT_PREVIEW = 10_000  # characters
_downloads: httpx.Client | None = None
_downloads_lock = threading.Lock()


def _download_client() -> httpx.Client:
    """Separate from the API client on purpose: output URLs are capabilities and never get the token."""
    global _downloads  # noqa: PLW0603 - one lazily made client per process, shared by every FileOutput
    with _downloads_lock:
        if _downloads is None:
            _downloads = httpx.Client(follow_redirects=True, timeout=httpx.Timeout(60.0, connect=10.0))
        return _downloads


class FileOutput:
    """A file a model produced. ``str()`` is its URL; ``read()``, ``save()`` and iteration fetch it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._data: bytes | None = None
        self._content_type: str | None = None
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
        if self._content_type is None:
            guessed, _ = mimetypes.guess_type(self.filename, strict=False)
            self._content_type = (
                guessed or sniff_content_type(self.read()[:512]) or "application/octet-stream"
            )
        return self._content_type

    def __iter__(self) -> Iterator[bytes]:
        if self._data is not None:
            yield self._data
            return
        with _download_client().stream("GET", self.url) as response:
            response.raise_for_status()
            self._note_type(response)
            yield from response.iter_bytes(1024 * 1024)

    def read(self) -> bytes:
        if self._data is None:
            response = _download_client().get(self.url)
            response.raise_for_status()
            self._note_type(response)
            self._data = response.content
        return self._data

    def save(self, path: str | Path = ".") -> Path:
        """Write to ``path`` (a directory gets the file under its own name), streaming in chunks."""
        target = Path(path)
        if target.is_dir():
            target = target / self.filename
        with target.open("wb") as out:
            for chunk in self:
                out.write(chunk)
        return target

    def _note_type(self, response: httpx.Response) -> None:
        header = response.headers.get("content-type", "").split(";")[0].strip()
        if header and header != "application/octet-stream":
            self._content_type = header
        elif self._content_type is None and response.is_stream_consumed:
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

    # ---- display -------------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self._html()}
        kind = self.content_type
        if kind in ("image/png", "image/jpeg", "image/gif") and self._small():
            bundle[kind] = base64.b64encode(self.read()).decode()
        elif kind.startswith("text/") or kind == "application/json":
            with contextlib.suppress(httpx.HTTPError):
                bundle["text/plain"] = self.read()[:TEXT_PREVIEW].decode("utf-8", "replace")
        return bundle

    def _small(self) -> bool:
        try:
            return len(self.read()) <= EMBED_LIMIT if self._data is None else len(self._data) <= EMBED_LIMIT
        except httpx.HTTPError:
            return False

    def _src(self) -> str:
        """Embed small files so a saved notebook shows them after the URL expires; link large ones."""
        if self.url.startswith("data:") or not self._small():
            return self.url
        return f"data:{self.content_type};base64,{base64.b64encode(self.read()).decode()}"

    def _html(self, image_height: int = 512) -> str:
        name = html.escape(self.filename)
        link = "" if self.url.startswith("data:") else html.escape(self.url, quote=True)
        caption = f'<a href="{link}" target="_blank">{name}</a>' if link else name
        kind = self.content_type
        try:
            if kind.startswith("image/"):
                src = self._src() if self._small() else (self._thumbnail() or self.url)
                style = f"max-width:100%;max-height:{image_height}px"
                body = f'<img src="{html.escape(src, quote=True)}" alt="{name}" style="{style}">'
            elif kind.startswith("audio/"):
                body = f'<audio controls src="{html.escape(self._src(), quote=True)}"></audio>'
            elif kind.startswith("video/"):
                src = html.escape(self._src(), quote=True)
                body = f'<video controls style="max-width:100%" src="{src}"></video>'
            elif kind.startswith("text/") or kind == "application/json":
                text = self.read()[:TEXT_PREVIEW].decode("utf-8", "replace")
                body = f'<pre style="max-height:20em;overflow:auto">{html.escape(text)}</pre>'
            else:
                body = ""
        except httpx.HTTPError as exc:
            body = f"<em>could not fetch: {html.escape(str(exc))}</em>"
        figure = '<figure style="margin:4px;display:inline-block">'
        return f"{figure}{body}<figcaption>{caption}</figcaption></figure>"

    def _thumbnail(self) -> str | None:
        try:
            from PIL import Image
        except ImportError:
            return None
        try:
            with Image.open(io.BytesIO(self.read())) as image:
                image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=80)
        except (OSError, ValueError, httpx.HTTPError):
            return None
        return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


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


def make_file_output(url: str) -> FileOutput:
    return FileOutput(url)


def galleries(value: Any) -> Any:
    """Lists holding files become FileOutputList, at any depth, so they display as galleries."""
    if isinstance(value, list):
        items = [galleries(v) for v in value]
        return FileOutputList(items) if any(isinstance(v, FileOutput) for v in items) else items
    if isinstance(value, dict):
        return {k: galleries(v) for k, v in value.items()}
    return value
