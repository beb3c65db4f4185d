"""Many inputs through one or more models, resumably: ``rw.batch(model, inputs, out="dir/")``.

ledger.py (SQLite in out/: what resumes), naming.py (inputs, item keys, output names), pacing.py (creates a
minute, 429s), remote.py (get, list, reconcile), item.py (one item's flow), save.py (outputs and
results.jsonl), engine.py (filling the ledger, the worker threads), batch.py (the Batch handle), gallery.py
(its HTML), lock.py (one batch per folder), compat.py (rw.run_batch on this engine).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..progress import check_progress
from ..run import call_token
from .batch import Batch, BatchItem
from .engine import Engine, file_field, fill
from .ledger import Ledger
from .lock import FolderLock
from .pacing import check_rate

if TYPE_CHECKING:
    from ..context import ApiContext
    from ..network.transport import Transport

__all__ = ["Batch", "BatchItem", "start_batch"]
_OPTIONS = {"strategy", "storage", "storage_expiry", "cancel_after", "delete_uploads", "progress"}


def start_batch(
    transport: Transport,
    context: ApiContext,
    models: list[str],
    inputs: Any,
    *,
    out: str | Path | None,
    field: str | None = None,
    rate: float | None = None,
    concurrency: int = 8,
    retry_failed: bool = False,
    keep_errors: bool = False,
    options: Mapping[str, Any],
) -> Batch:
    """Fill (or reopen) the ledger in ``out`` and start the workers; returns at once. ``retry_failed``:
    items that failed in an earlier run are tried again (otherwise a re-run skips them like the others).
    ``keep_errors``: each failed item's exception is kept in memory (rw.run_batch returns them)."""
    settings = _item_settings(models, concurrency, options)
    per_minute = check_rate(rate)
    folder, lock = _claim_folder(out)
    ledger = Ledger(folder)
    fields: dict[str, str] = {}

    def field_for(model: str) -> str:
        if field is not None:
            return field
        if model not in fields:
            fields[model] = file_field(transport, context, model)
        return fields[model]

    try:
        fill(ledger, models, inputs, field_for)
    except BaseException:
        ledger.close()
        lock.release()
        if out is None:  # a folder of our own, holding nothing yet
            shutil.rmtree(folder, ignore_errors=True)
        raise
    ledger.reopen_canceled()
    if retry_failed:
        ledger.retry_failed()
    engine = Engine(
        transport,
        context,
        ledger,
        folder,
        models,
        concurrency=concurrency,
        rate=per_minute,
        options=settings,
        changed=lambda: None,
        lock=lock,
    )
    if keep_errors:
        engine.errors = {}
    title = models[0] if len(models) == 1 else f"{len(models)} models"
    batch = Batch(engine, title)
    engine.start()
    return batch


def _item_settings(models: list[str], concurrency: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """The batch's arguments checked, and what each item's run gets: these options and the batch's own."""
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise TypeError(f"batch() got unexpected option(s): {', '.join(unknown)}")
    if not models:
        raise InputError("batch() needs at least one model.")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise InputError(f"concurrency must be a whole number of at least 1, not {concurrency!r}.")
    check_progress(options.get("progress"))
    settings = dict(options)
    # delete_uploads=True: one key of the batch's own for its bucket objects, never one another call shares
    settings["private_uploads"] = call_token(bool(options.get("delete_uploads")))
    if not callable(options.get("progress")):
        settings.pop("progress", None)  # None and False: the Batch displays itself, there is no other
    return settings


def _claim_folder(out: str | Path | None) -> tuple[Path, FolderLock]:
    """The output folder (a temporary one without ``out``), made if need be and locked for this batch."""
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="rw-batch-"))
    if folder.exists() and not folder.is_dir():
        raise InputError(f"out={str(folder)!r} is a file: give a folder for the outputs and the ledger.")
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)
    if not lock.acquire():
        raise InputError(
            f"A batch is already running in {str(folder)!r} (in this kernel or another process): wait for "
            "it, or cancel it (b.cancel()), before starting another there."
        )
    return folder, lock
