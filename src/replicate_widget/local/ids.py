"""Identifiers, capability secrets and timestamps, in the shapes Replicate uses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Protocol, TypeVar

PAGE_SIZE = 100  # Replicate's page size for files and predictions


def new_id() -> str:
    """26 lowercase base32 characters, like Replicate's prediction and file ids."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def capability(secret: bytes, *parts: str) -> str:
    """An unguessable, stable token for a URL that needs no Authorization header."""
    message = "\x00".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def encode_cursor(seq: int) -> str:
    """An opaque page cursor: where a newest-first listing continues."""
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The sequence number in a cursor; None (start from the newest) when absent or not ours."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("seq:"))
    except ValueError:
        return None


class _Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


Item = TypeVar("Item", bound=_Sequenced)


def newest_first_page(items: Iterable[Item], cursor: str | None) -> tuple[list[Item], str | None]:
    """One page of a newest-first listing, and the cursor of the next page (None on the last)."""
    start = decode_cursor(cursor)
    ordered = sorted(items, key=lambda item: item.seq, reverse=True)
    if start is not None:
        ordered = [item for item in ordered if item.seq <= start]
    page, rest = ordered[:PAGE_SIZE], ordered[PAGE_SIZE:]
    return page, (encode_cursor(rest[0].seq) if rest else None)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
