"""The messages between a widget's front end and the kernel: kinds, states, limits, typed bodies, validation.

Mirror of js/wire/protocol.js (tests/unit/wire/test_protocol_agreement.py checks that both agree, typedefs
too).

Every request from the front end carries ``kind`` and ``rid`` (a request id unique within the front end's
``session``) and gets exactly one reply, ``{"kind": "reply", "rid", "ok": True, ...}`` or
``{"kind": "reply", "rid", "ok": False, "error": {"code", "message"}}``. Bytes travel only as binary buffers
of ``chunk`` requests, each at most the chunk size the kernel chose for its host. The first request of a
session is ``hello``: both sides compare ``PROTOCOL_VERSION`` there and stop on a mismatch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, TypedDict, cast, get_type_hints

from ..core.limits import FILES_API_LIMIT, STORAGE_LIMIT

PROTOCOL_VERSION = 3


class _WireEnum(str, Enum):
    """A str-valued enum that formats as its value on every Python (3.12 changed format() of mixins)."""

    def __str__(self) -> str:
        return str(self.value)


class Kind(_WireEnum):
    # the transfer, shared by every widget with a drop zone
    HELLO = "hello"
    BEGIN = "begin"
    CHUNK = "chunk"
    URL = "url"
    REMOVE = "remove"
    PING = "ping"
    # the Playground's commands
    RUN = "run"
    CANCEL = "cancel"
    SECRET = "secret"  # noqa: S105  (a message kind, not a password)
    # the kernel's answer to any of the above
    REPLY = "reply"


class State(_WireEnum):
    """Where an entry is; the front end adds ``waiting`` for files queued or held up by a busy kernel."""

    WAITING = "waiting"
    RECEIVING = "receiving"
    # the page sending it went away (a reload); the kernel keeps the bytes until the file is picked again
    PAUSED = "paused"
    READY = "ready"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    ERROR = "error"


class ErrorCode(_WireEnum):
    BAD_MESSAGE = "bad-message"
    TOO_LARGE = "too-large"
    UNKNOWN_ENTRY = "unknown-entry"
    SIZE_MISMATCH = "size-mismatch"
    CUT_OFF = "cut-off"
    IO = "io"
    VERSION_MISMATCH = "version-mismatch"


LIMITS = {
    # Replicate's Files API takes up to and including 100 MiB per file (core.inputs holds the fact).
    "MAX_FILE_BYTES": FILES_API_LIMIT,
    # Jupyter's server drops a browser message of 10 MiB or more without a word; 4 MiB chunks ran at
    # about 33 MB/s here, and bigger ones were no faster.
    "JUPYTER_CHUNK_BYTES": 4 * 1024 * 1024,
    # Colab fails near 1 MB per message and marimo/Positron inflate buffers by 4/3 (base64).
    "SMALL_CHUNK_BYTES": 512 * 1024,
}


class ProtocolError(Exception):
    """A request the kernel refuses; its reply carries ``code``."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        self.code = code
        super().__init__(message)


# ---- requests, as the front end sends them (js/wire/protocol.js has the same shapes as @typedef)
class _Envelope(TypedDict):
    rid: int
    session: str


class HelloRequest(_Envelope):
    kind: Literal[Kind.HELLO]
    version: int


class _FileKey(TypedDict, total=False):
    """What recognises a file after a page reload (spools.py): the File's lastModified (ms), and the sha256
    of its first 64 KiB, checked against the bytes once the kernel holds them. Absent, 0 and "": a file
    that can't be resumed after a reload (it is lost then, as before these fields existed)."""

    last_modified: int
    head_sha256: str


class BeginRequest(_Envelope, _FileKey):
    kind: Literal[Kind.BEGIN]
    id: str
    name: str
    size: int
    type: str


class ChunkRequest(_Envelope):
    kind: Literal[Kind.CHUNK]
    id: str
    offset: int


class UrlRequest(_Envelope):
    kind: Literal[Kind.URL]
    id: str
    url: str


class RemoveRequest(_Envelope):
    kind: Literal[Kind.REMOVE]
    id: str


class PingRequest(_Envelope):
    kind: Literal[Kind.PING]


class RunRequest(_Envelope):
    kind: Literal[Kind.RUN]


class CancelRequest(_Envelope):
    kind: Literal[Kind.CANCEL]


class SecretRequest(_Envelope):
    kind: Literal[Kind.SECRET]
    name: str
    value: str


TransferRequest = HelloRequest | BeginRequest | ChunkRequest | UrlRequest | RemoveRequest | PingRequest
Request = TransferRequest | RunRequest | CancelRequest | SecretRequest

_SHAPES: dict[Kind, type[Any]] = {
    Kind.HELLO: HelloRequest,
    Kind.BEGIN: BeginRequest,
    Kind.CHUNK: ChunkRequest,
    Kind.URL: UrlRequest,
    Kind.REMOVE: RemoveRequest,
    Kind.PING: PingRequest,
    Kind.RUN: RunRequest,
    Kind.CANCEL: CancelRequest,
    Kind.SECRET: SecretRequest,
}
TRANSFER_KINDS = frozenset({Kind.HELLO, Kind.BEGIN, Kind.CHUNK, Kind.URL, Kind.REMOVE, Kind.PING})
# Each kind's fields and their types, read from the TypedDicts above so the shapes are written once.
_FIELDS: dict[Kind, dict[str, type]] = {
    kind: {key: typ for key, typ in get_type_hints(shape).items() if key != "kind"}
    for kind, shape in _SHAPES.items()
}


