"""One model over many inputs with bounded concurrency; a failed item is its exception, in place."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any

from .outputs import galleries
from .run import run_flow

if TYPE_CHECKING:
    from .client import Client


def run_batch(
    client: Client, model: str, inputs: list[dict[str, Any]], *, concurrency: int = 8, **options: Any
) -> list[Any]:
    """Results in input order. Ctrl-C stops new items, cancels the running predictions, then re-raises."""
    abort = threading.Event()

    def one(item: dict[str, Any]) -> Any:
        if abort.is_set():
            raise KeyboardInterrupt
        return client.drive(run_flow(client, model, item, **options), abort)

    with concurrent.futures.ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="rw-batch") as pool:
        futures = [pool.submit(one, item) for item in inputs]
        try:  # Ctrl-C lands here, in the main thread; short waits so that interrupt_main() is seen too
            while concurrent.futures.wait(futures, timeout=0.1).not_done:
                pass
        except KeyboardInterrupt:
            abort.set()
            concurrent.futures.wait(futures)  # each worker cancels its own prediction
            raise
    # a batch of files displays as a gallery, like a list-of-files output
    return galleries([_outcome(f) for f in futures])  # type: ignore[no-any-return]


def _outcome(future: concurrent.futures.Future[Any]) -> Any:
    error = future.exception()
    return error if error is not None else future.result()


async def async_run_batch(
    client: Client, model: str, inputs: list[dict[str, Any]], *, concurrency: int = 8, **options: Any
) -> list[Any]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: dict[str, Any]) -> Any:
        async with gate:
            return await client.adrive(run_flow(client, model, item, **options))

    results = await asyncio.gather(*(one(item) for item in inputs), return_exceptions=True)
    for result in results:
        if isinstance(result, (KeyboardInterrupt, asyncio.CancelledError)):
            raise result
    return galleries(list(results))  # type: ignore[no-any-return]
