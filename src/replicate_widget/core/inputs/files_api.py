"""The Files API upload as a flow: a multipart body streamed from disk, then the checksum compared."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import APIError
from ..network.http import Call, Flow, json_object, parse_iso_time, send
from .local_file import CHUNK_SIZE, LocalFile


@dataclass(frozen=True)
class UploadedFile:
    id: str
    url: str  # urls.get: the value a model input takes
    sha256: str
    size: int
    expires_at: float | None  # Unix time; Replicate keeps uploads 24 h

    @property
    def expired(self) -> bool:
        # A minute's margin: the URL must still be valid when the model fetches it.
        return self.expires_at is not None and time.time() > self.expires_at - 60


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


def multipart_envelope(boundary: str, filename: str, content_type: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's content in a one-part form, as the official clients send it."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="content"; filename="{_quote(filename)}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def upload_flow(base_url: str, file: LocalFile, progress: Callable[[int, int], None] | None) -> Flow:
    """Upload ``file``; its sha256, when not known yet, is computed from the chunks as they are sent (not in
    a pass of its own before: that read the file twice), and compared with the server's."""
    boundary = "rw" + secrets.token_hex(16)
    head, tail = multipart_envelope(boundary, file.name, file.content_type)
    total = file.size
    known = file._known_sha256
    hashed: list[Any] = []  # this attempt's hasher and the bytes it saw (uploads retry from the start)

    def body() -> Iterator[bytes]:
        hasher = None if known else hashlib.sha256()
        sent = 0
        hashed[:] = [hasher, 0]
        if progress:
            progress(0, total)
        yield head
        with file.open() as f:
            # f.read, not readinto a reused buffer: the transport sends a bytes chunk as it is, and would copy
            # a memoryview.
            while chunk := f.read(CHUNK_SIZE):
                sent += len(chunk)
                if hasher is not None:
                    hasher.update(chunk)  # releases the GIL: cheap next to sending 1 MiB
                    hashed[1] = sent
                yield chunk
                if progress:
                    progress(sent, total)
        yield tail

    call = Call(
        "POST",
        f"{base_url}/v1/files",
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(len(head) + total + len(tail)),
        },
        retry="upload",
        timeout=None,
        body=body,
    )
    response = yield from send(call)
    record = parse_file_record(json_object(response))
    if known:
        expected = known
    elif hashed and hashed[0] is not None and hashed[1] == total:
        expected = hashed[0].hexdigest()
        file._note_sha256(expected)
    else:  # the body was not read to its end (a transport that sends some other way): hash it now
        expected = file.sha256
    if record.sha256 and record.sha256 != expected:
        raise APIError(
            0,
            "Upload corrupted",
            f"{file.name}: the server's sha256 {record.sha256} differs from the local {expected}. Run again.",
        )
    return UploadedFile(record.id, record.url, expected, total, record.expires_at)


def parse_file_record(data: dict[str, Any]) -> UploadedFile:
    urls = data.get("urls") or {}
    if not urls.get("get"):
        raise APIError(0, "Unexpected answer", "The Files API answer has no urls.get to pass to a model.")
    return UploadedFile(
        id=str(data.get("id", "")),
        url=str(urls["get"]),
        sha256=str((data.get("checksums") or {}).get("sha256") or ""),
        size=int(data.get("size") or 0),
        expires_at=parse_iso_time(data.get("expires_at")),
    )


def delete_flow(base_url: str, file_id: str) -> Flow:
    try:
        yield from send(Call("DELETE", f"{base_url}/v1/files/{file_id}"))
    except APIError as exc:
        if exc.status != 404:  # already gone is what we wanted
            raise


class Remembers(Protocol):
    """A client's memory of its uploads (uploaded.UploadCache, which imports this module)."""

    def forget(self, file: LocalFile) -> UploadedFile | None: ...


def forget_flow(uploads: Remembers, base_url: str, file: LocalFile) -> Flow:
    """Forget the upload of these bytes and delete the remote copy; nothing when ``uploads`` made none."""
    record = uploads.forget(file)
    if record is not None:
        yield from delete_flow(base_url, record.id)
