"""Server-sent events at a prediction's `urls.stream`, with Replicate's events: output, logs, error, done."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .prediction import Prediction
from .problems import not_found
from .state import ServerState

_KEEPALIVE = 15.0


def _event(name: str, data: str, event_id: int) -> str:
    lines = data.split("\n")
    return f"event: {name}\nid: {event_id}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


async def _events(prediction: Prediction) -> AsyncIterator[str]:
    sent_outputs = 0
    sent_logs = 0
    event_id = 0
    while True:
        changed = prediction.changed  # taken before reading, so no update is missed
        output = prediction.output
        chunks = output if isinstance(output, list) else []
        if not isinstance(output, list) and output is not None and prediction.terminal and sent_outputs == 0:
            chunks = [output if isinstance(output, str) else json.dumps(output)]
        for chunk in chunks[sent_outputs:]:
            event_id += 1
            yield _event("output", chunk if isinstance(chunk, str) else json.dumps(chunk), event_id)
        sent_outputs = max(sent_outputs, len(chunks))
        if len(prediction.logs) > sent_logs:
            event_id += 1
            yield _event("logs", prediction.logs[sent_logs:].rstrip("\n"), event_id)
            sent_logs = len(prediction.logs)
        if prediction.terminal:
            if prediction.status == "failed":
                event_id += 1
                yield _event("error", prediction.error or "The prediction failed.", event_id)
            done = {} if prediction.status == "succeeded" else {"reason": prediction.status}
            yield _event("done", json.dumps(done), event_id + 1)
            return
        try:
            await asyncio.wait_for(changed.wait(), _KEEPALIVE)
        except asyncio.TimeoutError:
            yield ": keep-alive\n\n"


async def stream_prediction(request: Request) -> Response:
    state: ServerState = request.app.state.server
    prediction = state.predictions.get(request.path_params["prediction_id"])
    if (
        prediction is None
        or request.path_params["token"] != prediction.stream_token
        or not prediction.spec.streams
    ):
        raise not_found("Stream", "This stream URL is not valid.")
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(prediction), media_type="text/event-stream", headers=headers)
