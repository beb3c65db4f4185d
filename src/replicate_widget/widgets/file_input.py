"""FileInput: pick, drop or paste files (or paste a URL) in the notebook; they stream into the kernel.

The kernel side only reacts to messages (``on_msg``): it never blocks and never pumps the kernel loop. Synced
traits hold metadata only (entries, status, configuration): never bytes, data URIs or the API token, so a
notebook saved with widget state stays small and private. Uploads started eagerly run in background threads.
"""

from __future__ import annotations

import pathlib
import uuid
from typing import TYPE_CHECKING, Any, Literal

import anywidget
import traitlets

from ..core.limits import FILES_API_LIMIT, WIDGET_STORAGE_MAX_BYTES
from ..core.storage import resolve_storage
from ..wire.dropzone import DropZone
from ..wire.endpoint import Endpoint
from ..wire.protocol import LIMITS, host_tuning
from ..wire.uploads import eager_by_default
from .display import file_listing, with_static_view
from .file_input_run import WidgetRunMixin

if TYPE_CHECKING:
    from ..core.client import Client
    from ..core.files import LocalFile


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
            _uid=uuid.uuid4().hex,
            **kwargs,
        )
        # Looked up at each reply (not bound now), so a host or test that wraps send() is honoured.
        self._endpoint = Endpoint(lambda reply: self.send(reply), "FileInput")  # noqa: PLW0108
        self._zone = DropZone(
            self._endpoint,
            self._publish,
            client=lambda: self.client,
            eager=lambda: self.upload == "eager",
            storage=lambda: self.storage,
            max_bytes=lambda: self.max_bytes,
            tuning=tuning,
        )
        self.on_msg(lambda _widget, content, buffers: self._endpoint.handle(content, buffers))

    # ---- what Python code reads
    @property
    def inputs(self) -> list[LocalFile | str]:
        """Every entry in the order shown: a LocalFile, or the URL string of a pasted link.

        Raises TransferError when an entry is still on its way or was cut off.
        """
        return self._zone.values()

    @property
    def files(self) -> list[LocalFile]:
        """The local files that have fully arrived, in order."""
        return [e.file for e in self._zone.entries() if e.file is not None]

    @property
    def urls(self) -> list[str]:
        """The pasted http(s) URLs, in order."""
        return [e.url for e in self._zone.entries() if e.url]

    @property
    def client(self) -> Client:
        if self._client_given is not None:
            return self._client_given
        if self._client_made is None:
            from ..core.client import Client

            self._client_made = Client()
        return self._client_made

    # ---- removal and cleanup
    def remove(self, entry_id: str) -> None:
        """Remove an entry: its spool file goes, and its upload unless another entry holds the same bytes."""
        self._zone.remove(entry_id)

    def clear(self) -> None:
        """Remove every entry."""
        self._zone.clear()

    def close(self) -> None:
        """Close the widget: every spool file goes (uploads stay until the client goes)."""
        if hasattr(self, "_zone"):  # close() also runs from __del__ of a half-built widget
            self._zone.close()
        super().close()

    # ---- display
    def _publish(self) -> None:
        self.entries = [dict(e) for e in self._zone.public()]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a static listing, for viewers that can't run the widget (GitHub, nbviewer without state)."""
        entries = self._zone.entries() if hasattr(self, "_zone") else []
        return with_static_view(super()._repr_mimebundle_(**kwargs), *file_listing(entries))
