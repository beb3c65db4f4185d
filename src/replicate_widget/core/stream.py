"""Streaming text as the model produces it (server-sent events), cancelling on Ctrl-C or an early break."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource

from .network.http import Call, Flow, Sleep, json_object, send
from .network.transport import shared_downloads
from .outputs.file_output import AsyncDownloads
from .predictions.cancel import cancel_flow
from .predictions.events import with_retry_events
from .predictions.flows import wait_flow
from .predictions.record import PredictionRecord
from .run import call_token, create_call, delete_uploads_flow, prepare_flow, raise_for_prediction
from .storage.location import DEFAULT_EXPIRY

if TYPE_CHECKING:
    from collections.abc import Callable

    from .context import ApiContext
    from .predictions.events import ProgressCallback
    from .run import Uploaded


def _start_flow(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None,
    *,
    strategy: Any,
    cancel_after: Any,
    progress: ProgressCallback | None,
    uploaded: list[Uploaded],
    **storage: Any,
) -> Flow:
    target, body_input = yield from prepare_flow(
        context, model, input, strategy=strategy, progress=progress, uploaded=uploaded, **storage
    )
    create = create_call(target, body_input, False, cancel_after, True)
    prediction = yield from wait_flow(context.base_url, create, progress, until_done=False)
    return target, prediction


def stream(
    drive: Callable[[Flow], Any],
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    strategy: Any = "auto",
    cancel_after: Any = None,
    progress: ProgressCallback | None = None,
    delete_uploads: bool = False,
    storage: Any = None,
    storage_expiry: int = DEFAULT_EXPIRY,
) -> Iterator[Any]:
    """Text chunks (and FileOutputs for file outputs), as they come. ``delete_uploads`` applies once the
    stream ends, however it ends (finished, failed, or left early)."""
    uploaded: list[Uploaded] = []
    try:
        start = _start_flow(
            context,
            model,
            input,
            strategy=strategy,
            cancel_after=cancel_after,
            progress=progress,
            uploaded=uploaded,
            storage=storage,
            storage_expiry=storage_expiry,
            private_uploads=call_token(delete_uploads),
        )
        target, prediction = drive(with_retry_events(start, progress))
        yield from follow(drive, context, target.schema, prediction)
    finally:
        if delete_uploads and uploaded:
            with contextlib.suppress(Exception):  # the stream's own outcome matters more
                drive(delete_uploads_flow(context, uploaded))


def follow(
    drive: Callable[[Flow], Any], context: ApiContext, schema: Any, prediction: PredictionRecord
) -> Iterator[Any]:
    """The chunks of a started prediction (its stream, else polling); raises if it failed; cancels it when
    left early."""
    base_url = context.base_url
    finished = False
    try:
        url = prediction.urls.get("stream")
        if url:
            yield from _events(context, url, schema)
        else:  # no stream offered: poll, and hand out what arrived since the last look
            yield from _poll_increments(drive, base_url, prediction)
        final = drive(_final_flow(base_url, prediction))
        finished = True
        raise_for_prediction(final)
    finally:
        if not finished:  # Ctrl-C, or the caller stopped iterating
            # Leaving takes priority over a failed cancel; the model stops at its deadline anyway.
            with contextlib.suppress(Exception):
                drive(cancel_flow(base_url, prediction.id, prediction.urls.get("cancel")))


# A stream stays open as long as the model writes; its URL is a capability, fetched without the token.
_SSE_TIMEOUT = httpx.Timeout(None, connect=10.0)
_SSE_HEADERS = {"accept": "text/event-stream", "cache-control": "no-store"}


def _events(context: ApiContext, url: str, schema: Any) -> Iterator[Any]:
    files = schema.output_kind in ("file", "files") or (schema.output is None)
    downloads = context.downloads or shared_downloads()
    with downloads.open(
        "GET", url, timeout=_SSE_TIMEOUT, follow_redirects=False, headers=_SSE_HEADERS
    ) as response:
        for event in EventSource(response).iter_sse():
            if event.event == "output":
                data = event.data
                is_file = files and data.startswith(("https:", "data:", "http:"))
                yield context.file_output(data) if is_file else data
            elif event.event in ("error", "done"):
                return  # the final prediction, fetched next, says how it ended


def _get_flow(base_url: str, prediction: PredictionRecord) -> Flow:
    url = prediction.urls.get("get") or f"{base_url}/v1/predictions/{prediction.id}"
    return PredictionRecord.from_json(json_object((yield from send(Call("GET", url)))))


def _final_flow(base_url: str, prediction: PredictionRecord) -> Flow:
    delay = 0.05
    while True:
        prediction = yield from _get_flow(base_url, prediction)
        if prediction.done:
            return prediction
        yield Sleep(delay)
        delay = min(delay * 2, 1.0)


def _poll_increments(
    drive: Callable[[Flow], Any], base_url: str, prediction: PredictionRecord
) -> Iterator[Any]:
    given = 0
    while True:
        current = drive(_get_flow(base_url, prediction))
        output = current.output
        if isinstance(output, list):
            yield from output[given:]
            given = len(output)
        if current.done:
            if not isinstance(output, list) and output is not None:
                yield output
            return
        time.sleep(0.2)


# ---- the async form: the same steps, driven on the event loop ---------------------------------------------
async def async_stream(
    adrive: Callable[[Flow], Awaitable[Any]],
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    strategy: Any = "auto",
    cancel_after: Any = None,
    progress: ProgressCallback | None = None,
    delete_uploads: bool = False,
    storage: Any = None,
    storage_expiry: int = DEFAULT_EXPIRY,
    downloads: AsyncDownloads,
) -> AsyncGenerator[Any, None]:
    """``stream`` for ``async for``: leaving early (or cancelling the task) cancels the prediction.
    ``downloads``: the client's async pool, which the stream is read through."""
    uploaded: list[Uploaded] = []
    try:
        target, prediction = await adrive(
            _start_flow(
                context,
                model,
                input,
                strategy=strategy,
                cancel_after=cancel_after,
                progress=progress,
                uploaded=uploaded,
                storage=storage,
                storage_expiry=storage_expiry,
                private_uploads=call_token(delete_uploads),
            )
        )
        async with contextlib.aclosing(
            _afollow(adrive, context, target.schema, prediction, downloads)
        ) as chunks:
            async for chunk in chunks:
                yield chunk
    finally:
        if delete_uploads and uploaded:
            with contextlib.suppress(Exception):
                await adrive(delete_uploads_flow(context, uploaded))


