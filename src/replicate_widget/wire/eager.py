"""Eager uploads: a file that has arrived in the kernel goes up at once, before any run asks for it.

Only files the run would upload anyway (core/inputs/routing.py decides: smaller ones travel as data: URIs),
and only where the target is Replicate or the local server, never an unknown proxy. Files up to the Files
API's limit go there; bigger ones to the user's bucket (``storage=``), as a run would send them. Uploads run
on two background threads; the client remembers each by content, so the run reuses it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..core.errors import AuthenticationError
from ..core.inputs.routing import inline, route
from ..core.options import choose_storage
from .protocol import State

if TYPE_CHECKING:
    from ..core.client import Client
    from ..core.inputs.local_file import LocalFile
    from .entries import Entry

log = logging.getLogger(__name__)

_EAGER_HOSTS = {"api.replicate.com", "127.0.0.1", "localhost", "::1"}


def eager_by_default(client: Client | None) -> bool:
    """Upload ahead of a run only where the target is Replicate or the local server, not unknown proxies."""
    base = client.base_url if client is not None else os.environ.get("REPLICATE_BASE_URL", "")
    host = urlsplit(base or "https://api.replicate.com").hostname or ""
    return host in _EAGER_HOSTS


class EagerUploads:
    """Starts, tracks and deletes the uploads of a drop zone's entries."""

    def __init__(
        self,
        client: Callable[[], Client],
        storage: Callable[[], str | None],
        changed: Callable[[Entry, bool], None],
    ) -> None:
        self._client = client
        self._storage = storage  # the widget's storage= (None: the Client's, else the environment's)
        self._changed = changed  # (entry, throttle): an entry's state or progress moved
        self._pool: ThreadPoolExecutor | None = None

    def start(self, entry: Entry) -> None:
        """Upload ``entry``'s file now, if a run would upload it."""
        if entry.file is None or inline(entry.size):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rw-upload")
        entry.state, entry.progress = State.UPLOADING, 0.0
        entry.upload = self._pool.submit(self._upload, entry, entry.file)

    def _upload(self, entry: Entry, file: LocalFile) -> str:
        def progress(sent: int, total: int) -> None:
            entry.progress = sent / total if total else 1.0
            self._changed(entry, True)

        client = self._client()
        try:
            bucket = choose_storage(widget=self._storage(), client=client.storage)
            if route(entry.name, entry.size, bucket=bucket is not None) == "storage":  # as a run sends it
                assert bucket is not None
                url = client.stores.put(bucket, file, progress).key
                entry.stored_at = bucket
            else:
                url = client.upload(file, progress=progress)
        except Exception as exc:
            entry.state, entry.progress = State.READY, 1.0
            # No token yet is not this file's problem: the run says how to set one.
            if not isinstance(exc, AuthenticationError):
                entry.error = f"upload failed, run will retry: {str(exc).splitlines()[0][:200]}"
            self._changed(entry, False)
            raise
        entry.state, entry.progress = State.UPLOADED, 1.0
        self._changed(entry, False)
        return url

    def delete(self, entry: Entry) -> None:
        """Delete an entry's upload once it has finished (in the background: it may still be on its way)."""
        client, file, upload, bucket = self._client(), entry.file, entry.upload, entry.stored_at
        if file is None or upload is None:
            return

        def delete() -> None:
            try:
                upload.result()
                if bucket is not None:
                    client.stores.forget(bucket, file)  # its object in the user's bucket
                else:
                    client.delete_upload(file)
            except Exception:
                log.debug("Deleting the upload of %s failed", file.name, exc_info=True)

        if self._pool is not None:
            self._pool.submit(delete)

    def wait(self) -> None:
        """Block until every upload started so far has ended (tests, scripts)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
