"""Streaming multipart parsing for `POST /v1/files`: the `content` part goes straight to disk, hashed.

The body is never held whole in memory: each chunk from the socket is fed to python-multipart's push parser,
and the bytes of the `content` part are written to a temporary file while sha256 and md5 are updated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from .bodies import ClientDisconnected, too_large
from .problems import Problem, disk_full

MAX_FILE_SIZE = 100 * 1024 * 1024  # Replicate's limit: 100 MiB, inclusive
# Form fields other than `content` (metadata, filename, type) are few and small. Without these caps a body of
# thousands of fields was held in memory whole: 4,000 of them grew the server by 290 MB for good.
MAX_FIELDS = 16
MAX_FIELD_SIZE = 64 * 1024
MAX_FIELDS_TOTAL = 256 * 1024
_MAX_DRAIN = 2 * MAX_FILE_SIZE
_TOO_LARGE = "Files must be at most 100 MiB (104,857,600 bytes) in size"

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

# python-multipart logs each malformed body as a warning before raising; with logging unconfigured Python
# printed it on stderr ("Expected boundary character 45, ..."), beside our own 400. The 400 says it all;
# an application that configures logging still receives the record.
logging.getLogger("python_multipart").addHandler(logging.NullHandler())


@dataclass
class ParsedUpload:
    path: Path
    size: int
    sha256: str
    md5: str
    filename: str | None
    content_type: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _Collector:
    """Callbacks for the push parser: route `content` bytes to disk and keep small fields in memory."""

    def __init__(self, spool_dir: Path) -> None:
        fd, name = tempfile.mkstemp(dir=spool_dir, suffix=".part")
        self.path = Path(name)
        self.out = os.fdopen(fd, "wb")
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.too_large = False
        self.ended = False
        self.content: _Part | None = None
        self.fields: dict[str, str] = {}
        self.field_count = 0
        self.field_bytes = 0
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._part = _Part()
        self._headers = {}

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        # Kept as latin-1 (byte for byte) so parse_options_header can re-encode it; the filename's
        # bytes are then read as UTF-8, which is what browsers and HTTP clients send.
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition", ""))
        if disposition != b"form-data" or b"name" not in options:
            raise Problem(
                400,
                "Malformed multipart body",
                "Every part needs `Content-Disposition: form-data; name=...`.",
            )
        self._part.name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            self._part.filename = options[b"filename"].decode("utf-8", "replace")
        self._part.content_type = self._headers.get("content-type")
        if self._part.name == "content":
            if self.content is not None:
                raise Problem(400, "Malformed multipart body", "Send exactly one `content` part.")
            self.content = self._part
            return
        self.field_count += 1
        if self.field_count > MAX_FIELDS:
            raise too_large(
                f"The form has more than {MAX_FIELDS} fields besides `content`; send the file in `content` "
                "and at most `filename`, `type` and `metadata` beside it."
            )

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part is self.content:
            if self.too_large:
                return  # keep draining so the client reads our 413 instead of a broken pipe
            self.size += end - start
            if self.size > MAX_FILE_SIZE:
                self.too_large = True
                return
            chunk = data[start:end]
            self.out.write(chunk)
            self.sha256.update(chunk)
            self.md5.update(chunk)
        else:
            self._part.data.extend(data[start:end])
            self.field_bytes += end - start
            if len(self._part.data) > MAX_FIELD_SIZE:
                raise too_large(
                    f"The `{self._part.name}` field is over {MAX_FIELD_SIZE // 1024} KiB; form fields "
                    "besides `content` are for small values (put the bytes in `content`)."
                )
            if self.field_bytes > MAX_FIELDS_TOTAL:
                raise too_large(
                    f"The form's fields besides `content` hold over {MAX_FIELDS_TOTAL // 1024} KiB together; "
                    "put the bytes in `content`."
                )

    def _part_end(self) -> None:
        if self._part is not self.content:
            self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")

    def _end(self) -> None:
        self.ended = True

    def discard(self) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)


def _boundary(content_type: str) -> bytes:
    media_type, options = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise Problem(
            400,
            "Malformed multipart body",
            "Send the file as multipart/form-data with a `content` part (Content-Type was "
            f"{content_type or 'missing'!r}).",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise Problem(400, "Malformed multipart body", "The multipart Content-Type has no boundary.")
    return boundary


async def receive_upload(content_type: str, receive: Receive, spool_dir: Path) -> ParsedUpload:
    """Read the request body chunk by chunk into a spooled file. Raises Problem or ClientDisconnected."""
    boundary = _boundary(content_type)
    collector = _Collector(spool_dir)
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
        more = True
        refusal: Problem | None = None
        drained = 0
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if refusal is not None:
                # Read the rest (bounded) so the client gets our answer rather than a broken pipe.
                drained += len(chunk)
                if drained > _MAX_DRAIN:
                    break
                continue
            if chunk:
                try:
                    parser.write(chunk)
                except (MultipartParseError, ValueError) as exc:
                    refusal = Problem(400, "Malformed multipart body", f"Could not parse the body: {exc}")
                except Problem as exc:
                    refusal = exc
                except OSError as exc:  # the disk filled up: answer (after draining), don't fail the request
                    refusal = disk_full(exc, spool_dir)
        if refusal is not None:
            raise refusal
        parser.finalize()
        collector.out.close()
        if collector.too_large:
            raise Problem(413, "Payload too large", _TOO_LARGE)
        if not collector.ended:
            raise Problem(
                400, "Malformed multipart body", "The multipart body ended before its closing boundary."
            )
        if collector.content is None:
            raise Problem(
                400, "Malformed multipart body", "The body has no `content` part: send the file in it."
            )
    except BaseException:
        collector.discard()
        raise
    return ParsedUpload(
        path=collector.path,
        size=collector.size,
        sha256=collector.sha256.hexdigest(),
        md5=collector.md5.hexdigest(),
        filename=collector.content.filename,
        content_type=collector.content.content_type,
        fields=collector.fields,
    )
