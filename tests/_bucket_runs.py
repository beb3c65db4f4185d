"""Shared by the storage tests: a file of random bytes, and what the local server's request log shows."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any


def write(tmp_path: Path, name: str, size: int) -> tuple[Path, str]:
    """A file of random bytes, and its sha256."""
    data = os.urandom(size)
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def creates(server: Any) -> list[dict[str, Any]]:
    """The prediction create requests the local server saw."""
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]


def files_posts(server: Any) -> list[dict[str, Any]]:
    """Every request to the Files API."""
    return [e for e in server.log.entries if e["path"].startswith("/v1/files")]


def fresh_bucket_name() -> str:
    """Lowercase letters and digits only: every cloud and every emulator takes it as it is. A '-' is one
    that obstore percent-encodes in the GCS XML API's paths, and moto 5.2.5 looks up 'rw%2D...' verbatim."""
    import uuid

    return f"rw{uuid.uuid4().hex[:12]}"
