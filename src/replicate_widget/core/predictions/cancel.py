"""Cancelling a prediction, by its id: the only thing that says a prediction is ours.

An interrupted create is not matched against the list of predictions (another process may have sent the very
same input a moment earlier, and a deployment's create names no model or version to match on): creates hold
for a second at most by default, so the drivers wait for the create's answer and the flow cancels by its id.
"""

from __future__ import annotations

from ..network.http import Call, Flow, json_object, send
from .record import PredictionRecord


def cancel_flow(base_url: str, prediction_id: str, url: str | None = None) -> Flow:
    url = url or f"{base_url}/v1/predictions/{prediction_id}/cancel"
    response = yield from send(Call("POST", url, retry="idempotent"))  # cancelling twice is harmless
    return PredictionRecord.from_json(json_object(response))
