"""FileInput's record of each entry, and the static listing shown where the widget can't run."""

from __future__ import annotations

import html
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..wire.protocol import State

if TYPE_CHECKING:
    from ..core.files import LocalFile
    from ..core.storage import StorageLocation


class Entry:
    """The kernel's record of one entry; ``public()`` is what the front end may see."""

    def __init__(self, entry_id: str, name: str, size: int, content_type: str, url: str = "") -> None:
        self.id = entry_id
        self.name = name
        self.size = size
        self.content_type = content_type
        self.url = url
        self.state = State.READY if url else State.RECEIVING
        self.progress = 1.0 if url else 0.0
        self.error = ""
        self.sha256 = ""
        self.file: LocalFile | None = None
        self.upload: Future[str] | None = None
        self.stored_at: StorageLocation | None = None  # the user's bucket, when the eager upload went there

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.content_type,
            "state": self.state,
            "progress": round(self.progress, 4),
            "error": self.error,
            "url": self.url,
            "sha256": self.sha256,
        }


def listing_text(entries: list[Entry]) -> str:
    lines = [f"FileInput: {len(entries)} file(s)"]
    lines += [f"  {e.name}  ({e.url or f'{e.size:,} bytes, {e.state}'})" for e in entries]
    return "\n".join(lines)


def listing_html(entries: list[Entry]) -> str:
    items = "".join(
        f"<li>{html.escape(e.name)} <small>{html.escape(detail)}</small></li>"
        for e in entries
        for detail in [e.url or f"{e.size:,} bytes · {e.state}"]
    )
    body = f"<ul>{items}</ul>" if items else "<p><em>No files yet.</em></p>"
    return f"<div><strong>replicate-widget FileInput</strong> (run the notebook to use it){body}</div>"
