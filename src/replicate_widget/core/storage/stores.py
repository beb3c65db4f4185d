"""Each client's objects in its buckets: the same bytes go up once per place, and a call that asked for
delete_uploads=True deletes only what it uploaded under a key of its own."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InputError, StorageError
from ..limits import STORAGE_LIMIT, STORAGE_MAX_PARTS
from . import object_store
from .location import DEFAULT_EXPIRY, StorageLocation

if TYPE_CHECKING:
    from ..inputs.local_file import LocalFile


@dataclass(frozen=True)
class StoredObject:
    location: StorageLocation
    key: str
    size: int
    sha256: str
    ours: bool  # False: found already in the bucket, so delete_uploads leaves it alone


class Stores:
    """One client's objects in its buckets: uploads shared by sha256 and place, and the stores behind them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[tuple[StorageLocation, str], concurrent.futures.Future[StoredObject]] = {}
        self._stores: dict[tuple[str, str, str], Any] = {}

    def __repr__(self) -> str:
        return f"<Stores: {len(self._objects)} object(s)>"

    def _store(self, location: StorageLocation) -> Any:
        key = (location.scheme, location.bucket, object_store.environment_fingerprint())
        with self._lock:
            store = self._stores.get(key)
        if store is None:
            store = object_store.open_store(location)
            with self._lock:
                self._stores[key] = store
        return store

    def put(
        self,
        location: StorageLocation,
        file: LocalFile,
        progress: Callable[[int, int], None] | None = None,
        abort: threading.Event | None = None,
        key: str | None = None,
    ) -> StoredObject:
        """The object holding these bytes, uploading them unless this client (or anyone) already has; with
        ``key`` (a call's own, for delete_uploads), uploaded there and shared only within that call."""
        if file.size > STORAGE_LIMIT:
            raise InputError(
                f"{file.name} is {file.size:,} bytes; uploads to your bucket take at most "
                f"{STORAGE_LIMIT:,} bytes ({STORAGE_MAX_PARTS:,} parts)."
            )
        if key is not None:
            # Someone else's object of these bytes may be used (it is not ours to delete); else our own key.
            shared = location.key_for(file)
            if object_store.head_size(self._store(location), shared, location) == file.size:
                if progress:
                    progress(file.size, file.size)
                return StoredObject(location, shared, file.size, file.sha256, ours=False)
        place = (location, key or location.key_for(file))
        while True:
            with self._lock:
                future = self._objects.get(place)
                finished = future is not None and future.done()
                if future is None or (finished and future.exception() is not None):
                    future = self._objects[place] = concurrent.futures.Future()
                    break  # ours to upload
            record = future.result()  # waits for another call's upload still in progress
            # A finished upload may have been deleted since (a lifecycle rule, someone else): look before
            # handing out its URL. A call that waited for the upload has just seen it finish, so no look.
            if (
                not finished
                or object_store.head_size(self._store(location), record.key, location) == record.size
            ):
                if progress:
                    progress(record.size, record.size)
                return record
            with self._lock:
                if self._objects.get(place) is future:  # else another call is replacing it: start over
                    future = self._objects[place] = concurrent.futures.Future()
                    break
        try:
            record = self._upload(location, place[1], file, progress, abort, look_first=key is None)
        except BaseException as exc:
            with self._lock:
                if self._objects.get(place) is future:
                    del self._objects[place]
            future.set_exception(exc)
            raise
        future.set_result(record)
        return record

    def _upload(
        self,
        location: StorageLocation,
        key: str,
        file: LocalFile,
        progress: Callable[[int, int], None] | None,
        abort: threading.Event | None,
        *,
        look_first: bool = True,
    ) -> StoredObject:
        store = self._store(location)
        expected = file.sha256
        if look_first and object_store.head_size(store, key, location) == file.size:
            # The key names the sha256, so an object there of the right size holds these bytes.
            if progress:
                progress(file.size, file.size)
            return StoredObject(location, key, file.size, expected, ours=False)
        sent = object_store.stream_put(store, key, file, location, progress=progress, abort=abort)
        if sent != expected:
            object_store.delete(store, key, location)
            raise StorageError(
                f"{file.name} changed while it was uploading (sha256 {sent} sent, {expected} expected); "
                "the object was deleted. Run again.",
                location=str(location),
            )
        return StoredObject(location, key, file.size, expected, ours=True)

    def sign(self, record: StoredObject, seconds: int = DEFAULT_EXPIRY) -> str:
        return object_store.sign_get(self._store(record.location), record.key, seconds, record.location)

    def stored(self, location: StorageLocation, file: LocalFile) -> StoredObject | None:
        """This client's finished upload of these bytes to ``location``, if any."""
        future = self._objects.get((location, location.key_for(file)))
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def forget(self, location: StorageLocation, file: LocalFile, key: str | None = None) -> None:
        """Delete the object if this client put it there; nothing otherwise. ``key``: a call's own object."""
        if key is not None:
            with self._lock:
                self._objects.pop((location, key), None)
            object_store.delete(self._store(location), key, location)
            return
        record = self.stored(location, file)
        if record is None:
            return
        with self._lock:
            self._objects.pop((location, record.key), None)
        if record.ours:
            object_store.delete(self._store(location), record.key, location)
