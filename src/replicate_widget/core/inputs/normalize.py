"""Turning input values into what the API takes: URL | data URI | upload | storage, decided per file."""

from __future__ import annotations

import base64
import binascii
import io
import math
import mmap
import os
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InputError
from ..limits import FILES_API_LIMIT, INLINE_BUDGET, STORAGE_LIMIT
from ..outputs.file_output import FileOutput
from ..storage.location import STORAGE_ENV
from .json_values import convert, plain, refuse
from .local_file import LocalFile
from .routing import Route, route, too_large

if TYPE_CHECKING:
    from ..schema import ModelSchema

Strategy = Literal["auto", "data-uri", "upload", "storage"]
Form = Route
_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,", re.ASCII)


def normalize_input(value: Any, schema: ModelSchema | None = None, field: str | None = None) -> Any:
    """``value`` with every local file as a LocalFile and every earlier output as its URL; data URIs checked.

    ``schema`` None means not known yet: then only what needs no schema is done. A plain string becomes a
    local file, and a ``data:`` string is checked as a data URI, only where the schema says the field is a
    file (or a list of files), or where the model publishes no schema (``data:`` strings only).
    No I/O beyond stat, except that bytes and file objects are spooled to a temporary file.
    """
    value = plain(value)
    if schema is not None and field is not None:
        value = convert(value, schema.field(field) if schema.available else None)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"'{field}' is {value}: JSON carries only finite numbers; give a finite one.")
    if isinstance(value, dict):
        return {k: normalize_input(v, schema, k if field is None else field) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_input(v, schema, field) for v in value]
    if isinstance(value, LocalFile):
        return value
    if isinstance(value, os.PathLike):
        return LocalFile(_regular_file(Path(value), field))
    if isinstance(value, (bytes, bytearray, memoryview)):
        spooled = LocalFile.from_bytes(bytes(value), name=field or "file")
        spooled.named = False  # the field's name, not the file's
        return spooled
    if isinstance(value, io.IOBase) or (hasattr(value, "read") and hasattr(value, "seek")):
        return _from_file_object(value, field)
    if isinstance(value, FileOutput):  # an output of an earlier run feeds the next one as its URL
        return value.url
    if isinstance(value, str):
        return _normalize_string(value, schema, field)
    if schema is not None:
        # Known by now what the field takes. Where the schema gives it a plain type, validate() says "must
        # be a number, got Decimal"; elsewhere (no schema, inside a list or dict) what is not JSON is refused.
        spec = schema.field(field) if field is not None else None
        if spec is None or spec.type in ("array", "object"):
            refuse(value, field)
    return value


def _regular_file(path: Path, field: str | None) -> Path:
    """``path`` when it is a regular file (links followed); otherwise an error that says what it is.

    Never opens it: opening a FIFO nobody writes to would block the kernel.
    """
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(f"'{field}': {path} is a folder; give a file in it.")
    if path.exists():
        raise InputError(
            f"'{field}': {path} is not a regular file (a pipe, socket or device); "
            "save its contents to a file and give that."
        )
    raise InputError(f"'{field}': no such file: {path}")


def _from_file_object(value: Any, field: str | None) -> LocalFile:
    name = getattr(value, "name", None)
    if isinstance(name, str) and os.path.isfile(name) and getattr(value, "mode", "rb").find("b") >= 0:
        return LocalFile(name)
    if isinstance(value, io.TextIOBase):
        raise InputError(f"'{field}': open the file in binary mode ('rb'), not text mode.")
    spooled = LocalFile.from_stream(
        value, name=os.path.basename(name) if isinstance(name, str) else field or "file"
    )
    spooled.named = isinstance(name, str)
    return spooled


def _normalize_string(value: str, schema: ModelSchema | None, field: str | None) -> Any:
    if value.startswith(("http://", "https://")):
        return value
    spec = schema.field(field) if schema is not None and field is not None else None
    takes_file = spec is not None and (spec.is_file or spec.is_file_array)
    if value.startswith("data:"):
        # Text may well start with "data:" ("data: quarterly numbers"): a data URI only where a file goes.
        if schema is not None and (takes_file or not schema.available):
            check_data_uri(value, field)
        return value
    if not takes_file:
        return value
    if os.path.isfile(value):
        return LocalFile(value)
    scheme = value.split(":", 1)[0] if re.match(r"^[a-zA-Z][\w+.-]*:", value) else ""
    if scheme and len(scheme) > 1:  # "C:" is a Windows drive, not a scheme
        raise InputError(f"'{field}': the scheme '{scheme}:' is not supported; give an https: URL or a file.")
    raise InputError(f"'{field}' takes a file: {value!r} is neither an existing file nor an http(s) URL.")


