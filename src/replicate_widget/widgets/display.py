"""What the widgets show outside their live view: the static listing for viewers that can't run a widget
(GitHub, nbviewer, a notebook opened without its kernel), and the tail of a prediction's log."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..wire.entries import Entry
    from .playground.form import FieldSpec

LOG_LINES = 30
_LOG_CHARS = 4000


def log_tail(logs: str, lines: int = LOG_LINES) -> str:
    """The last lines of a log as a widget shows them (tqdm redraws reduced to their last state)."""
    kept = [line.rsplit("\r", 1)[-1] for line in logs.rstrip().splitlines()]
    return "\n".join(kept[-lines:])[-_LOG_CHARS:]


def with_static_view(bundle: Any, text: str, html_text: str) -> Any:
    """A widget's mimebundle with plain text and HTML added beside the widget view, which needs a kernel."""
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
    data = {**(data or {}), "text/plain": text, "text/html": html_text}
    return (data, metadata) if metadata is not None else data


def file_listing(entries: list[Entry]) -> tuple[str, str]:
    """FileInput's entries as text and HTML."""
    lines = [f"FileInput: {len(entries)} file(s)"]
    lines += [f"  {e.name}  ({e.url or f'{e.size:,} bytes, {e.state}'})" for e in entries]
    items = "".join(
        f"<li>{html.escape(e.name)} <small>{html.escape(detail)}</small></li>"
        for e in entries
        for detail in [e.url or f"{e.size:,} bytes · {e.state}"]
    )
    body = f"<ul>{items}</ul>" if items else "<p><em>No files yet.</em></p>"
    table = f"<div><strong>replicate-widget FileInput</strong> (run the notebook to use it){body}</div>"
    return "\n".join(lines), table


def form_listing(model: str, form: list[FieldSpec]) -> tuple[str, str]:
    """A Playground's form as text and HTML."""
    names = [f"{spec['name']}{'*' if spec['required'] else ''}" for spec in form]
    text = f"Playground for {model}: {len(form)} inputs ({', '.join(names)}); * = required"
    rows = "".join(
        f"<tr><td><code>{html.escape(spec['name'])}</code>{' *' if spec['required'] else ''}</td>"
        f"<td>{html.escape(spec['kind'])}</td><td>{html.escape(spec['description'])}</td></tr>"
        for spec in form
    )
    table = (
        f"<div><strong>Playground</strong> for <code>{html.escape(model)}</code> (run the notebook to use it)"
        f"<table><tr><th>input</th><th>kind</th><th>description</th></tr>{rows}</table></div>"
    )
    return text, table
