"""The frame both widgets are built on: a client, a bucket for big files, eager uploads, and one drop zone
answering the front end's requests, wired the same way for FileInput and the Playground.

Each widget adds its own traits and requests; what a file does from the moment it is picked until it is
ready (or uploaded) is decided here, once, from the same client the widget runs with.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import anywidget
import traitlets

from ..core.inputs.routing import widget_limit
from ..core.limits import FILES_API_LIMIT
from ..core.options import choose_storage
from ..wire.dropzone import DropZone
from ..wire.eager import eager_by_default
from ..wire.endpoint import Endpoint

if TYPE_CHECKING:
    from ..core.client import Client
    from ..wire.protocol import HostTuning

UploadMode = Literal["eager", "on-run"]


class DropZoneWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """An anywidget with a drop zone: FileInput and the Playground are both one."""

    _uid = traitlets.Unicode().tag(sync=True)  # one front-end session per widget, shared by its views
    upload = traitlets.Unicode("eager").tag(sync=True)
    """``"eager"``: files of 1,000,000 bytes and more are uploaded as soon as they arrive; ``"on-run"``."""
    max_bytes = traitlets.Int(FILES_API_LIMIT).tag(sync=True)
    """The largest file taken: 100 MiB, or 5 GiB with a bucket for big files (``storage=``)."""

    def __init__(
        self,
        *,
        client: Client | None,
        upload: UploadMode | None,
        storage: str | None,
        name: str,
        on_change: Callable[[], None],
        group_of: Callable[[str], str] | None = None,
        tuning: HostTuning | None = None,
        **traits: Any,
    ) -> None:
        """``client`` is the one the widget runs with (None: one from the environment, made when first
        needed); ``storage`` the widget's own bucket, which a call's ``storage=`` overrides and which
        overrides the client's and REPLICATE_WIDGET_STORAGE."""
        if upload not in (None, "eager", "on-run"):
            raise ValueError(f'upload must be "eager" or "on-run", not {upload!r}.')
        self._client_given = client
        self._client_made: Client | None = None
        self.storage = storage
        if "max_bytes" not in traits:
            bucket = choose_storage(widget=storage, client=client.storage if client is not None else None)
            traits["max_bytes"] = widget_limit(bucket=bucket is not None)
        # Decided from the client the widget runs with, not the one it was given (a handle brings its own).
        chosen = upload or ("eager" if eager_by_default(client) else "on-run")
        super().__init__(upload=chosen, _uid=uuid.uuid4().hex, **traits)
        # Looked up at each reply (not bound now), so a host or test that wraps send() is honoured.
        self._endpoint = Endpoint(lambda reply: self.send(reply), name)  # noqa: PLW0108
        self._zone = DropZone(
            self._endpoint,
            on_change,
            client=lambda: self.client,
            eager=lambda: self.upload == "eager",
            storage=lambda: self.storage,
            max_bytes=lambda: self.max_bytes,
            group_of=group_of or (lambda _entry_id: ""),
            tuning=tuning,
        )
        self.on_msg(lambda _widget, content, buffers: self._endpoint.handle(content, buffers))

    @property
    def client(self) -> Client:
        """The client runs and uploads go through: the one given, else one from the environment."""
        if self._client_given is not None:
            return self._client_given
        if self._client_made is None:
            from ..core.client import new_client

            self._client_made = new_client()
        return self._client_made

    def close(self) -> None:
        """Close the widget: every spool file goes (uploads stay until the client goes)."""
        if hasattr(self, "_zone"):  # close() also runs from __del__ of a half-built widget
            self._zone.close()
        super().close()