async def _afollow(
    adrive: Callable[[Flow], Awaitable[Any]],
    context: ApiContext,
    schema: Any,
    prediction: PredictionRecord,
    downloads: AsyncDownloads,
) -> AsyncGenerator[Any, None]:
    base_url = context.base_url
    finished = False
    try:
        url = prediction.urls.get("stream")
        source = (
            _aevents(context, downloads, url, schema)
            if url
            else _apoll_increments(adrive, base_url, prediction)
        )
        async with contextlib.aclosing(source) as chunks:
            async for chunk in chunks:
                yield chunk
        final = await adrive(_final_flow(base_url, prediction))
        finished = True
        raise_for_prediction(final)
    finally:
        if not finished:
            with contextlib.suppress(Exception):
                await adrive(cancel_flow(base_url, prediction.id, prediction.urls.get("cancel")))


async def _aevents(
    context: ApiContext, downloads: AsyncDownloads, url: str, schema: Any
) -> AsyncGenerator[Any, None]:
    files = schema.output_kind in ("file", "files") or (schema.output is None)
    async with downloads.open(
        "GET", url, timeout=_SSE_TIMEOUT, follow_redirects=False, headers=_SSE_HEADERS
    ) as response:
        async for event in EventSource(response).aiter_sse():
            if event.event == "output":
                data = event.data
                is_file = files and data.startswith(("https:", "data:", "http:"))
                yield context.file_output(data) if is_file else data
            elif event.event in ("error", "done"):
                return


async def _apoll_increments(
    adrive: Callable[[Flow], Awaitable[Any]], base_url: str, prediction: PredictionRecord
) -> AsyncGenerator[Any, None]:
    given = 0
    while True:
        current = await adrive(_get_flow(base_url, prediction))
        output = current.output
        if isinstance(output, list):
            for item in output[given:]:
                yield item
            given = len(output)
        if current.done:
            if not isinstance(output, list) and output is not None:
                yield output
            return
        await asyncio.sleep(0.2)
