"""How one local file travels to a model, and how big a file can be: decided here, once, for a run's
planner (inputs.plan), the widgets' eager uploads (wire/eager.py) and their drop zones' size check.

A file under DATA_URI_LIMIT goes inline as a data: URI; one up to the Files API's limit is uploaded there;
a bigger one goes to the user's bucket when there is one (``storage=``), and is refused with what to do
when there isn't.
"""

from __future__ import annotations

from typing import Literal

from ..errors import InputError
from ..limits import (
    DATA_URI_LIMIT,
    FILES_API_LIMIT,
    STORAGE_LIMIT,
    STORAGE_MAX_PARTS,
    WIDGET_STORAGE_MAX_BYTES,
)
from ..storage.location import STORAGE_ENV

Route = Literal["data-uri", "upload", "storage"]


def route(name: str, size: int, *, bucket: bool) -> Route:
    """Where a file of ``size`` bytes goes by itself ("auto"); an InputError if nowhere takes it.

    ``bucket``: a bucket for big files is configured. A run's planner may still move inline files to the
    Files API when several together pass the inline budget (inputs.plan)."""
    if size > FILES_API_LIMIT:
        if not bucket:
            raise InputError(too_large(name, size, FILES_API_LIMIT))
        if size > STORAGE_LIMIT:
            raise InputError(too_large(name, size, STORAGE_LIMIT))
        return "storage"
    return "data-uri" if inline(size) else "upload"


def inline(size: int) -> bool:
    """A file this small goes as a data: URI, bucket or not (Replicate advises them under 1 MB)."""
    return size < DATA_URI_LIMIT


def widget_limit(*, bucket: bool) -> int:
    """The largest file a widget takes: the Files API's limit, or with a bucket the kernel's disk's share."""
    return WIDGET_STORAGE_MAX_BYTES if bucket else FILES_API_LIMIT


def too_large(name: str, size: int, limit: int, *, widget: bool = False) -> str:
    """Why a file is refused, and what would let it in: a run's words, or with ``widget`` a drop zone's."""
    if widget:
        message = f"{name} is {size:,} bytes; this widget takes files up to {limit:,} bytes."
        if limit <= FILES_API_LIMIT:
            message += (
                " For bigger files set storage='s3://bucket/prefix' (on the widget, the Client or "
                f"{STORAGE_ENV}): they go through your own bucket."
            )
        return message
    if limit <= FILES_API_LIMIT:
        return (
            f"{name} is {size:,} bytes; the API takes files up to {FILES_API_LIMIT:,} bytes (100 MiB). Set "
            f"storage='s3://bucket/prefix' (or {STORAGE_ENV}) to send it through your own bucket, "
            "or host it somewhere and pass its https: URL."
        )
    parts = f"{STORAGE_MAX_PARTS:,} parts"
    return f"{name} is {size:,} bytes; uploads to your bucket take at most {limit:,} bytes ({parts})."
