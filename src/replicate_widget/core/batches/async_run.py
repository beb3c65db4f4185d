"""The async form of run_batch (one model over many inputs with bounded concurrency; a failed item is its
exception, in place), and the captions that name which input each output came from. The sync rw.run_batch
runs on the resumable batch engine: batches/compat.py."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..inputs.local_file import LocalFile
from ..outputs.file_output import FileOutput, galleries
from ..run import call_token, delete_uploads_flow, run_flow

if TYPE_CHECKING:
    from ..context import ApiContext
    from ..network.http import Flow
    from ..run import Uploaded

ItemDone = Callable[[BaseException | None], None]


def name_sources(result: Any, item: dict[str, Any]) -> Any:
    """Marks each output file in ``result`` with the input file it came from (its caption says so)."""
    names = [n for n in (_file_name(v) for v in item.values()) if n]
    if names:
        for output in _file_outputs(result):
            output.source = ", ".join(names)
    return result


def _file_name(value: Any) -> str | None:
    if isinstance(value, LocalFile):
        return value.name if value.named else None
    if isinstance(value, os.PathLike):
        return Path(value).name
    if isinstance(value, FileOutput):
        return value.source or value.filename
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return FileOutput(value).filename
    name = getattr(value, "name", None)  # an open file's
    return os.path.basename(name) if isinstance(name, str) and hasattr(value, "read") else None


def _file_outputs(value: Any) -> list[FileOutput]:
    if isinstance(value, FileOutput):
        return [value]
    if isinstance(value, (list, tuple)):
        return [o for v in value for o in _file_outputs(v)]
    if isinstance(value, dict):
        return [o for v in value.values() for o in _file_outputs(v)]
    return []


async def async_run_batch(
    adrive: Callable[[Flow], Awaitable[Any]],
    context: ApiContext,
    model: str,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    on_item_done: ItemDone | None = None,
    options: Mapping[str, Any],
) -> list[Any]:
    """``options``: the run options (options.RunOptions), checked and merged; each item runs with them."""
    options = dict(options)
    delete_uploads = bool(options.pop("delete_uploads", False))
    gate = asyncio.Semaphore(max(1, concurrency))
    uploads: list[Uploaded] = []
    token = call_token(delete_uploads)  # one for the batch: items that share a file share its object

    async def one(item: dict[str, Any]) -> Any:
        async with gate:
            try:
                flow = run_flow(context, model, item, uploads_log=uploads, private_uploads=token, **options)
                result = await adrive(flow)
            except Exception as exc:
                if on_item_done:
                    on_item_done(exc)
                raise
            if on_item_done:
                on_item_done(None)
            return name_sources(result, item)

    try:
        results = await asyncio.gather(*(one(item) for item in inputs), return_exceptions=True)
    finally:
        if delete_uploads:
            await adrive(delete_uploads_flow(context, uploads))
    for result in results:
        if isinstance(result, (KeyboardInterrupt, asyncio.CancelledError)):
            raise result
    return galleries(list(results))  # type: ignore[no-any-return]
