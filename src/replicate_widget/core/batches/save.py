"""Keeping a batch's results: output files copied into ``out/`` as they finish, and ``out/results.jsonl``.

Replicate deletes outputs about an hour after a run, so every file a model returns is downloaded at once,
named after the item (``sunset.jpg`` -> ``sunset-gray.png``); a model that returns several files gets a
folder per item. Each file is written under a temporary name and renamed, so a killed process never leaves
a half file under the real name. ``results.jsonl`` is appended as items finish and rewritten from the ledger,
in input order, when the batch ends: the ledger is the truth, the file its readable copy.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ..outputs.file_output import Downloads, FileOutput
from ..refs import Target
from .ledger import Ledger, Row
from .naming import output_name, unique

RESULTS_NAME = "results.jsonl"


def save_outputs(
    raw: Any, target: Target, folder: Path, stem: str, out: Path, *, downloads: Downloads | None = None
) -> list[str]:
    """Download every file in ``raw`` (the API's output) into ``folder``, through ``downloads`` (the
    client's); the saved paths, relative to ``out``."""
    files: list[FileOutput] = []
    _collect(target.schema.convert_output(raw, lambda url: FileOutput(url, downloads=downloads)), files)
    if not files:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    if len(files) == 1:
        destinations = [folder / output_name(stem, files[0].filename)]
    else:  # several files: a folder of the item's own, each under the name the model gave it
        taken: set[str] = set()
        destinations = [folder / stem / unique(f.filename, taken) for f in files]
        (folder / stem).mkdir(parents=True, exist_ok=True)
    saved = []
    for file, destination in zip(files, destinations, strict=True):
        partial = destination.with_name(f".{destination.name}.partial")
        with partial.open("wb") as sink:
            for chunk in file:
                sink.write(chunk)
        os.replace(partial, destination)
        saved.append(destination.relative_to(out).as_posix())
    return saved


def _collect(value: Any, files: list[FileOutput]) -> None:
    if isinstance(value, FileOutput):
        files.append(value)
    elif isinstance(value, list):
        for v in value:
            _collect(v, files)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, files)


def result_row(row: Row) -> dict[str, Any]:
    """One line of results.jsonl: the input, prediction id, status, and the output or its saved paths."""
    line: dict[str, Any] = {"input": _plain(row.input), "model": row.model, "id": row.prediction_id}
    line["status"] = row.status
    if row.paths:
        line["paths"] = row.paths
    elif row.status == "succeeded":
        line["output"] = row.output
    if row.error:
        line["error"] = row.error
    return line


def _plain(encoded: Any) -> Any:
    """The ledger's JSON of an input, for people: paths as strings, bytes as a note (the ledger has them)."""
    if isinstance(encoded, dict):
        if "$path" in encoded:
            return encoded["$path"]
        if "$b64" in encoded:
            return f"<{len(encoded['$b64']) * 3 // 4} bytes>"
        return {k: _plain(v) for k, v in encoded.items()}
    if isinstance(encoded, list):
        return [_plain(v) for v in encoded]
    return encoded


class Results:
    """``out/results.jsonl``: appended to by the workers (one lock), rewritten in order at the end."""

    def __init__(self, out: Path) -> None:
        self.path = out / RESULTS_NAME
        self._lock = threading.Lock()

    def append(self, row: Row) -> None:
        line = json.dumps(result_row(row), ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as sink:
            sink.write(line + "\n")

    def rewrite(self, ledger: Ledger) -> None:
        partial = self.path.with_name(f".{RESULTS_NAME}.partial")
        with self._lock:
            with partial.open("w", encoding="utf-8") as sink:
                for row in ledger.in_order():
                    if row.done_seq is not None:
                        sink.write(json.dumps(result_row(row), ensure_ascii=False) + "\n")
            os.replace(partial, self.path)
