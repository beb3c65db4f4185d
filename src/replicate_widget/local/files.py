"""The Files API's store: uploaded files on disk, their Replicate-shaped records, pagination."""

from __future__ import annotations

import itertools
import mimetypes
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .ids import capability, iso, new_id, newest_first_page, utcnow
from .multipart import ParsedUpload

FILE_LIFETIME = timedelta(hours=24)  # Replicate's expires_at is created_at + 24 h


@dataclass
class StoredFile:
    id: str
    seq: int
    name: str
    content_type: str
    size: int
    sha256: str
    md5: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "etag": self.md5,
            "checksums": {"sha256": self.sha256, "md5": self.md5},
            "metadata": self.metadata,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.created_at + FILE_LIFETIME),
            "urls": {"get": f"{base_url}/v1/files/{self.id}"},
        }


class FileStore:
    """Files live as `<root>/<id>`; records in memory, newest first when listed."""

    def __init__(self, root: Path, secret: bytes) -> None:
        self.root = root
        self.spool = root / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        self._secret = secret
        self._files: dict[str, StoredFile] = {}
        self._named_inputs: dict[str, StoredFile] = {}  # data URIs' bytes, under their name= (not listed)
        self._seq = itertools.count(1)

    def add(self, upload: ParsedUpload, name: str, content_type: str, metadata: dict[str, Any]) -> StoredFile:
        file_id = new_id()
        path = self.root / file_id
        shutil.move(upload.path, path)
        stored = StoredFile(
            id=file_id,
            seq=next(self._seq),
            name=name,
            content_type=content_type,
            size=upload.size,
            sha256=upload.sha256,
            md5=upload.md5,
            path=path,
            metadata=metadata,
        )
        self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def delete(self, file_id: str) -> bool:
        stored = self._files.pop(file_id, None)
        if stored is None:
            return False
        stored.path.unlink(missing_ok=True)
        return True

    def page(self, cursor: str | None) -> tuple[list[StoredFile], str | None]:
        """One page, newest first; the cursor is the seq to continue from (opaque to clients)."""
        return newest_first_page(self._files.values(), cursor)

    # The model receives a download URL for an uploaded file, as on Replicate (a signed URL there).
    def download_path(self, stored: StoredFile) -> str:
        token = capability(self._secret, "file", stored.id)
        return f"/_blobs/{stored.id}/{token}/{url_segment(stored.name)}"

    def add_named_input(self, data: bytes, name: str, content_type: str, sha256: str) -> str:
        """A named data URI's bytes as a download path for the model. Cog calls a data URI's file
        `file.<ext>` whatever its parameters, and a URL's file after its last segment: this way the model's
        Path has the name the client gave. Not a Files API file (never listed); gone with the server."""
        file_id = new_id()
        path = self.root / "named-inputs" / file_id
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        stored = StoredFile(file_id, 0, name, content_type, len(data), sha256, "", path)
        self._named_inputs[file_id] = stored
        return self.download_path(stored)

    def by_download_token(self, file_id: str, token: str) -> StoredFile | None:
        stored = self._files.get(file_id) or self._named_inputs.get(file_id)
        if stored is None or token != capability(self._secret, "file", file_id):
            return None
        return stored


def url_segment(name: str, default: str = "file") -> str:
    """A file name as the last segment of a URL: its base name, every reserved character escaped.

    The segment only names the file the model sees (Cog names its download after it). Built unescaped,
    `../../x.txt` became dot-segments that HTTP clients resolve away, and the model got a 404. A base name
    of `.` or `..` would be a dot-segment even escaped (`%2E%2E` counts as one too), so it becomes `default`.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", ".."):
        base = default
    return quote(base, safe="")


def guess_content_type(filename: str | None, declared: str | None) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or declared or "application/octet-stream"


# Types a browser would run (script, markup that can hold script): an output of that kind, opened from the
# prediction page, would otherwise run on the API's origin and could read what that page stored (the token).
_ACTIVE = ("html", "xml", "javascript", "ecmascript", "svg", "pdf", "x-shockwave-flash")


def output_headers(content_type: str | None, filename: str) -> dict[str, str]:
    """Outputs are data, never pages of this origin: no sniffing, a sandbox without scripts, and active
    types downloaded rather than shown."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; "
        "style-src 'unsafe-inline'",
    }
    kind = (content_type or "").lower()
    plain_text = kind.startswith("text/plain")
    if not kind or any(word in kind for word in _ACTIVE) or (kind.startswith("text/") and not plain_text):
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return headers
