"""Streaming text as the model produces it (server-sent events), cancelling on Ctrl-C or an early break."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import connect_sse

from .cancel import cancel_flow
from .http import Call, Flow, Sleep, send
from .outputs import make_file_output
from .prediction import Prediction
from .run import create_call, prepare_flow, raise_for_prediction, wait_flow

if TYPE_CHECKING:
    from .client import Client
    from .run import ProgressCallback


def _start_flow(
    client: Client,
    model: str,
    input: dict[str, Any] | None,
    *,
    strategy: Any,
    cancel_after: Any,
    progress: ProgressCallback | None,
) -> Flow:
    target, body_input = yield from prepare_flow(
        client, model, input, strategy=strategy, progress=progress, uploaded=[]
    )
    create = create_call(target, body_input, False, cancel_after, True)
    prediction = yield from wait_flow(client, create, progress, until_done=False)
    return target, prediction


def stream(
    client: Client,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    strategy: Any = "auto",
    cancel_after: Any = None,
    progress: ProgressCallback | None = None,
    **_ignored: Any,
) -> Iterator[Any]:
    """Text chunks (and FileOutputs for file outputs), as they come."""
    target, prediction = client.drive(
        _start_flow(client, model, input, strategy=strategy, cancel_after=cancel_after, progress=progress)
    )
    finished = False
    try:
        url = prediction.urls.get("stream")
        if url:
            yield from _events(url, target.schema)
        else:  # no stream offered: poll, and hand out what arrived since the last look
            yield from _poll_increments(client, prediction)
        final = client.drive(_final_flow(client, prediction))
        finished = True
        raise_for_prediction(final)
    finally:
        if not finished:  # Ctrl-C, or the caller stopped iterating
            # Leaving takes priority over a failed cancel; the model stops at its deadline anyway.
            with contextlib.suppress(Exception):
                client.drive(cancel_flow(client, prediction.id, prediction.urls.get("cancel")))


def _events(url: str, schema: Any) -> Iterator[Any]:
    files = schema.output_kind in ("file", "files") or (schema.output is None)
    # Never the token here: the stream URL is a capability, like output files.
    with (
        httpx.Client(timeout=httpx.Timeout(None, connect=10.0)) as http,
        connect_sse(
            http, "GET", url, headers={"accept": "text/event-stream", "cache-control": "no-store"}
        ) as source,
    ):
        for event in source.iter_sse():
            if event.event == "output":
                data = event.data
                is_file = files and data.startswith(("https:", "data:", "http:"))
                yield make_file_output(data) if is_file else data
            elif event.event in ("error", "done"):
                return  # the final prediction, fetched next, says how it ended


def _get_flow(client: Client, prediction: Prediction) -> Flow:
    url = prediction.urls.get("get") or f"{client.base_url}/v1/predictions/{prediction.id}"
    return Prediction.from_json((yield from send(Call("GET", url))).json())


def _final_flow(client: Client, prediction: Prediction) -> Flow:
    delay = 0.05
    while True:
        prediction = yield from _get_flow(client, prediction)
        if prediction.done:
            return prediction
        yield Sleep(delay)
        delay = min(delay * 2, 1.0)


def _poll_increments(client: Client, prediction: Prediction) -> Iterator[Any]:
    import time

    given = 0
    while True:
        current = client.drive(_get_flow(client, prediction))
        output = current.output
        if isinstance(output, list):
            yield from output[given:]
            given = len(output)
        if current.done:
            if not isinstance(output, list) and output is not None:
                yield output
            return
        time.sleep(0.2)
