"""How a FileOutput shows itself in a notebook, reading only what the display needs.

Images up to EMBED_LIMIT are embedded as they are, so a saved notebook shows them after the URL expires.
Images up to THUMBNAIL_SOURCE_LIMIT are read once, streamed, to embed a downscaled thumbnail (with Pillow;
without it, by URL). Anything bigger, and audio or video over EMBED_LIMIT, is shown by URL: the size comes
from a HEAD request, or from a streamed read that stops at the limit. Never a whole large file.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
from typing import Any, Protocol

import httpx

from ..limits import EMBED_LIMIT, THUMBNAIL_SOURCE_LIMIT

THUMBNAIL_EDGE = 512  # px
TEXT_PREVIEW = 10_000  # bytes of a text output shown


class Shown(Protocol):
    """What the display reads of an output file (outputs.FileOutput, which imports this module)."""

    url: str
    source: str | None

    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...

    def first_bytes(self, limit: int) -> bytes: ...

    def read_at_most(self, limit: int) -> bytes | None: ...

    def size_hint(self) -> int | None: ...


def mimebundle(output: Shown) -> dict[str, Any]:
    """HTML (the figure with its caption) and plain text. An image is in the HTML only, as a data: URL: an
    image/png entry beside it held the same base64 a second time, and a saved notebook stores every entry
    (the executed quickstart was 2.09 MB). Jupyter front ends show the HTML, never both."""
    bundle: dict[str, Any] = {"text/plain": repr(output), "text/html": figure(output)}
    if _is_text(output.content_type):
        with contextlib.suppress(httpx.HTTPError):
            bundle["text/plain"] = output.first_bytes(TEXT_PREVIEW).decode("utf-8", "replace")
    return bundle


def figure(output: Shown, image_height: int = 512) -> str:
    name = html.escape(output.filename)
    link = "" if output.url.startswith("data:") else html.escape(output.url, quote=True)
    caption = f'<a href="{link}" target="_blank">{name}</a>' if link else name
    if output.source:
        caption = f"{html.escape(output.source)} → {caption}"
    try:
        body = _body(output, name, image_height)
    except httpx.HTTPError as exc:
        body = f"<em>could not fetch: {html.escape(str(exc))}</em>"
    box = '<figure style="margin:4px;display:inline-block">'
    return f"{box}{body}<figcaption>{caption}</figcaption></figure>"


def _body(output: Shown, name: str, image_height: int) -> str:
    kind = output.content_type
    if kind.startswith("image/"):
        src = _image_src(output)
        style = f"max-width:100%;max-height:{image_height}px"
        return f'<img src="{html.escape(src, quote=True)}" alt="{name}" style="{style}">'
    if kind.startswith("audio/"):
        src = _embedded(output) or output.url
        return f'<audio controls src="{html.escape(src, quote=True)}"></audio>'
    if kind.startswith("video/"):
        src = _embedded(output) or output.url
        return f'<video controls style="max-width:100%" src="{html.escape(src, quote=True)}"></video>'
    if _is_text(kind):
        text = output.first_bytes(TEXT_PREVIEW).decode("utf-8", "replace")
        return f'<pre style="max-height:20em;overflow:auto">{html.escape(text)}</pre>'
    return ""


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind == "application/json"


def _small(output: Shown) -> bytes | None:
    """The bytes of a file of at most EMBED_LIMIT, or None (learnt from a HEAD, or a read that stops)."""
    size = output.size_hint()
    if size is not None and size > EMBED_LIMIT:
        return None
    return output.read_at_most(EMBED_LIMIT)


def _embedded(output: Shown) -> str | None:
    """A data: URL of a small file (the file's own, when it is one), else None."""
    if output.url.startswith("data:"):
        return output.url
    small = _small(output)
    if small is None:
        return None
    return f"data:{output.content_type};base64,{base64.b64encode(small).decode()}"


def _image_src(output: Shown) -> str:
    """The image itself when small, a thumbnail when it can be read once, else its URL."""
    if output.url.startswith("data:"):
        return output.url
    size = output.size_hint()
    if size is not None and size > THUMBNAIL_SOURCE_LIMIT:
        return output.url
    try:
        from PIL import Image
    except ImportError:
        return _embedded(output) or output.url
    data = output.read_at_most(THUMBNAIL_SOURCE_LIMIT)  # the one read, whatever the size turns out to be
    if data is None:
        return output.url
    if len(data) <= EMBED_LIMIT:
        return f"data:{output.content_type};base64,{base64.b64encode(data).decode()}"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)
    except (OSError, ValueError):
        return output.url
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
