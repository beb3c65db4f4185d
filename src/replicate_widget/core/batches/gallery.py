"""A batch as HTML: "n/N done · k failed · ETA", the newest results (thumbnails of the saved copies, or
text), a grid when several models run side by side, and a table of failures.

Made from the ledger and the files in ``out/``, never from Replicate's URLs: it still shows after Replicate
deletes the outputs, and a saved notebook shows it offline. At most 100 thumbnails, each a small JPEG (with
Pillow; without it, only images of a few KB are embedded), together under 500 KB.
"""

from __future__ import annotations

import base64
import html
import io
import mimetypes
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .ledger import Row

MAX_THUMBNAILS = 100
MAX_BYTES = 500_000
THUMB_EDGE = 96  # px
MAX_FAILURES_SHOWN = 20
_TEXT_CHARS = 160


class Thumbnails:
    """Thumbnails made once per saved file, the newest MAX_THUMBNAILS kept (memory stays flat)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, str | None] = OrderedDict()

    def get(self, path: Path) -> str | None:
        key = str(path)
        if key not in self._cache:
            self._cache[key] = _thumbnail(path)
            while len(self._cache) > MAX_THUMBNAILS:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]


def _thumbnail(path: Path) -> str | None:
    """A data: URI of a small JPEG of the image at ``path``, or None when it is not an image we can read."""
    kind, _ = mimetypes.guess_type(path.name)
    if not kind or not kind.startswith("image/"):
        return None
    try:
        from PIL import Image
    except ImportError:  # without Pillow: only images already small enough
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_BYTES // MAX_THUMBNAILS else None
        except OSError:
            return None
        return f"data:{kind};base64,{base64.b64encode(data).decode()}" if data else None
    try:
        with Image.open(path) as image:
            image.thumbnail((THUMB_EDGE, THUMB_EDGE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=70)
    except (OSError, ValueError):
        return None
    data = buffer.getvalue()
    if len(data) > MAX_BYTES // MAX_THUMBNAILS:
        return None
    return f"data:image/jpeg;base64,{base64.b64encode(data).decode()}"


def header(counts: dict[str, int], total: int, eta: float | None, state: str) -> str:
    done = sum(counts.get(s, 0) for s in ("succeeded", "failed", "canceled"))
    parts = [f"{done}/{total} done"]
    if counts.get("failed"):
        parts.append(f"{counts['failed']} failed")
    if counts.get("canceled"):
        parts.append(f"{counts['canceled']} canceled")
    if state == "running" and eta is not None and done < total:
        parts.append(f"ETA {_duration(eta)}")
    elif state != "running":
        parts.append(state)
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def cell(row: Row, out: Path, thumbs: Thumbnails) -> str:
    """One result: its thumbnail or text, captioned with its name."""
    name = html.escape(row.name)
    if row.status != "succeeded":
        body = f'<div style="color:#b00;font-size:11px">{html.escape(row.status)}</div>'
    elif row.paths:
        src = thumbs.get(out / row.paths[0])
        more = f" +{len(row.paths) - 1}" if len(row.paths) > 1 else ""
        if src:
            body = (
                f'<img src="{src}" alt="{name}" style="max-width:{THUMB_EDGE}px;max-height:{THUMB_EDGE}px">'
            )
        else:
            body = f'<div style="font-size:11px">{html.escape(Path(row.paths[0]).name)}</div>'
        name += more
    else:
        text = _text(row.output)
        body = f'<div style="font-size:11px;white-space:pre-wrap;max-width:160px">{html.escape(text)}</div>'
    return (
        '<figure style="margin:2px;display:inline-block;vertical-align:top;text-align:center">'
        f'{body}<figcaption style="font-size:11px">{name}</figcaption></figure>'
    )


def _text(output: Any) -> str:
    text = output if isinstance(output, str) else repr(output)
    return text if len(text) <= _TEXT_CHARS else text[: _TEXT_CHARS - 1] + "…"


def gallery(rows: list[Row], out: Path, thumbs: Thumbnails) -> str:
    return '<div class="rw-batch-gallery">' + "".join(cell(r, out, thumbs) for r in rows) + "</div>"


def grid(rows: list[Row], models: list[str], out: Path, thumbs: Thumbnails) -> str:
    """Inputs down, models across: the newest inputs that have any result."""
    by_input: dict[int, dict[str, Row]] = {}
    for row in rows:
        by_input.setdefault(row.row, {})[row.model] = row
    head = "".join(f"<th>{html.escape(m)}</th>" for m in models)
    lines = []
    for index in sorted(by_input):
        cells = "".join(
            f"<td>{cell(by_input[index][m], out, thumbs)}</td>" if m in by_input[index] else "<td>…</td>"
            for m in models
        )
        lines.append(f"<tr><th>{index + 1}</th>{cells}</tr>")
    return f'<table class="rw-batch-grid"><tr><th></th>{head}</tr>{"".join(lines)}</table>'


def failures(rows: list[Row], total_failed: int) -> str:
    if not rows:
        return ""
    lines = "".join(
        f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(r.model)}</td>"
        f"<td>{html.escape(r.prediction_id or '')}</td>"
        f'<td style="text-align:left">{html.escape((r.error or "")[:300])}</td></tr>'
        for r in rows
    )
    more = (
        f"<caption>first {len(rows)} of {total_failed} failures</caption>" if total_failed > len(rows) else ""
    )
    return (
        f'<table class="rw-batch-failures">{more}<tr><th>item</th><th>model</th><th>prediction</th>'
        f"<th>error</th></tr>{lines}</table>"
    )


def page(title: str, top: str, body: str, failed: str) -> str:
    style = "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px"
    return (
        f'<div class="rw-batch" style="{style}"><div class="rw-batch-header"><b>{html.escape(title)}</b>: '
        f"{html.escape(top)}</div>{body}{failed}</div>"
    )
