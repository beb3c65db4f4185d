"""The messages between the widget's front end and the kernel: kinds, states, limits, and validation.

Mirror of js/protocol.js (tests/unit/test_protocol_agreement.py checks that both agree).

Every request from the front end carries ``kind`` and ``rid`` (a request id unique within the front end's
``session``) and gets exactly one reply, ``{"kind": "reply", "rid", "ok": True, ...}`` or
``{"kind": "reply", "rid", "ok": False, "error": {"code", "message"}}``. Bytes travel only as binary buffers
of ``chunk`` requests, each at most the chunk size the kernel chose for its host.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1

KIND = {
    "HELLO": "hello",
    "BEGIN": "begin",
    "CHUNK": "chunk",
    "URL": "url",
    "REMOVE": "remove",
    "PING": "ping",
    "REPLY": "reply",
}

STATE = {
    "WAITING": "waiting",
    "RECEIVING": "receiving",
    "READY": "ready",
    "UPLOADING": "uploading",
    "UPLOADED": "uploaded",
    "ERROR": "error",
}

ERROR_CODE = {
    "BAD_MESSAGE": "bad-message",
    "TOO_LARGE": "too-large",
    "UNKNOWN_ENTRY": "unknown-entry",
    "SIZE_MISMATCH": "size-mismatch",
    "CUT_OFF": "cut-off",
    "IO": "io",
}

LIMITS = {
    # Replicate's Files API takes up to and including 100 MiB per file.
    "MAX_FILE_BYTES": 104_857_600,
    # Jupyter's server drops a browser message of 10 MiB or more without a word; 4 MiB chunks ran at
    # about 33 MB/s here, and bigger ones were no faster.
    "JUPYTER_CHUNK_BYTES": 4 * 1024 * 1024,
    # Colab fails near 1 MB per message and marimo/Positron inflate buffers by 4/3 (base64).
    "SMALL_CHUNK_BYTES": 512 * 1024,
}


class ProtocolError(Exception):
    """A request the kernel refuses; ``code`` is one of ERROR_CODE's values."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class HostTuning:
    """How the kernel wants the front end to send: bytes per chunk and chunks in flight."""

    host: str
    chunk_size: int
    window: int


def host_tuning() -> HostTuning:
    """Pick chunk size and credit window for the host this kernel runs under."""
    if "google.colab" in sys.modules:
        return HostTuning("colab", LIMITS["SMALL_CHUNK_BYTES"], 4)
    if "marimo" in sys.modules:
        return HostTuning("marimo", LIMITS["SMALL_CHUNK_BYTES"], 4)
    # Three 4 MiB chunks in flight keep the socket busy while holding the kernel's queued bytes
    # under 12 MiB, which keeps the peak memory of a 100 MiB transfer low.
    return HostTuning("jupyter", LIMITS["JUPYTER_CHUNK_BYTES"], 3)


@dataclass(frozen=True)
class Request:
    """A validated request from the front end."""

    kind: str
    rid: int
    session: str
    body: dict[str, Any]


def _require(content: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = content.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], f"Field {key!r} is missing or has the wrong type.")
    return value


_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "hello": {"version": int},
    "begin": {"id": str, "name": str, "size": int, "type": str},
    "chunk": {"id": str, "offset": int},
    "url": {"id": str, "url": str},
    "remove": {"id": str},
    "ping": {},
}


def parse_request(content: Any, buffers: list[Any] | None = None) -> Request:
    """Validate one incoming message; raise ProtocolError saying what is wrong."""
    if not isinstance(content, dict):
        raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], "A message must be an object.")
    kind = content.get("kind")
    if kind not in _FIELDS:
        raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], f"Unknown message kind {kind!r}.")
    rid = _require(content, "rid", int)
    session = _require(content, "session", str)
    body = {key: _require(content, key, typ) for key, typ in _FIELDS[kind].items()}
    if kind == "begin":
        if body["size"] < 0:
            raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], "A file size can't be negative.")
        if body["size"] > LIMITS["MAX_FILE_BYTES"]:
            raise ProtocolError(
                ERROR_CODE["TOO_LARGE"],
                f"{body['name']} is {body['size']:,} bytes; the limit is 100 MiB "
                f"({LIMITS['MAX_FILE_BYTES']:,} bytes) per file.",
            )
    if kind == "chunk":
        if body["offset"] < 0:
            raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], "A chunk offset can't be negative.")
        if not buffers or len(buffers) != 1:
            raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], "A chunk carries exactly one binary buffer.")
    if kind == "url":
        url = body["url"].strip()
        if not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
            raise ProtocolError(ERROR_CODE["BAD_MESSAGE"], "Only http(s) URLs can be added.")
        body["url"] = url
    return Request(kind, rid, session, body)


def ok_reply(rid: int, **fields: Any) -> dict[str, Any]:
    return {"kind": KIND["REPLY"], "rid": rid, "ok": True, **fields}


def error_reply(rid: int, code: str, message: str) -> dict[str, Any]:
    return {"kind": KIND["REPLY"], "rid": rid, "ok": False, "error": {"code": code, "message": message}}