# ---- replies
class ErrorBody(TypedDict):
    code: str
    message: str


class Reply(TypedDict, total=False):
    """What the kernel answers; ``ok`` replies add the fields of their request's kind (below)."""

    kind: Literal[Kind.REPLY]
    rid: int
    ok: bool
    error: ErrorBody
    # hello
    version: int
    chunk_size: int
    # begin: the entry that goes on (an older one, when a paused spool resumes) and the ranges it holds
    id: str
    have: list[list[int]]
    # begin, chunk
    complete: bool
    received: int
    sha256: str | None
    # run
    started: bool


def ok_reply(rid: int, **fields: Any) -> Reply:
    return cast(Reply, {"kind": Kind.REPLY, "rid": rid, "ok": True, **fields})


def error_reply(rid: int, code: ErrorCode, message: str) -> Reply:
    return {
        "kind": Kind.REPLY,
        "rid": rid,
        "ok": False,
        "error": {"code": code.value, "message": message},
    }


def request_id(content: Any) -> int:
    """The rid to answer, even for a message too broken to parse (-1 when it has none)."""
    rid = content.get("rid") if isinstance(content, dict) else None
    return rid if isinstance(rid, int) and not isinstance(rid, bool) else -1


# ---- validation
def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_MESSAGE, message)


def parse_request(content: Any, buffers: list[Any] | None = None) -> Request:
    """Validate one incoming message; raise ProtocolError saying what is wrong."""
    if not isinstance(content, dict):
        raise _bad("A message must be an object.")
    try:
        kind = Kind(content.get("kind"))
    except ValueError:
        raise _bad(f"Unknown message kind {content.get('kind')!r}.") from None
    if kind not in _FIELDS:
        raise _bad(f"Unknown message kind {kind.value!r}.")
    message: dict[str, Any] = {"kind": kind}
    optional = _SHAPES[kind].__optional_keys__
    for key, typ in _FIELDS[kind].items():
        if key in optional and key not in content:
            continue
        value = content.get(key)
        if not isinstance(value, typ) or (isinstance(value, bool) and typ is int):
            raise _bad(f"Field {key!r} is missing or has the wrong type.")
        message[key] = value
    _check(message, buffers)
    return cast(Request, message)


def _check(message: dict[str, Any], buffers: list[Any] | None) -> None:
    """The rules beyond types: sizes, offsets, buffers, URL schemes."""
    kind = message["kind"]
    if kind is Kind.BEGIN:
        message.setdefault("last_modified", 0)
        head = message.setdefault("head_sha256", "")
        if head and (len(head) != 64 or any(c not in "0123456789abcdef" for c in head)):
            raise _bad("Field 'head_sha256' must be 64 lowercase hex digits, or empty.")
        if message["size"] < 0:
            raise _bad("A file size can't be negative.")
        # Each widget refuses past its own max_bytes (100 MiB, or more with a bucket configured); this is the
        # most any widget can take.
        if message["size"] > STORAGE_LIMIT:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"{message['name']} is {message['size']:,} bytes; no widget takes more than "
                f"{STORAGE_LIMIT:,} bytes per file.",
            )
    elif kind is Kind.CHUNK:
        if message["offset"] < 0:
            raise _bad("A chunk offset can't be negative.")
        if not buffers or len(buffers) != 1:
            raise _bad("A chunk carries exactly one binary buffer.")
    elif kind is Kind.URL:
        url = message["url"].strip()
        if not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
            raise _bad("Only http(s) URLs can be added: drop or pick the file itself.")
        message["url"] = url


def version_problem(version: int) -> str | None:
    """What to tell the user when a front end speaks another protocol version, or None when they agree."""
    if version == PROTOCOL_VERSION:
        return None
    return (
        f"The widget on this page speaks protocol version {version} and the kernel's replicate-widget "
        f"speaks {PROTOCOL_VERSION}: reload the page (the page's widget code is older or newer than the "
        "package in the kernel)."
    )


# ---- how the kernel wants the front end to send
@dataclass(frozen=True)
class HostTuning:
    """The largest chunk the host this kernel runs under carries well. How much is in flight is the front
    end's business: it sizes that by time, from the kernel's acks (js/wire/pacing.js)."""

    host: str
    chunk_size: int


def host_tuning() -> HostTuning:
    """Pick the chunk size for the host this kernel runs under."""
    if "google.colab" in sys.modules:
        return HostTuning("colab", LIMITS["SMALL_CHUNK_BYTES"])
    if "marimo" in sys.modules:
        return HostTuning("marimo", LIMITS["SMALL_CHUNK_BYTES"])
    return HostTuning("jupyter", LIMITS["JUPYTER_CHUNK_BYTES"])
