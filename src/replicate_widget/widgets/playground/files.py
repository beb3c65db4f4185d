"""The Playground's file fields in the kernel: the same transfer as FileInput, one entry list per field.

Requests arrive in the protocol of ``_protocol.py`` (begin / chunk / url / remove / ping, each answered
exactly once) and bytes are spooled by the reusable ``_transfer.Receiver``. An entry id is
``"<field>:<token>"``, so the kernel knows which field a file belongs to without an extra message (field
names are identifiers and never hold a colon).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.files import LocalFile
from ...core.limits import FILES_API_LIMIT
from ...wire.protocol import (
    PROTOCOL_VERSION,
    ErrorCode,
    Kind,
    ProtocolError,
    Request,
    State,
    error_reply,
    host_tuning,
    ok_reply,
    parse_request,
    version_problem,
)
from ...wire.transfer import Receiver


@dataclass
class FileEntry:
    """A file (or hosted URL) given to one file field."""

    id: str
    field: str
    name: str
    size: int = 0
    content_type: str = ""
    url: str = ""
    error: str = ""

    def public(self, receiver: Receiver) -> dict[str, Any]:
        """Metadata for the synced ``files`` trait: never bytes, never a local path."""
        transfer = receiver.get(self.id)
        if self.url:
            state, progress = State.READY, 1.0
        elif self.error or transfer is None:
            state, progress = State.ERROR, 0.0
        else:
            state = State.READY if transfer.complete else State.RECEIVING
            progress = transfer.progress
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.content_type,
            "state": state,
            "progress": progress,
            "error": self.error,
            "url": self.url,
            "sha256": (transfer.sha256 or "") if transfer else "",
        }


class FieldFiles:
    """Every file field's entries, in the order given."""

    def __init__(self, fields: list[str], max_bytes: int = FILES_API_LIMIT) -> None:
        self.fields = list(fields)
        self.receiver = Receiver(max_bytes=max_bytes)
        self.entries: dict[str, FileEntry] = {}
        self.tuning = host_tuning()

    def add_url(self, field: str, url: str, entry_id: str | None = None) -> FileEntry:
        entry_id = entry_id or f"{field}:url{len(self.entries)}"
        name = url.rsplit("/", 1)[-1].split("?", 1)[0] or url
        entry = FileEntry(entry_id, field, name, url=url)
        self.entries[entry_id] = entry
        return entry

    def handle(self, content: dict[str, Any], buffers: list[Any]) -> tuple[Any, bool]:
        """Answer one transfer request. Returns the reply and whether the entry list changed."""
        rid = content.get("rid") if isinstance(content.get("rid"), int) else -1
        try:
            request = parse_request(content, buffers)
            return self._dispatch(request, buffers)
        except ProtocolError as exc:
            return error_reply(int(rid or -1), exc.code, str(exc)), False
        except OSError as exc:
            return error_reply(
                int(rid or -1), ErrorCode.IO, f"The kernel couldn't store the file: {exc}"
            ), False

    def _dispatch(self, request: Request, buffers: list[Any]) -> tuple[Any, bool]:
        body: Any = request
        kind, rid = request["kind"], request["rid"]
        if kind is Kind.HELLO:
            problem = version_problem(body["version"])
            if problem:
                raise ProtocolError(ErrorCode.VERSION_MISMATCH, problem)
            # A new front end (page reload): transfers the old one left unfinished can never complete.
            self.receiver.cut_off(keep_session=request["session"])
            tuning = self.tuning
            reply = ok_reply(
                rid, version=PROTOCOL_VERSION, chunk_size=tuning.chunk_size, window=tuning.window
            )
            return reply, True
        if kind is Kind.PING:
            return ok_reply(rid), False
        entry_id = str(body["id"])
        field = self._field_of(entry_id)
        if kind is Kind.BEGIN:
            self.receiver.begin(entry_id, body["name"], body["size"], body["type"], request["session"])
            self.entries[entry_id] = FileEntry(entry_id, field, body["name"], body["size"], body["type"])
            return ok_reply(rid, chunk_size=self.tuning.chunk_size), True
        if kind is Kind.CHUNK:
            transfer = self.receiver.chunk(entry_id, body["offset"], buffers[0])
            reply = ok_reply(rid, complete=transfer.complete)
            if transfer.complete:
                reply["sha256"] = transfer.sha256
            return reply, transfer.complete
        if kind is Kind.URL:
            self.add_url(field, body["url"], entry_id)
            return ok_reply(rid), True
        # remove
        self.entries.pop(entry_id, None)
        self.receiver.remove(entry_id)
        return ok_reply(rid), True

    def _field_of(self, entry_id: str) -> str:
        field = entry_id.split(":", 1)[0]
        if field not in self.fields:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{field!r} is not a file field of this model.")
        return field

    def public(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in self.fields}
        for entry in self.entries.values():
            out[entry.field].append(entry.public(self.receiver))
        return out

    def values(self, field: str) -> list[LocalFile | str]:
        """The field's inputs, in order: URLs as given, received files as LocalFile.

        Raises ProtocolError (code cut-off) for a file still on its way, so a run never sends half a file.
        """
        out: list[LocalFile | str] = []
        for entry in self.entries.values():
            if entry.field != field:
                continue
            if entry.url:
                out.append(entry.url)
                continue
            transfer = self.receiver.get(entry.id)
            if transfer is None or not transfer.complete:
                percent = int((transfer.progress if transfer else 0) * 100)
                raise ProtocolError(
                    ErrorCode.CUT_OFF, f"{entry.name} is still on its way to the kernel ({percent}%)."
                )
            out.append(
                LocalFile(
                    transfer.path, name=entry.name, content_type=entry.content_type, sha256=transfer.sha256
                )
            )
        return out

    def close(self) -> None:
        self.receiver.close()
        self.entries.clear()
