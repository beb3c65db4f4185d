"""Writing a file whole or not at all, and a full disk said in our words.

A file is written under a temporary name beside its target and renamed over it once complete (a rename in
one folder is atomic), so a failure (a full disk, Ctrl-C, a dropped download) never leaves a truncated file
under the real name. ENOSPC and EDQUOT become a DiskFullError naming the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import DiskFullError

_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL


@contextlib.contextmanager
def full_disk_said(folder: Path | str) -> Iterator[None]:
    """A full disk inside the block is a DiskFullError about ``folder``; anything else passes through."""
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError(str(folder)) from None
        raise


@contextlib.contextmanager
def write_whole(target: Path) -> Iterator[BinaryIO]:
    """A file object writing to a temporary name beside ``target``, renamed to it when the block ends well;
    removed, and ``target`` untouched, when it does not."""
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    with full_disk_said(target.parent):
        try:
            with part.open("wb") as out:
                yield out
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
