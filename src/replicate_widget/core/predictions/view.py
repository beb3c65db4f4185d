"""How predictions show in a notebook: one compact table row each (status, model, age, output, id).

The output cell holds a thumbnail by URL where the output is an image (never downloaded to be shown: a list
of 20 predictions must display at once), else the start of its text.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

from ..network.http import parse_iso_time

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .record import PredictionRecord

_MARK = {"succeeded": "✓", "failed": "✗", "canceled": "■", "aborted": "■"}
_IMAGE_ENDINGS = (".png", ".jpg", ".jpeg", ".webp", ".gif")
_CELL = "padding:2px 8px;text-align:left;vertical-align:middle"
# One line for the short columns (a status or a model name broken over two lines reads badly); the output
# column takes what is left and may wrap.
_COLUMN = [f"{_CELL};white-space:nowrap"] * 3 + [f"{_CELL};max-width:360px"] + [f"{_CELL};white-space:nowrap"]


def age(created_at: str | None, now: float | None = None) -> str:
    """ "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "" when unknown."""
    created = parse_iso_time(created_at)
    if created is None:
        return ""
    seconds = max(0.0, (time.time() if now is None else now) - created)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def _first_file_url(output: Any) -> str | None:
    value = output[0] if isinstance(output, list) and output else output
    url = getattr(value, "url", value)  # a FileOutput, or the URL the API sent
    return url if isinstance(url, str) and url.startswith(("http:", "https:", "data:")) else None


def thumbnail(output: Any) -> str:
    url = _first_file_url(output)
    if url is not None:
        path = url.split("?", 1)[0].lower()
        if url.startswith("data:image/") or path.endswith(_IMAGE_ENDINGS):
            src = html.escape(url, quote=True)
            return f'<img src="{src}" style="max-height:40px;max-width:80px" alt="output">'
        return f'<a href="{html.escape(url, quote=True)}" target="_blank">file</a>'
    if output is None:
        return ""
    text = "".join(map(str, output)) if isinstance(output, list) else str(output)
    return html.escape(text[:60] + ("…" if len(text) > 60 else ""))


def _cells(p: PredictionRecord) -> list[str]:
    status = f"{_MARK.get(p.status, '·')} {html.escape(p.status)}"
    ident = html.escape(p.id)
    web = p.urls.get("web")
    if web:
        ident = f'<a href="{html.escape(web, quote=True)}" target="_blank">{ident}</a>'
    return [status, html.escape(p.model), age(p.created_at), thumbnail(p.output), f"<code>{ident}</code>"]


def row_html(p: PredictionRecord) -> str:
    """One prediction as a one-row table (what a live handle's display holds)."""
    return table_html([p], header=False)


def table_html(predictions: Iterable[PredictionRecord], header: bool = True) -> str:
    rows = "".join(
        "<tr>"
        + "".join(f'<td style="{css}">{cell}</td>' for css, cell in zip(_COLUMN, _cells(p), strict=True))
        + "</tr>"
        for p in predictions
    )
    head = ""
    if header:
        names = ("status", "model", "created", "output", "id")
        head = (
            "<tr>"
            + "".join(f'<th style="{css}">{n}</th>' for css, n in zip(_COLUMN, names, strict=True))
            + "</tr>"
        )
    style = "border-collapse:collapse;font-size:12px"
    return f'<table class="rw-predictions" style="{style}">{head}{rows or "<tr><td>none</td></tr>"}</table>'
