"""One model over many inputs with bounded concurrency; a failed item is its exception, in place."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .drive import drive
from .files import LocalFile
from .outputs import FileOutput, galleries
from .run import call_token, delete_uploads_flow, run_flow

if TYPE_CHECKING:
    from .context import ApiContext
    from .http import Flow
    from .run import Uploaded
    from .transport import Transport

ItemDone = Callable[[BaseException | None], None]


def run_batch(
    transport: Transport,
    context: ApiContext,
    model: str,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    delete_uploads: bool = False,
    on_item_done: ItemDone | None = None,
    **options: Any,
) -> list[Any]:
    """Results in input order. Ctrl-C stops new items, cancels the running predictions, then re-raises.
    ``delete_uploads`` deletes after the whole batch: items may share a file. ``on_item_done`` hears of
    each item as it ends (None, or its exception): the "n/N done" line."""
    abort = threading.Event()
    workers = max(1, concurrency)
    uploads: list[Uploaded] = []
    token = call_token(delete_uploads)  # one for the batch: items that share a file share its object

    def one(item: dict[str, Any]) -> Any:
        if abort.is_set():
            raise KeyboardInterrupt
        flow = run_flow(context, model, item, uploads_log=uploads, private_uploads=token, **options)
        try:
            result = drive(transport, flow, abort, waiters)
        except Exception as exc:
            if on_item_done:
                on_item_done(exc)
            raise
        if on_item_done:
            on_item_done(None)
        return name_sources(result, item)

    # Each item's thread waits for its answers on a thread of `waiters`, so that an abort reaches it.
    with (
        concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="rw-batch") as pool,
        concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="rw-batch-wait") as waiters,
    ):
        futures = [pool.submit(one, item) for item in inputs]
        try:  # Ctrl-C lands here, in the main thread; short waits so that interrupt_main() is seen too
            while concurrent.futures.wait(futures, timeout=0.1).not_done:
                pass
        except KeyboardInterrupt:
            abort.set()
            concurrent.futures.wait(futures)  # each worker cancels its own prediction
            raise
        finally:
            if delete_uploads:
                drive(transport, delete_uploads_flow(context, uploads))
    # a batch of files displays as a gallery, like a list-of-files output
    return galleries([_outcome(f) for f in futures])  # type: ignore[no-any-return]


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


def _outcome(future: concurrent.futures.Future[Any]) -> Any:
    error = future.exception()
    return error if error is not None else future.result()


async def async_run_batch(
    adrive: Callable[[Flow], Awaitable[Any]],
    context: ApiContext,
    model: str,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    delete_uploads: bool = False,
    on_item_done: ItemDone | None = None,
    **options: Any,
) -> list[Any]:
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
