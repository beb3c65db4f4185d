"""Static HTML cards: a handle's notebook display, and the grid a search or collection shows.

Plain HTML with inline styles (JupyterLab's theme variables, with light fallbacks), no script and no widget,
so a saved notebook shows them as they were, and a sanitizing viewer still shows readable text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import ReplicateWidgetError
from .signature import default_text, output_text, range_text, type_text

if TYPE_CHECKING:
    from ..core.schema import ModelSchema

_FONT = "var(--jp-ui-font-family,system-ui,-apple-system,'Segoe UI',sans-serif)"
_MONO = "var(--jp-code-font-family,ui-monospace,SFMono-Regular,Menlo,monospace)"
_TEXT = "var(--jp-ui-font-color1,#1f2328)"
_MUTED = "var(--jp-ui-font-color2,#59636e)"
_BORDER = "var(--jp-border-color2,#d8dee4)"
_SURFACE = "var(--jp-layout-color1,#ffffff)"
_SUNKEN = "var(--jp-layout-color2,#f3f4f6)"
_ACCENT = "var(--jp-brand-color1,#1f6feb)"
# JupyterLab's rendered-HTML styles right-align cells, stripe rows and fix the layout of tables: say ours.
_TABLE = "border-collapse:collapse;table-layout:auto;margin-left:0;margin-right:0"
_ROW = "background:transparent"
_CELL = f"border:none;border-top:1px solid {_BORDER};vertical-align:top;text-align:left"
_CARD = (
    f"border:1px solid {_BORDER};border-radius:10px;overflow:hidden;background:{_SURFACE};color:{_TEXT};"
    f"font-family:{_FONT};font-size:13px;line-height:1.45;box-sizing:border-box"
)


@dataclass
class Facts:
    """What a card says about a model, from its record only (no schema)."""

    title: str
    description: str
    run_count: int | None
    cover: str | None
    url: str | None
    badge: str
    subtitle: str
    playground: str


def link(url: Any) -> str | None:
    """``url`` where it is an http(s) URL, else None: a record from a hostile API could carry javascript:."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _title(facts: Facts, size: int) -> str:
    owner, _, name = facts.title.rpartition("/")
    text = f'<span style="color:{_MUTED}">{_e(owner)}/</span><span style="font-weight:600">{_e(name)}</span>'
    style = f"color:inherit;text-decoration:none;font-size:{size}px"
    if facts.url:
        text = f'<a href="{_e(facts.url)}" target="_blank" rel="noopener" style="{style}">{text}</a>'
    else:
        text = f'<span style="{style}">{text}</span>'
    badge = (
        f'<span style="margin-left:8px;padding:1px 7px;border-radius:999px;font-size:11px;'
        f'border:1px solid {_BORDER};color:{_MUTED};vertical-align:2px">{_e(facts.badge)}</span>'
        if facts.badge
        else ""
    )
    return f"<div>{text}{badge}</div>"


def _meta(facts: Facts) -> str:
    parts = []
    if facts.subtitle:
        parts.append(_e(facts.subtitle))
    if isinstance(facts.run_count, int) and not isinstance(facts.run_count, bool):
        count = facts.run_count
        parts.append(f"{count:,} run{'s' if count != 1 else ''}")
    if not parts:
        return ""
    return f'<div style="color:{_MUTED};font-size:12px;margin-top:2px">{" · ".join(parts)}</div>'


def _cover(facts: Facts, style: str) -> str:
    if not facts.cover:
        return f'<div style="{style};background:{_SUNKEN}"></div>'
    style = f"{style};object-fit:cover;background:{_SUNKEN}"
    return f'<img src="{_e(facts.cover)}" alt="" loading="lazy" style="{style}">'


def _code_line(line: str) -> str:
    # A narrow card wraps the line before ".playground()" rather than inside a name.
    head, dot, tail = line.rpartition(".")
    text = f"{_e(head)}<wbr>{dot}{_e(tail)}" if dot else _e(line)
    return (
        f'<code style="display:block;font-family:{_MONO};font-size:12px;background:{_SUNKEN};'
        f'border-radius:6px;padding:6px 8px;white-space:pre-wrap;overflow-wrap:anywhere">{text}</code>'
    )


def _inputs_table(schema: ModelSchema) -> str:
    if schema.unreadable:
        return (
            f'<p style="color:{_MUTED}">The schema could not be read ({_e(schema.unreadable)}): any keyword '
            "is sent as it is, and the server checks it.</p>"
        )
    if not schema.available:
        return f'<p style="color:{_MUTED}">No Input schema published: any keyword is sent as it is.</p>'
    head = "".join(
        f'<th style="text-align:left;font-weight:600;font-size:11px;text-transform:uppercase;border:none;'
        f'letter-spacing:.04em;color:{_MUTED};padding:6px 10px 6px 0">{label}</th>'
        for label in ("Input", "Type", "Default", "Description")
    )
    rows = []
    cell = f"padding:6px 10px 6px 0;{_CELL}"
    for field in schema.fields:
        default = default_text(field)
        shown = (
            f'<span style="color:{_ACCENT};font-weight:600">required</span>'
            if default == "required"
            else f'<span style="font-family:{_MONO};font-size:12px">{_e(default.removeprefix("default "))}'
            "</span>"
        )
        kind = type_text(field)
        limits = range_text(field)
        rows.append(
            f'<tr style="{_ROW}">'
            f'<td style="{cell};font-family:{_MONO};font-size:12px;white-space:nowrap">{_e(field.name)}</td>'
            f'<td style="{cell};color:{_MUTED}">{_e(kind)}{"<br>" + _e(limits) if limits else ""}</td>'
            f'<td style="{cell}">{shown}</td>'
            f'<td style="{cell}">{_e(field.description)}</td>'
            "</tr>"
        )
    table = f'<table style="{_TABLE};width:100%;margin-top:4px">'
    return f'{table}<thead><tr style="{_ROW}">{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


