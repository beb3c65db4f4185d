"""The kernel half of a drop zone, for every widget that has one (FileInput, the Playground's file fields).

It answers the transfer's requests (hello, begin, chunk, url, remove, ping) through the widget's Endpoint, so
each gets exactly one reply; spools the bytes with a ``Receiver``; keeps the entries in the order given, each
in one ``group`` (the Playground's field; FileInput has one group, ""); uploads arrived files ahead when asked
to; and tells the widget when its entries changed, at most ten times a second for progress alone. It never
blocks: every call does the work for one message and returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.errors import TransferError
from ..core.inputs.routing import too_large
from ..core.limits import STORAGE_LIMIT
from .eager import EagerUploads
from .endpoint import Endpoint
from .entries import Entry, EntryInfo, url_name
from .protocol import (
    LIMITS,
    PROTOCOL_VERSION,
    BeginRequest,
    ChunkRequest,
    ErrorCode,
    HelloRequest,
    HostTuning,
    Kind,
    ProtocolError,
    RemoveRequest,
    State,
    UrlRequest,
    host_tuning,
)
from .transfer import Receiver

if TYPE_CHECKING:
    from ..core.client import Client
    from ..core.inputs.local_file import LocalFile

_PROGRESS_EVERY = 0.1  # seconds between progress-only publications


class DropZone:
    """Entries and transfers of one widget; see the module docstring."""

    def __init__(
        self,
        endpoint: Endpoint,
        changed: Callable[[], None],
        *,
        client: Callable[[], Client],
        eager: Callable[[], bool],
        storage: Callable[[], str | None] = lambda: None,
        group_of: Callable[[str], str] = lambda _entry_id: "",
        max_bytes: Callable[[], int] = lambda: LIMITS["MAX_FILE_BYTES"],
        tuning: HostTuning | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.tuning = tuning or host_tuning()
        self._changed = changed
        self._eager = eager
        self._group_of = group_of
        self._max_bytes = max_bytes
        self._receiver = Receiver(max_bytes=STORAGE_LIMIT)  # the widget's own max_bytes is checked first
        self._receiver.on_dropped = self._spool_dropped
        self._entries: dict[str, Entry] = {}
        self._uploads = EagerUploads(client, storage, self._entry_moved)
        # Upload threads publish progress too; one publisher at a time keeps the widget's trait consistent.
        self._publish_lock = threading.Lock()
        self._last_publish = 0.0
        endpoint.on(Kind.HELLO, self._hello)
        endpoint.on(Kind.PING, lambda _request, _buffers: {})
        endpoint.on(Kind.BEGIN, self._begin)
        endpoint.on(Kind.CHUNK, self._chunk)
        endpoint.on(Kind.URL, self._url)
        endpoint.on(Kind.REMOVE, self._remove)

    @property
    def folder(self) -> Any:
        """The private folder the files are spooled to (removed on close)."""
        return self._receiver.folder

    # ---- what the widget reads
    def entries(self, group: str | None = None) -> list[Entry]:
        """The entries in the order given (of one group, or all)."""
        return [e for e in list(self._entries.values()) if group is None or e.group == group]

    def public(self) -> list[EntryInfo]:
        return [e.public() for e in self.entries()]

    def values(self, group: str | None = None) -> list[LocalFile | str]:
        """The inputs in order: a LocalFile per arrived file, the string of a pasted URL.

        Raises TransferError when an entry is still on its way or was cut off, so a run never sends half a
        file, and when the page speaks another protocol version (its files can't arrive).
        """
        if self.endpoint.mismatch:
            raise TransferError(self.endpoint.mismatch)
        out: list[LocalFile | str] = []
        for entry in self.entries(group):
            if entry.url:
                out.append(entry.url)
            elif entry.file is not None:
                out.append(entry.file)
            elif entry.state is State.PAUSED:
                raise TransferError(
                    f"{entry.name} is paused at {int(entry.progress * 100)}% (the page was reloaded while it "
                    "was arriving): pick the same file again to send the rest, or remove it.",
                    entry.progress,
                )
            elif entry.state is State.ERROR:
                raise TransferError(
                    f"{entry.name} did not arrive whole ({entry.error or 'cut off'}): "
                    "pick it again or remove it.",
                    entry.progress,
                )
            else:
                raise TransferError(
                    f"{entry.name} is still on its way to the kernel "
                    f"({int(entry.progress * 100)}% received). "
                    "Wait until the widget shows it ready, then run again.",
                    entry.progress,
                )
        return out

    # ---- what the widget (or its user) does
    def add_url(self, url: str, group: str = "", entry_id: str | None = None) -> Entry:
        entry_id = entry_id or f"{group}:url{len(self._entries)}"
        entry = self._entries.get(entry_id)
        if entry is None:
            entry = Entry(entry_id, group, url_name(url), 0, "url", url=url, state=State.READY, progress=1.0)
            self._entries[entry_id] = entry
            self._publish()
        return entry

    def remove(self, entry_id: str) -> None:
        """Remove an entry: its spool file goes, and its upload unless another entry holds the same bytes."""
        entry = self._entries.pop(entry_id, None)
        self._receiver.remove(entry_id)
        self._publish()
        if entry is None or entry.file is None or entry.upload is None:
            return
        if not any(e.sha256 == entry.sha256 for e in self._entries.values()):
            self._uploads.delete(entry)

    def clear(self) -> None:
        for entry_id in list(self._entries):
            self.remove(entry_id)

    def mark_uploaded(self, client: Client) -> None:
        """Files a run uploaded (no eager upload) now show as uploaded."""
        moved = [
            e
            for e in self._entries.values()
            if e.file is not None and e.state is State.READY and client.uploaded(e.file) is not None
        ]
        for entry in moved:
            entry.state = State.UPLOADED
        if moved:
            self._publish()

    def wait_uploads(self) -> None:
        self._uploads.wait()

    def close(self) -> None:
        """Every spool file goes (uploads stay until the client goes)."""
        self._receiver.close()
        self._entries.clear()
        self._uploads.close()

    # ---- requests
    def _hello(self, request: HelloRequest, _buffers: list[Any]) -> dict[str, Any]:
        # A new page (reload): the old page's unfinished transfers pause until the same file is picked again,
        # or are lost when the old page didn't send what recognises the file.
        paused, lost = self._receiver.cut_off(keep_session=request["session"])
        for transfer in paused:
            entry = self._entries.get(transfer.id)
            if entry is not None:
                entry.state, entry.error = State.PAUSED, ""
        for transfer in lost:
            entry = self._entries.get(transfer.id)
            if entry is not None:
                self._fail(entry, "lost: pick again (the page was reloaded while it was arriving)")
        self._publish()
        return {"version": PROTOCOL_VERSION, "chunk_size": self.tuning.chunk_size}

    def _begin(self, request: BeginRequest, _buffers: list[Any]) -> dict[str, Any]:
        entry_id, name, size = request["id"], request["name"], request["size"]
        group = self._group_of(entry_id)
        if size > self._max_bytes():
            raise ProtocolError(ErrorCode.TOO_LARGE, too_large(name, size, self._max_bytes(), widget=True))
        transfer = self._receiver.begin(
            entry_id, name, size, request["type"], request["session"],
            last_modified=request.get("last_modified", 0), head_sha256=request.get("head_sha256", ""),
        )  # fmt: skip
        # transfer.id is an older entry's when the same file, picked again after a reload, resumes it.
        entry = self._entries.get(transfer.id)
        if entry is None:
            self._entries[transfer.id] = Entry(transfer.id, group, name, size, request["type"])
        elif entry.state is State.PAUSED:
            entry.state, entry.error = State.RECEIVING, ""
        if transfer.complete:  # an empty file
            self._arrived(transfer.id)
        self._publish()
        return {
            "id": transfer.id,
            "chunk_size": self.tuning.chunk_size,
            "complete": transfer.complete,
            "have": transfer.held(),
            "sha256": transfer.sha256,
        }

    def _chunk(self, request: ChunkRequest, buffers: list[Any]) -> dict[str, Any]:
        entry_id = self._receiver.resolve(request["id"])
        entry = self._entries.get(entry_id)
        try:
            transfer = self._receiver.chunk(entry_id, request["offset"], buffers[0])
        except ProtocolError as exc:
            if entry is not None and exc.code is not ErrorCode.UNKNOWN_ENTRY:
                self._fail(entry, str(exc))
            raise
        except Exception as exc:  # the endpoint still replies; the entry must not look as if it were arriving
            if entry is not None:
                self._fail(entry, f"the kernel couldn't store it ({exc}): pick it again")
            raise
        if entry is None:  # removed meanwhile; the receiver would have refused, but be safe
            raise ProtocolError(ErrorCode.UNKNOWN_ENTRY, "This entry was removed.")
        entry.progress = transfer.progress
        if transfer.complete:
            self._arrived(entry_id)
        self._publish(throttle=not transfer.complete)
        return {"received": transfer.received, "complete": transfer.complete, "sha256": transfer.sha256}

    def _url(self, request: UrlRequest, _buffers: list[Any]) -> dict[str, Any]:
        self.add_url(request["url"], self._group_of(request["id"]), request["id"])
        return {}

    def _remove(self, request: RemoveRequest, _buffers: list[Any]) -> dict[str, Any]:
        self.remove(request["id"])
        return {}

    # ---- entry states
    def _arrived(self, entry_id: str) -> None:
        from ..core.inputs.local_file import LocalFile

        entry, transfer = self._entries[entry_id], self._receiver.get(entry_id)
        assert transfer is not None
        assert transfer.sha256 is not None
        entry.file = LocalFile(
            transfer.path, name=entry.name, content_type=entry.content_type, sha256=transfer.sha256
        )
        entry.sha256, entry.progress, entry.state = transfer.sha256, 1.0, State.READY
        if self._eager():
            self._uploads.start(entry)

    def _spool_dropped(self, transfer: Any, why: str) -> None:
        """The kernel's budget for paused spools let this one go (an hour passed, or newer ones took room)."""
        entry = self._entries.get(transfer.id)
        if entry is not None:
            entry.progress = 0.0
            self._fail(entry, f"lost: pick again (its partial copy was {why})")

    def _fail(self, entry: Entry, message: str) -> None:
        entry.state, entry.error, entry.file = State.ERROR, message, None
        self._publish()

    def _entry_moved(self, entry: Entry, throttle: bool) -> None:
        if self._entries.get(entry.id) is entry:  # not removed meanwhile
            self._publish(throttle)

    def _publish(self, throttle: bool = False) -> None:
        """Tell the widget its entries changed; progress-only changes at most ten times a second."""
        with self._publish_lock:
            now = time.monotonic()
            if throttle and now - self._last_publish < _PROGRESS_EVERY:
                return
            self._last_publish = now
            self._changed()
