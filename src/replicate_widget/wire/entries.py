"""A drop zone's record of each entry (a file or a pasted URL), and what of it the front end may see."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from .protocol import State

if TYPE_CHECKING:
    from ..core.inputs.local_file import LocalFile
    from ..core.storage.location import StorageLocation


class EntryInfo(TypedDict):
    """One entry as the front end sees it (the Entry typedef in js/wire/protocol.js): no bytes, no path."""

    id: str
    name: str
    size: int
    type: str
    state: str
    progress: float
    error: str
    url: str
    sha256: str


@dataclass
class Entry:
    """The kernel's record of one file or URL given to the drop zone."""

    id: str
    group: str
    name: str
    size: int
    content_type: str
    url: str = ""
    state: State = State.RECEIVING
    progress: float = 0.0
    error: str = ""
    sha256: str = ""
    file: LocalFile | None = None
    upload: Future[str] | None = field(default=None, repr=False)
    stored_at: StorageLocation | None = None  # the user's bucket, when the eager upload went there

    def public(self) -> EntryInfo:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.content_type,
            "state": self.state.value,
            "progress": round(self.progress, 4),
            "error": self.error,
            "url": self.url,
            "sha256": self.sha256,
        }


def url_name(url: str) -> str:
    """What a pasted URL is called in the list: its last path segment, or the URL itself."""
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or url
