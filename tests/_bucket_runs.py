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
