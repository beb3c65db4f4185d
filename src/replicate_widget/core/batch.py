"""The async form of run_batch: one model over many inputs with bounded concurrency; a failed item is its
exception, in place. (The sync rw.run_batch runs on the resumable batch engine: batches/compat.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .outputs import galleries
from .run import delete_uploads_flow, run_flow

if TYPE_CHECKING:
    from .context import ApiContext
    from .http import Flow
    from .run import Uploaded

ItemDone = Callable[[BaseException | None], None]


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

    async def one(item: dict[str, Any]) -> Any:
        async with gate:
            try:
                result = await adrive(run_flow(context, model, item, uploads_log=uploads, **options))
            except Exception as exc:
                if on_item_done:
                    on_item_done(exc)
                raise
            if on_item_done:
                on_item_done(None)
            return result

    try:
        results = await asyncio.gather(*(one(item) for item in inputs), return_exceptions=True)
    finally:
        if delete_uploads:
            await adrive(delete_uploads_flow(context, uploads))
    for result in results:
        if isinstance(result, (KeyboardInterrupt, asyncio.CancelledError)):
            raise result
    return galleries(list(results))  # type: ignore[no-any-return]
