"""The user's bucket through obstore (the ``[storage]`` extra, imported only when a store is used).

Builds a store from each cloud's standard variables, streams a file into it part by part (hashing and
reporting progress on the way), signs GET URLs, deletes, and turns obstore's failures into a StorageError that
says what to set. Credentials stay in the environment and in obstore: never in a message or a repr.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import StorageError
from ..limits import STORAGE_PART_SIZE

if TYPE_CHECKING:
    from ..inputs.local_file import LocalFile
    from .location import StorageLocation

# Memory held by one upload is about part size x parts in flight: 32 MiB. obstore's defaults (5 MiB x 12)
# grew a client by 72 MiB on 150 MiB; 8 MiB x 4 measured faster on top (see benchmarks/storage_upload.py).
PART_SIZE = STORAGE_PART_SIZE
PARTS_IN_FLIGHT = 4
# Read a whole part per step: 1 MiB reads (a Python step per MiB) measured 20-30 % slower, same memory.
READ_SIZE = PART_SIZE

CREDENTIALS_HELP = {
    "s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or "
    "AWS_PROFILE (needs boto3); for R2, MinIO and other S3-compatible stores also AWS_ENDPOINT_URL and "
    "AWS_REGION",
    "gs": "set GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT) to a service account key file; "
    "signing URLs needs a service account",
    "az": "set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY",
}
_S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_S3_ROLE_SOURCES = (
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
# AZURITE_BLOB_STORAGE_URL: where obstore finds the Azure emulator when AZURE_STORAGE_USE_EMULATOR is set
_ENV_PREFIXES = ("AWS_", "GOOGLE_", "AZURE_", "AZURITE_")
# obstore's default of 30 s per request fails a part on a slow uplink (4 parts of 8 MiB share it: 1 Mbit/s
# needs over 4 minutes each) and failed 1 GiB to moto on a loaded machine; connecting stays quick to fail.
_TIMEOUTS: Any = {"timeout": timedelta(minutes=10), "connect_timeout": timedelta(seconds=10)}


def _failures(obstore: Any) -> tuple[type[Exception], ...]:
    # obstore's not-found and permission errors are also OSErrors (FileNotFoundError, PermissionError);
    # a key or configuration it can't parse is a ValueError.
    return (obstore.exceptions.BaseError, OSError, ValueError)


@contextlib.contextmanager
def _guarded(location: StorageLocation, action: str) -> Iterator[None]:
    """obstore's failures as a StorageError, a Rust panic included: pyo3's PanicException is a BaseException,
    which no `except Exception` catches, so a panic would pass every handler above (the CLI's, the widget's)
    and leave a file "uploading 0 %". Ctrl-C and the like pass through."""
    obstore = _import_obstore()
    try:
        yield
    except _failures(obstore) as exc:
        raise storage_error(exc, location, action) from None
    except BaseException as exc:
        if type(exc).__module__ != "pyo3_runtime":  # PanicException's module
            raise
        raise StorageError(
            f"Failed {action} {location}: the storage library stopped on an internal error "
            f"({_first_line(exc)}). Check the bucket name, the prefix and the AWS_/GOOGLE_/AZURE_ variables.",
            location=str(location),
        ) from None


def _import_obstore() -> Any:
    try:
        import obstore
    except ImportError as exc:
        raise StorageError(
            "Sending files to your own bucket needs the [storage] extra: "
            "pip install 'replicate-widget[storage]'"
        ) from exc
    return obstore


def environment_fingerprint() -> str:
    """A digest of the cloud variables, so a store is rebuilt when they change (secrets never kept)."""
    items = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
    return hashlib.sha256(repr(items).encode()).hexdigest()


def open_store(location: StorageLocation) -> Any:
    """An obstore store for the location's bucket, configured from the environment."""
    with _guarded(location, "configuring"):
        return _open_store(location)


