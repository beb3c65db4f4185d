"""FileInput: pick, drop or paste files (or paste a URL) in the notebook; they stream into the kernel.

The kernel side only reacts to messages (``on_msg``): it never blocks and never pumps the kernel loop. Synced
traits hold metadata only (entries, status, configuration): never bytes, data URIs or the API token, so a
notebook saved with widget state stays small and private. Uploads started eagerly run in background threads.
"""

from __future__ import annotations

import logging
import pathlib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import anywidget
import traitlets

from ..core.errors import TransferError
from ..core.limits import FILES_API_LIMIT, STORAGE_LIMIT, WIDGET_STORAGE_MAX_BYTES
from ..core.storage import resolve_storage
from ..wire.protocol import (
    LIMITS,
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
from ..wire.transfer import Receiver
from .entries import Entry, listing_html, listing_text
from .file_input_run import WidgetRunMixin, eager_by_default, too_large

if TYPE_CHECKING:
    from ..core.client import Client
    from ..core.files import LocalFile

log = logging.getLogger(__name__)

# Files under this size go to the model as data: URIs (strategy "auto"), so uploading them ahead is waste.
_DATA_URI_MAX = 1_000_000


class FileInput(WidgetRunMixin, anywidget.AnyWidget):  # type: ignore[misc]
    """A drop zone for files and URLs whose bytes stream into the kernel, ready to run a model on.

    ``w.inputs`` lists every entry in order (``LocalFile`` or URL), ``w.files`` the ready local files,
    ``w.urls`` the pasted URLs; ``w.run(model)`` runs a model on them.
    """

    _esm = pathlib.Path(__file__).parents[1] / "static" / "widget.js"

    _uid = traitlets.Unicode().tag(sync=True)
    entries = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Metadata per entry, in the order shown: id, name, size, type, state, progress, error, url, sha256."""
    multiple = traitlets.Bool(True).tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    """The file dialog's filter, e.g. ``"image/*"`` or ``".pdf,.txt"``; drops and pastes are checked too."""
    upload = traitlets.Unicode("eager").tag(sync=True)
    max_bytes = traitlets.Int(LIMITS["MAX_FILE_BYTES"]).tag(sync=True)
    chunk_size = traitlets.Int(LIMITS["JUPYTER_CHUNK_BYTES"]).tag(sync=True)
    window = traitlets.Int(3).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    """The last run's status in Replicate's words ("starting", "processing", "succeeded"...), or ""."""
    status_text = traitlets.Unicode("").tag(sync=True)
    log_tail = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        multiple: bool = True,
        accept: str = "",
        upload: Literal["eager", "on-run"] | None = None,
        client: Client | None = None,
        storage: str | None = None,
        **kwargs: Any,
    ) -> None:
        """``storage="s3://bucket/prefix"``: files over 100 MiB go to that bucket (else the Client's, else
        REPLICATE_WIDGET_STORAGE); with one configured, ``max_bytes`` defaults to 5 GiB instead of 100 MiB."""
        if upload not in (None, "eager", "on-run"):
            raise ValueError(f'upload must be "eager" or "on-run", not {upload!r}.')
        tuning = host_tuning()
        self._client_given = client
        self._client_made: Client | None = None
        self.storage = storage
        if "max_bytes" not in kwargs:
            bucket = resolve_storage(storage, client.storage if client is not None else None)
            kwargs["max_bytes"] = WIDGET_STORAGE_MAX_BYTES if bucket is not None else FILES_API_LIMIT
        chosen = upload or ("eager" if eager_by_default(client) else "on-run")
        super().__init__(
            multiple=multiple,
            accept=accept,
            upload=chosen,
            chunk_size=tuning.chunk_size,
            window=tuning.window,
            _uid=uuid.uuid4().hex,
            **kwargs,
        )
        self._receiver = Receiver(max_bytes=STORAGE_LIMIT)  # this widget's own max_bytes is checked first
        self._entries: dict[str, Entry] = {}
        self._pool: ThreadPoolExecutor | None = None
        # Upload threads publish progress too; one publisher at a time keeps the trait consistent.
        self._publish_lock = threading.Lock()
        self._last_publish = 0.0
        self.on_msg(self._on_msg)

    # ---- what Python code reads
    @property
    def inputs(self) -> list[LocalFile | str]:
        """Every entry in the order shown: a LocalFile, or the URL string of a pasted link.

        Raises TransferError when an entry is still on its way or was cut off.
        """
        out: list[LocalFile | str] = []
        for entry in self._entries.values():
            if entry.url:
                out.append(entry.url)
            elif entry.file is not None:
                out.append(entry.file)
            elif entry.state == State.ERROR:
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

    @property
    def files(self) -> list[LocalFile]:
        """The local files that have fully arrived, in order."""
        return [e.file for e in self._entries.values() if e.file is not None]

    @property
    def urls(self) -> list[str]:
        """The pasted http(s) URLs, in order."""
        return [e.url for e in self._entries.values() if e.url]

    @property
    def client(self) -> Client:
        if self._client_given is not None:
            return self._client_given
        if self._client_made is None:
            from ..core.client import Client

            self._client_made = Client()
        return self._client_made

    # ---- messages from the front end
    def _on_msg(self, _widget: Any, content: Any, buffers: list[Any] | None) -> None:
        rid = content.get("rid") if isinstance(content, dict) else None
        rid = rid if isinstance(rid, int) else -1
        try:
            reply = self._dispatch(parse_request(content, buffers), buffers or [])
        except ProtocolError as exc:
            reply = error_reply(rid, exc.code, str(exc))
        except Exception as exc:  # every request gets its one reply, even when something unforeseen breaks
            log.exception("FileInput could not handle a %s message", content.get("kind"))
            reply = error_reply(rid, ErrorCode.IO, f"The kernel couldn't handle this: {exc}")
        self.send(reply)

    def _dispatch(self, req: Request, buffers: list[Any]) -> Any:
        body: Any = req
        rid = req["rid"]
        if req["kind"] is Kind.HELLO:
            problem = version_problem(req["version"])
            if problem:
                raise ProtocolError(ErrorCode.VERSION_MISMATCH, problem)
            self._cut_off_other_sessions(req["session"])
            return ok_reply(rid, version=PROTOCOL_VERSION, chunk_size=self.chunk_size, window=self.window)
        if req["kind"] is Kind.PING:
            return ok_reply(rid)
        if req["kind"] is Kind.BEGIN:
            if body["size"] > self.max_bytes:
                raise ProtocolError(
                    ErrorCode.TOO_LARGE, too_large(body["name"], body["size"], self.max_bytes)
                )
            transfer = self._receiver.begin(
                body["id"], body["name"], body["size"], body["type"], req["session"]
            )
            if body["id"] not in self._entries:
                self._entries[body["id"]] = Entry(body["id"], body["name"], body["size"], body["type"])
            if transfer.complete:  # an empty file
                self._arrived(body["id"])
            self._publish()
            return ok_reply(rid, chunk_size=self.chunk_size, complete=transfer.complete)
        if req["kind"] is Kind.CHUNK:
            return self._chunk(req, buffers[0])
        if req["kind"] is Kind.URL:
            if body["id"] not in self._entries:
                name = body["url"].rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or body["url"]
                self._entries[body["id"]] = Entry(body["id"], name, 0, "url", url=body["url"])
                self._publish()
            return ok_reply(rid)
        self.remove(body["id"])
        return ok_reply(rid)

    def _chunk(self, req: Any, data: Any) -> Any:
        entry_id = req["id"]
        entry = self._entries.get(entry_id)
        try:
            transfer = self._receiver.chunk(entry_id, req["offset"], data)
        except ProtocolError as exc:
            if entry is not None and exc.code != ErrorCode.UNKNOWN_ENTRY:
                self._mark_error(entry, str(exc))
            raise
        if entry is None:  # removed meanwhile; the receiver would have refused, but be safe
            raise ProtocolError(ErrorCode.UNKNOWN_ENTRY, "This entry was removed.")
        entry.progress = transfer.progress
        if transfer.complete:
            self._arrived(entry_id)
        self._publish(throttle=not transfer.complete)
        return ok_reply(
            req["rid"], received=transfer.received, complete=transfer.complete, sha256=transfer.sha256
        )

    def _arrived(self, entry_id: str) -> None:
        from ..core.files import LocalFile

        entry, transfer = self._entries[entry_id], self._receiver.get(entry_id)
        assert transfer is not None
        assert transfer.sha256 is not None
        entry.file = LocalFile(
            transfer.path, name=entry.name, content_type=entry.content_type, sha256=transfer.sha256
        )
        entry.sha256, entry.progress, entry.state = transfer.sha256, 1.0, State.READY
        if self.upload == "eager" and entry.size >= _DATA_URI_MAX:
            self._start_upload(entry)

    def _cut_off_other_sessions(self, session: str) -> None:
        """A new page (reload) can't continue the old page's transfers: they end in a clear error."""
        for transfer in self._receiver.cut_off(keep_session=session):
            entry = self._entries.get(transfer.id)
            if entry is not None:
                self._mark_error(entry, "lost: pick again (the page was reloaded while it was arriving)")
        self._publish()

    def _mark_error(self, entry: Entry, message: str) -> None:
        entry.state, entry.error, entry.file = State.ERROR, message, None
        self._publish()

    # ---- removal and cleanup
    def remove(self, entry_id: str) -> None:
        """Remove an entry: its spool file goes, and its upload unless another entry holds the same bytes."""
        entry = self._entries.pop(entry_id, None)
        self._receiver.remove(entry_id)
        self._publish()
        if entry is None or entry.file is None or entry.upload is None:
            return
        if any(e.sha256 == entry.sha256 for e in self._entries.values()):
            return
        file, upload, client, bucket = entry.file, entry.upload, self.client, entry.stored_at

        def delete() -> None:
            try:
                upload.result()
                if bucket is not None:
                    client.stores.forget(bucket, file)  # its object in the user's bucket
                else:
                    client.delete_upload(file)
            except Exception:
                log.debug("Deleting the upload of %s failed", file.name, exc_info=True)

        assert self._pool is not None
        self._pool.submit(delete)

    def clear(self) -> None:
        """Remove every entry."""
        for entry_id in list(self._entries):
            self.remove(entry_id)

    def close(self) -> None:
        """Close the widget: every spool file goes (uploads stay until the client goes)."""
        if hasattr(self, "_receiver"):  # close() also runs from __del__ of a half-built widget
            self._receiver.close()
            self._entries.clear()
            if self._pool is not None:
                self._pool.shutdown(wait=False)
        super().close()

    # ---- display
    def _publish(self, throttle: bool = False) -> None:
        """Sync the entries trait; progress-only updates at most ten times a second."""
        with self._publish_lock:
            now = time.monotonic()
            if throttle and now - self._last_publish < 0.1:
                return
            self._last_publish = now
            self.entries = [e.public() for e in list(self._entries.values())]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a static listing, for viewers that can't run the widget (GitHub, nbviewer without state)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
        data = dict(data or {})
        data["text/plain"] = listing_text(list(self._entries.values()))
        data["text/html"] = listing_html(list(self._entries.values()))
        return (data, metadata) if metadata is not None else data
