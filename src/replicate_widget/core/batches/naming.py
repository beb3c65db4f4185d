"""What goes into a batch, how an item is known again on the next run, and what its outputs are called.

Inputs are given as a list of dicts, a folder, a glob, a JSONL file, or a list of paths. Each becomes a JSON
value (a path as ``{"$path": "/abs/file"}``, bytes as ``{"$b64": ...}``) so that the ledger can keep it and
a re-run can recognise it: an item's key is the sha256 of its model and that JSON, so identical inputs are
one item. Outputs are named after the item's file input (``sunset.jpg`` -> ``sunset-gray.png``), else after
its position (``item-00042``).
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from typing import Any

from ..errors import InputError
from ..inputs.local_file import LocalFile, sanitize_filename
from ..outputs.file_output import FileOutput

Inputs = Any  # list[dict] | list[path] | folder | glob | JSONL file: see iter_inputs
_GLOB_CHARS = set("*?[")


def iter_inputs(inputs: Inputs, field: str | None) -> Iterator[dict[str, Any] | Path | LocalFile]:
    """Each input, lazily: a dict, or a file (a Path, or an rw.LocalFile such as a widget's) still waiting
    for its field (the model's file input)."""
    if isinstance(inputs, (str, os.PathLike)):
        text = os.fspath(inputs)
        if _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise InputError(
                    f"The pattern {text!r} matches no file. Check it from the folder you run in."
                )
            yield from files
            return
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(f"The folder {text!r} holds no file to run the model on.")
            yield from files
            return
        if path.is_file() and path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _jsonl(path)
            return
        raise InputError(
            f"inputs={text!r} is not a folder, a glob pattern or a .jsonl file. Give one of those, or a list "
            "of dicts (one model input each)."
        )
    if isinstance(inputs, dict):
        raise InputError("inputs must be a list of dicts (one per item), not one dict: wrap it in [...].")
    if not isinstance(inputs, Iterable):
        raise InputError(
            f"inputs must be a list, a folder, a glob or a .jsonl file, not {type(inputs).__name__}."
        )
    for item in inputs:
        if isinstance(item, (dict, LocalFile)):
            yield item
        elif isinstance(item, (str, os.PathLike)) and Path(item).is_file():
            yield Path(item)
        else:
            raise InputError(f"Each input must be a dict of model inputs or a file path, not {item!r}.")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise InputError(
                    f"{path}, line {number}: not JSON ({exc}). Each line must be one object."
                ) from None
            if not isinstance(value, dict):
                raise InputError(f"{path}, line {number}: each line must be a JSON object of model inputs.")
            yield value


def encode(value: Any) -> Any:
    """The JSON the ledger keeps for an input value."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, PurePath):
        return {"$path": str(Path(value).resolve())}
    if isinstance(value, LocalFile):
        return {"$path": str(value.path.resolve()), "$name": value.name}
    if isinstance(value, FileOutput):
        return value.url
    if isinstance(value, (bytes, bytearray)):
        return {"$b64": base64.b64encode(value).decode()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise InputError(
        f"A batch keeps its inputs on disk to resume, and cannot keep a {type(value).__name__}. "
        "Give files as paths (pathlib.Path or rw.LocalFile), or as bytes."
    )


def decode(value: Any, *, for_run: bool = True) -> Any:
    """The value a run takes, from the ledger's JSON. ``for_run=False``: files as plain Paths, for showing
    (a widget's file may be gone by then; a LocalFile would insist on it)."""
    if isinstance(value, dict):
        if "$path" in value:
            path = Path(value["$path"])
            return LocalFile(path, name=value["$name"]) if "$name" in value and for_run else path
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        return {k: decode(v, for_run=for_run) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, for_run=for_run) for v in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def item_key(model: str, encoded: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"model": model, "input": encoded}).encode()).hexdigest()


def sent_hash(body_input: Any) -> str:
    """How a create's input is recognised in the server's list (data URIs and file URLs included)."""
    return hashlib.sha256(canonical(body_input).encode()).hexdigest()


def base_name(encoded: dict[str, Any], idx: int) -> str:
    """The stem outputs are named after: the first file input's name, else the item's position."""
    for value in encoded.values():
        if isinstance(value, dict) and "$path" in value:
            stem = PurePath(value.get("$name") or value["$path"]).stem
            return sanitize_filename(stem, default=f"item-{idx + 1:05d}")
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            stem = PurePath(value.split("?", 1)[0]).stem
            if stem:
                return sanitize_filename(stem, default=f"item-{idx + 1:05d}")
    return f"item-{idx + 1:05d}"


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when another item already has it."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def output_name(stem: str, produced: str) -> str:
    """``sunset`` and a model's ``gray.png`` -> ``sunset-gray.png``; a model's ``sunset-gray.png`` stays."""
    produced = sanitize_filename(produced, default="output")
    if produced.startswith(stem):
        return produced
    return f"{stem}-{produced}"


def model_folder(model: str) -> str:
    """Each model's outputs in a folder of their own when several models run side by side."""
    return sanitize_filename(model.replace("/", "-").replace(":", "-")[:80], default="model")