def _open_store(location: StorageLocation) -> Any:
    from obstore.store import AzureStore, GCSStore, S3Store

    # obstore retries for up to 3 minutes by default: too long to learn that an endpoint is wrong.
    retry: Any = {"max_retries": 3, "retry_timeout": timedelta(seconds=60)}
    if location.scheme == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
        client_options: Any = {**_TIMEOUTS, "allow_http": endpoint.startswith("http://")}
        extra = _s3_credentials(location)
        # Each part carries its SHA-256, which S3 checks on arrival (a corrupted part is refused, not stored).
        # Without one, S3 and moto take a CRC64 of the whole object on completion: moto's in Python, which
        # made 1 GiB take 16 s instead of 10 s. AWS_CHECKSUM_ALGORITHM, when set, chooses instead.
        if not os.environ.get("AWS_CHECKSUM_ALGORITHM"):
            extra["checksum_algorithm"] = "SHA256"
        return S3Store(location.bucket, client_options=client_options, retry_config=retry, **extra)
    # obstore reads the GOOGLE_* and AZURE_* variables itself; an http:// endpoint (an emulator, a local
    # gateway) also needs allow_http, as for S3. AZURE_STORAGE_USE_EMULATOR=true turns that on by itself.
    if location.scheme == "gs":
        endpoint = os.environ.get("GOOGLE_BASE_URL", "")
        options: Any = {**_TIMEOUTS, "allow_http": endpoint.startswith("http://")}
        return GCSStore(location.bucket, client_options=options, retry_config=retry)
    endpoint = os.environ.get("AZURE_STORAGE_ENDPOINT") or os.environ.get("AZURE_ENDPOINT") or ""
    options = {**_TIMEOUTS, "allow_http": endpoint.startswith("http://")}
    return AzureStore(location.bucket, client_options=options, retry_config=retry)


def _s3_credentials(location: StorageLocation) -> dict[str, Any]:
    """Nothing extra when obstore finds the keys itself (variables, web identity, containers); else boto3's
    chain (profiles, SSO, instance roles) through obstore's provider; else a StorageError on what to set."""
    if all(os.environ.get(k) for k in _S3_KEYS) or any(os.environ.get(k) for k in _S3_ROLE_SOURCES):
        return {}
    given = [k for k in _S3_KEYS if os.environ.get(k)]
    if given:  # one of the pair: a half-pasted setup (boto3 would raise its own PartialCredentialsError)
        missing = next(k for k in _S3_KEYS if k not in given)
        raise StorageError(
            f"{given[0]} is set but {missing} is not, for {location}: set both (or neither, to use a "
            "profile).",
            location=str(location),
        )
    try:
        import boto3
        from obstore.auth.boto3 import Boto3CredentialProvider
    except ImportError:
        raise StorageError(
            f"No credentials for {location}: {CREDENTIALS_HELP['s3']}.", location=str(location)
        ) from None
    try:
        session = boto3.Session()
        credentials = session.get_credentials()
    except Exception as exc:  # botocore's own (a broken profile, a bad config file): never its text
        raise StorageError(
            f"The AWS configuration could not be read for {location} ({type(exc).__name__}): "
            f"{CREDENTIALS_HELP['s3']}.",
            location=str(location),
        ) from None
    if credentials is None:
        raise StorageError(
            f"No credentials for {location}: {CREDENTIALS_HELP['s3']}.", location=str(location)
        )
    return {"credential_provider": Boto3CredentialProvider(session)}


def head_size(store: Any, key: str, location: StorageLocation) -> int | None:
    """The size of the object at ``key``, or None when there is none."""
    obstore = _import_obstore()
    with _guarded(location, "checking"):
        try:
            meta = obstore.head(store, key)
        except FileNotFoundError:
            return None
    return int(meta["size"])


