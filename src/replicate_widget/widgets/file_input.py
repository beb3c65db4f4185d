"""FileInput: pick, drop or paste files (or paste a URL) in the notebook; they stream into the kernel.

The kernel side only reacts to messages (``on_msg``): it never blocks and never pumps the kernel loop. Synced
traits hold metadata only (entries, status, configuration): never bytes, data URIs or the API token, so a
notebook saved with widget state stays small and private. Uploads started eagerly run in background threads.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Any

import traitlets

from ..wire.protocol import LIMITS, host_tuning
from .display import file_listing, with_static_view
from .file_input_run import WidgetRunMixin
from .frame import DropZoneWidget, UploadMode
from .status import RunStatusTraits

if TYPE_CHECKING:
    from ..core.client import Client
    from ..core.inputs.local_file import LocalFile


class FileInput(DropZoneWidget, RunStatusTraits, WidgetRunMixin):
    """A drop zone for files and URLs whose bytes stream into the kernel, ready to run a model on.

    ``w.inputs`` lists every entry in order (``LocalFile`` or URL), ``w.files`` the ready local files,
    ``w.urls`` the pasted URLs; ``w.run(model)`` runs a model on them, and ``w.status``, ``w.message``,
    ``w.progress`` and ``w.logs`` follow that run (as in the Playground).
    """

    _esm = pathlib.Path(__file__).parents[1] / "static" / "widget.js"

    entries = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Metadata per entry, in the order shown: id, name, size, type, state, progress, error, url, sha256."""
    multiple = traitlets.Bool(True).tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    """The file dialog's filter, e.g. ``"image/*"`` or ``".pdf,.txt"``; drops and pastes are checked too."""
    chunk_size = traitlets.Int(LIMITS["JUPYTER_CHUNK_BYTES"]).tag(sync=True)

    def __init__(
        self,
        multiple: bool = True,
        accept: str = "",
        upload: UploadMode | None = None,
        client: Client | None = None,
        storage: str | None = None,
        **kwargs: Any,
    ) -> None:
        """``storage="s3://bucket/prefix"``: files over 100 MiB go to that bucket (else the Client's, else
        REPLICATE_WIDGET_STORAGE); with one configured, ``max_bytes`` defaults to 5 GiB instead of 100 MiB."""
        tuning = host_tuning()
        super().__init__(
            client=client,
            upload=upload,
            storage=storage,
            name="FileInput",
            on_change=self._publish,
            tuning=tuning,
            multiple=multiple,
            accept=accept,
            chunk_size=tuning.chunk_size,
            **kwargs,
        )

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

    # ---- removal and cleanup
    def remove(self, entry_id: str) -> None:
        """Remove an entry: its spool file goes, and its upload unless another entry holds the same bytes."""
        self._zone.remove(entry_id)

    def clear(self) -> None:
        """Remove every entry."""
        self._zone.clear()

    # ---- display
    def _publish(self) -> None:
        self.entries = [dict(e) for e in self._zone.public()]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a static listing, for viewers that can't run the widget (GitHub, nbviewer without state)."""
        entries = self._zone.entries() if hasattr(self, "_zone") else []
        return with_static_view(super()._repr_mimebundle_(**kwargs), *file_listing(entries))