class Carded(Protocol):
    """What a card reads of a model handle (explore/handle.py's Model): cards cannot import the handle, which
    shows itself through them."""

    @property
    def ref(self) -> str: ...

    @property
    def schema(self) -> ModelSchema: ...

    def card_facts(self) -> Facts: ...


def _error_card(title: str, error: Exception) -> str:
    return (
        f'<div class="rw-card rw-card-error" style="{_CARD};max-width:760px;padding:12px 14px">'
        f'<div style="font-weight:600">{_e(title)}</div>'
        f'<div style="color:#cf222e;margin-top:4px;white-space:pre-wrap">{_e(error)}</div></div>'
    )


def full_card(handle: Carded) -> str:
    """One model: cover, name, description, run count, its inputs and output, link, Playground line."""
    try:
        facts = handle.card_facts()
        schema = handle.schema
    except ReplicateWidgetError as exc:
        return _error_card(handle.ref, exc)
    cover = _cover(facts, "width:176px;height:99px;border-radius:8px;flex:none;display:block")
    description = f'<div style="margin-top:6px">{_e(facts.description)}</div>' if facts.description else ""
    header = (
        f'<div style="display:flex;gap:14px;align-items:flex-start">{cover}'
        f'<div style="min-width:0">{_title(facts, 16)}{_meta(facts)}{description}</div></div>'
    )
    output = (
        f'<div style="margin-top:8px"><span style="font-weight:600">Output</span> '
        f'<span style="color:{_MUTED}">{_e(output_text(schema))}</span></div>'
        if schema.available
        else ""
    )
    footer = (
        f'<div style="margin-top:10px;color:{_MUTED};font-size:12px">Open a form for it:</div>'
        f"{_code_line(facts.playground)}"
    )
    return (
        f'<div class="rw-card" data-ref="{_e(handle.ref)}" style="{_CARD};max-width:760px;padding:14px">'
        f'{header}<div style="margin-top:12px">{_inputs_table(schema)}</div>{output}{footer}</div>'
    )


def compact_card(handle: Carded) -> str:
    """A card in a grid: from the listing's record only, so listing fetches no schema."""
    try:
        facts = handle.card_facts()
    except ReplicateWidgetError as exc:
        return _error_card(handle.ref, exc)
    cover = _cover(facts, "width:100%;height:120px;display:block")
    description = (
        f'<div style="margin-top:6px;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;'
        f'overflow:hidden">{_e(facts.description)}</div>'
        if facts.description
        else ""
    )
    return (
        f'<div class="rw-card" data-ref="{_e(handle.ref)}" '
        f'style="{_CARD};display:flex;flex-direction:column">'
        f'{cover}<div style="padding:10px 12px 12px;display:flex;flex-direction:column;flex:1">'
        f'{_title(facts, 14)}{_meta(facts)}{description}<div style="flex:1"></div>'
        f'<div style="margin-top:10px">{_code_line(facts.playground)}</div></div></div>'
    )


def grid(handles: Iterable[Carded], heading: str = "", note: str = "") -> str:
    items = [compact_card(h) for h in handles]
    top = ""
    if heading:
        style = f"font-family:{_FONT};font-weight:600;font-size:15px;margin:2px 0"
        top += f'<div style="{style}">{_e(heading)}</div>'
    if note:
        style = f"font-family:{_FONT};color:{_MUTED};font-size:12px;margin-bottom:8px"
        top += f'<div style="{style}">{_e(note)}</div>'
    if not items:
        return top + f'<div style="font-family:{_FONT};color:{_MUTED}">No models found.</div>'
    body = "".join(items)
    return (
        f'{top}<div class="rw-card-grid" style="display:grid;'
        f'grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px;max-width:1100px">{body}</div>'
    )


def collections_table(rows: Iterable[tuple[str, str, str]]) -> str:
    """Each collection (name, description, slug) with the line that lists its models."""
    cell = f"padding:7px 14px 7px 0;{_CELL}"
    body = "".join(
        f'<tr style="{_ROW}"><td style="{cell};font-weight:600;white-space:nowrap">{_e(name)}</td>'
        f'<td style="{cell};color:{_MUTED}">{_e(description)}</td>'
        f'<td style="{cell}"><code style="font-family:{_MONO};font-size:12px;background:{_SUNKEN};'
        f'border-radius:4px;padding:2px 6px;white-space:nowrap">rw.collection({_e(repr(slug))})</code>'
        "</td></tr>"
        for name, description, slug in rows
    )
    style = f"{_TABLE};font-family:{_FONT};font-size:13px;color:{_TEXT}"
    return f'<table class="rw-collections" style="{style}"><tbody>{body}</tbody></table>'
