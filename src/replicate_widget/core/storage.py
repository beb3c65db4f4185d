"""Files over the Files API limit go to the user's own bucket; the model gets a signed GET URL.

Where: ``storage="s3://bucket/prefix"`` (also ``gs://`` and ``az://``), chosen by precedence: the call's
option, then the widget's or Playground's, then the Client's, then REPLICATE_WIDGET_STORAGE (read each call).
Objects live under ``prefix/<sha256>/<name>``; each client uploads the same bytes to the same place once.
A call with delete_uploads=True uses an object already there (never deleting it), or uploads under a key of
its own, ``prefix/<sha256>/<random>/<name>``, and deletes only that: a shared object could be in use by
another client (another notebook, a script) when the call ends.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import object_store
from .errors import InputError, StorageError
from .limits import STORAGE_LIMIT, STORAGE_MAX_PARTS

if TYPE_CHECKING:
    from .files import LocalFile

STORAGE_ENV = "REPLICATE_WIDGET_STORAGE"
DEFAULT_EXPIRY = 3600  # seconds a signed URL stays valid: long enough for a queued prediction to start
_SCHEMES = ("s3", "gs", "az")


@dataclass(frozen=True)
class StorageLocation:
    """A bucket (or Azure container) and a prefix inside it."""

    scheme: str
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, text: str) -> StorageLocation:
        parts = urlsplit(text.strip())
        if "@" in parts.netloc:  # never echoed: it may hold a key
            raise InputError(
                "storage= takes no credentials in the URL: give s3://bucket/prefix and set the cloud's own "
                "variables (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_KEY...)."
            )
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            got = f"'{scheme}:'" if scheme else "no scheme"
            raise InputError(
                f"storage= takes s3://bucket/prefix, gs://bucket/prefix or az://container/prefix; {got} "
                f"is not supported (from {text!r})."
            )
        if not parts.netloc:
            raise InputError(f"storage={text!r} names no bucket: write it as {scheme}://bucket/prefix.")
        _check_bucket(scheme, parts.netloc)
        prefix = parts.path.strip("/")
        _check_prefix(prefix, text)
        return cls(scheme, parts.netloc, prefix)

    def key_for(self, file: LocalFile, call: str = "") -> str:
        """Where these bytes go: shared by content, or under ``call``, a key no other call uses."""
        return "/".join(p for p in (self.prefix, file.sha256, call, file.name) if p)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.prefix}".rstrip("/")


# Each store's own naming rules (S3's with the legacy us-east-1 names it still serves: capitals and '_').
# obstore builds request URLs from the name, and one it can't (a space) panicked deep inside it.
_BUCKET_RULES = {
    "s3": (
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$"),
        "3 to 255 letters, digits, '.', '-' or '_', starting and ending with a letter or digit "
        "(new buckets: 3 to 63, lowercase)",
    ),
    "gs": (
        re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits, '-', '_' or '.' (222 with dots), starting and ending with a "
        "letter or digit",
    ),
    "az": (
        re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits and single '-', starting and ending with a letter or digit",
    ),
}
_BUCKET_WORD = {"s3": "An S3 bucket", "gs": "A Google Cloud Storage bucket", "az": "An Azure container"}


def _check_bucket(scheme: str, bucket: str) -> None:
    rule, words = _BUCKET_RULES[scheme]
    if not rule.match(bucket) or ".." in bucket:
        raise InputError(
            f"storage=: {bucket!r} is not a valid bucket name. {_BUCKET_WORD[scheme]} name is {words}."
        )


def _check_prefix(prefix: str, text: str) -> None:
    """A prefix the stores take as a path: no empty, '.' or '..' segment, no control character."""
    for segment in prefix.split("/") if prefix else []:
        if segment in ("", ".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in segment):
            raise InputError(
                f"storage={text!r}: the prefix {prefix!r} has an empty, '.', '..' or control-character "
                "segment; give folder names separated by single '/'."
            )


def resolve_storage(*choices: Any) -> StorageLocation | None:
    """The first choice that is given (not None), else the environment variable; False or "" means none."""
    for choice in choices:
        if choice is None:
            continue
        if isinstance(choice, StorageLocation):
            return choice
        if choice is False or choice == "":
            return None
        if not isinstance(choice, str):
            kind = type(choice).__name__
            raise InputError(f"storage= takes a URL such as 's3://bucket/prefix', not a {kind}.")
        return StorageLocation.parse(choice)
    from_env = os.environ.get(STORAGE_ENV, "").strip()
    return StorageLocation.parse(from_env) if from_env else None


def check_expiry(seconds: Any) -> int:
    # S3's signatures (SigV4) are valid for at most 7 days; GCS's too.
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= 604_800:
        raise InputError(f"storage_expiry= takes whole seconds from 1 to 604800 (7 days), not {seconds!r}.")
    return seconds


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