def stream_put(
    store: Any,
    key: str,
    file: LocalFile,
    location: StorageLocation,
    *,
    progress: Callable[[int, int], None] | None,
    abort: threading.Event | None,
) -> str:
    """Upload the file part by part and return the sha256 of the bytes sent.

    The bytes come from a Python iterator, so Ctrl-C (or ``abort``) is raised inside obstore's upload, which
    then aborts the multipart upload: nothing partial is left in the bucket.
    """
    obstore = _import_obstore()
    hasher = hashlib.sha256()
    total = file.size

    def chunks() -> Iterator[bytes]:
        sent = 0
        if progress:
            progress(0, total)
        with file.open() as f:
            while chunk := f.read(READ_SIZE):
                if abort is not None and abort.is_set():
                    raise KeyboardInterrupt
                hasher.update(chunk)
                sent += len(chunk)
                yield chunk
                if progress:
                    progress(sent, total)

    with _guarded(location, "uploading to"):
        obstore.put(store, key, chunks(), chunk_size=PART_SIZE, max_concurrency=PARTS_IN_FLIGHT)
    return hasher.hexdigest()


def sign_get(store: Any, key: str, seconds: int, location: StorageLocation) -> str:
    obstore = _import_obstore()
    with _guarded(location, "signing a URL for"):
        return str(obstore.sign(store, "GET", key, timedelta(seconds=seconds)))


def delete(store: Any, key: str, location: StorageLocation) -> None:
    obstore = _import_obstore()
    with _guarded(location, "deleting from"):
        try:
            obstore.delete(store, key)
        except FileNotFoundError:
            return  # already gone is what we wanted


def _first_line(exc: BaseException) -> str:
    """The error's first line without what may hold a secret: a query string (a signature), or the
    userinfo of a URL (http://user:password@host, from AWS_ENDPOINT_URL)."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return _USERINFO.sub("//", re.sub(r"\?\S*", "", line))[:300]


_USERINFO = re.compile(r"//[^/@\s]*@")
_CODE = re.compile(r"<Code>([^<]{1,64})</Code>")
_STATUS = re.compile(r"status code: (\d{3})")
_MISSING_BUCKET = {"NoSuchBucket", "ContainerNotFound"}
_REFUSED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthorizationFailure",
    "Forbidden",
}


def _encoding_hint(location: StorageLocation) -> str:
    """obstore writes a GCS bucket name into the XML API's path percent-encoded ('-' as %2D). Google decodes
    it; an endpoint that looks the name up verbatim (moto 5.2.5 does) then reports a bucket that exists as
    missing, and that must not read as the user's mistake."""
    if location.scheme != "gs" or re.fullmatch(r"[a-z0-9]+", location.bucket):
        return ""
    return (
        f" If {location.bucket!r} does exist, this endpoint may not decode the percent-encoded bucket name "
        "obstore sends: use a bucket whose name has only lowercase letters and digits."
    )


def storage_error(exc: Exception, location: StorageLocation, action: str) -> StorageError:
    """A StorageError in our own words: the store's error code and status, never its full text (which may
    quote request details), and what to set."""
    import obstore.exceptions as errors

    text = str(exc)
    code_match, status_match = _CODE.search(text), _STATUS.search(text)
    code = code_match.group(1) if code_match else ""
    status = status_match.group(1) if status_match else ""
    seen = " ".join(part for part in (code, f"HTTP {status}" if status else "") if part)
    where = str(location)
    if code in _MISSING_BUCKET or "bucket does not exist" in text.lower():
        bucket = "container" if location.scheme == "az" else "bucket"  # Azure's word for it
        return StorageError(
            f"The {bucket} of {where} does not exist ({seen or 'not found'}). Create it, or set storage= "
            f"(or REPLICATE_WIDGET_STORAGE) to a {bucket} that exists.{_encoding_hint(location)}",
            location=where,
        )
    help_text = CREDENTIALS_HELP[location.scheme]
    if (
        code in _REFUSED
        or status in ("401", "403")
        or isinstance(exc, (errors.PermissionDeniedError, errors.UnauthenticatedError))
    ):
        return StorageError(
            f"{where} refused access ({seen or type(exc).__name__}): {help_text}, with credentials allowed "
            "to write, read and delete objects there.",
            location=where,
        )
    first = _first_line(exc)
    return StorageError(
        f"Failed {action} {where}: {seen or type(exc).__name__} ({first}). Check the bucket, and "
        f"{help_text}.",
        location=where,
    )