def check_data_uri(value: str, field: str | None = None) -> None:
    head = _DATA_URI.match(value)
    if head is None:
        raise InputError(f"'{field}': broken data URI (expected data:<type>;base64,<data>).")
    if head.group(3):
        try:
            base64.b64decode(value[head.end() :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"'{field}': the data URI's base64 does not decode: {exc}.") from exc


def local_files(value: Any) -> list[LocalFile]:
    """Every LocalFile in ``value``, each once, in order of appearance."""
    found: dict[LocalFile, None] = {}

    def walk(v: Any) -> None:
        if isinstance(v, LocalFile):
            found[v] = None
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return list(found)


def check_sizes(files: list[LocalFile], cap: int = FILES_API_LIMIT) -> None:
    too_big = [f for f in files if f.size > cap]
    if too_big:
        problems = [too_large(f.name, f.size, cap) for f in too_big]
        raise InputError(problems[0] if len(problems) == 1 else "Files too large to send.", problems)


def plan(files: list[LocalFile], strategy: Strategy, storage: bool = False) -> dict[LocalFile, Form]:
    """How each file travels. Auto: each file where routing.route sends it (with a bucket configured,
    ``storage``, files over the Files API limit go there), then, past the inline budget, the largest inline
    files are uploaded instead."""
    if strategy == "storage":
        if not storage:
            raise InputError(
                f"strategy='storage' needs a bucket: set storage='s3://bucket/prefix' or {STORAGE_ENV}."
            )
        check_sizes(files, STORAGE_LIMIT)
        return dict.fromkeys(files, "storage")
    if strategy not in ("auto", "upload", "data-uri"):
        raise InputError(f"strategy must be 'auto', 'data-uri', 'upload' or 'storage', not {strategy!r}.")
    check_sizes(files, STORAGE_LIMIT if strategy == "auto" and storage else FILES_API_LIMIT)  # all at once
    if strategy == "upload":
        return dict.fromkeys(files, "upload")
    if strategy == "data-uri":
        total = sum(f.size for f in files)
        if total > INLINE_BUDGET:
            raise InputError(
                f"strategy='data-uri' would put {total:,} bytes inline; one request takes at most "
                f"{INLINE_BUDGET:,}. Use strategy='auto' or 'upload'."
            )
        return dict.fromkeys(files, "data-uri")
    result: dict[LocalFile, Form] = {f: route(f.name, f.size, bucket=storage) for f in files}
    inline = sorted((f for f in files if result[f] == "data-uri"), key=lambda f: f.size, reverse=True)
    total = sum(f.size for f in inline)
    for f in inline:
        if total <= INLINE_BUDGET:
            break
        result[f] = "upload"
        total -= f.size
    return result


def data_uri(file: LocalFile) -> str:
    """``data:<type>;name=<name>;base64,<data>``. The ``name`` parameter (percent-encoded; absent for bytes,
    which have none) keeps the file's name with it: a data URI has no path to carry one, and the local server
    gives it to the model.

    Encoded in small chunks (a multiple of 3 bytes, so their base64 joins cleanly) into one buffer of the
    final length, which becomes the string in one decode. Fresh multi-MB buffers cost more than the encoding
    itself: each of their pages is faulted in on first touch, and a read, an encode, a decode and a
    concatenation are four of them. Here there are two (the buffer, prefilled by the kernel in one go where
    it can, and the string), and the chunks reuse one small buffer that stays in cache.
    """
    named = f";name={urllib.parse.quote(file.name, safe='')}" if file.named else ""
    head = f"data:{file.content_type}{named};base64,".encode()
    with file.path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        length = len(head) + 4 * ((size + 2) // 3)
        out = _scratch(length)
        view = memoryview(out)
        chunk = bytearray(min(_B64_STEP, size) or 1)
        try:
            view[: len(head)] = head
            at, left = len(head), size
            while left > 0 and (n := f.readinto(memoryview(chunk)[: min(left, len(chunk))])):
                encoded = binascii.b2a_base64(memoryview(chunk)[:n], newline=False)
                view[at : at + len(encoded)] = encoded
                at, left = at + len(encoded), left - n
            if f.read(1):  # more than stat said (a /proc file says 0, a file still being written): all of it
                f.seek(0)
                return (head + base64.b64encode(f.read())).decode("utf-8")
            # utf-8, not ascii: a content type the caller gave may be any text (base64 itself is ASCII)
            return str(view[:at], "utf-8")
        finally:
            view.release()
            if isinstance(out, mmap.mmap):
                out.close()


_B64_STEP = 3 * 16 * 1024  # 48 KiB in, 64 KiB out: both stay in the CPU's cache
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # Linux: the kernel fills the pages at once, without faults


def _scratch(length: int) -> bytearray | mmap.mmap:
    if _POPULATE and length >= 256 * 1024:
        return mmap.mmap(-1, length, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _POPULATE)
    return bytearray(length)


def substitute(value: Any, replace: Callable[[LocalFile], str]) -> Any:
    if isinstance(value, LocalFile):
        return replace(value)
    if isinstance(value, dict):
        return {k: substitute(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, replace) for v in value]
    return value
