"""Cancelling predictions: by id, and the one a create still in flight has made (before its id is known).

An interrupt must cancel only a prediction this process created. Once the create has answered, its id says
which; before that, only an unambiguous match in the list of predictions will do: not final, the same model,
the same input (data URIs included), created after our request was sent, and the only such one in two looks
a moment apart (a twin request from elsewhere, sent just before ours, could otherwise be taken for ours
in the moment before ours arrives). Anything less and the caller waits for the create's answer instead.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from .http import Call, Flow, Sleep, parse_iso_time, send
from .prediction import Prediction

_SECOND_LOOK = 0.3  # seconds between the two looks at the list
_PLAIN_SKEW = 30.0  # seconds: a smaller gap between the server's clock and ours is not corrected


def cancel_flow(base_url: str, prediction_id: str, url: str | None = None) -> Flow:
    url = url or f"{base_url}/v1/predictions/{prediction_id}/cancel"
    response = yield from send(Call("POST", url, retry="idempotent"))  # cancelling twice is harmless
    return Prediction.from_json(response.json())


def cancel_matching_flow(base_url: str, create: Call, sent_at: float) -> Flow:
    """Cancel the prediction ``create`` (sent at Unix time ``sent_at``) has made, if it can be told apart.

    The answer is the canceled Prediction, or None when no prediction matches unambiguously (the caller then
    waits for the create's answer and cancels by id).
    """
    first = yield from _matches(base_url, create, sent_at)
    if len(first) != 1:
        return None
    yield Sleep(_SECOND_LOOK)
    second = yield from _matches(base_url, create, sent_at)
    if [p.id for p in second] != [first[0].id]:
        return None
    canceled: Prediction = yield from cancel_flow(base_url, first[0].id, first[0].urls.get("cancel"))
    return canceled


def _matches(base_url: str, create: Call, sent_at: float) -> Flow:
    """Predictions in the newest page that may be the one ``create`` made."""
    asked = time.time()
    response: httpx.Response = yield from send(Call("GET", f"{base_url}/v1/predictions", timeout=10.0))
    since = sent_at + _clock_offset(response, asked, time.time())
    body = create.json or {}
    sent_input = body.get("input") or {}
    found = []
    for item in response.json().get("results") or []:
        candidate = Prediction.from_json(item)
        created = parse_iso_time(candidate.created_at)
        if candidate.done or created is None or created < since:
            continue
        if "version" in body:
            if candidate.version != body["version"]:
                continue
        elif not create.url.endswith(f"/models/{candidate.model}/predictions"):
            continue
        if not _same(item.get("input"), sent_input):
            continue
        found.append(candidate)
    return found


def _same(stored: Any, sent: dict[str, Any]) -> bool:
    # Every value, data URIs too: a server that does not keep them gives no match, and we wait for the answer.
    return isinstance(stored, dict) and stored == sent


def _clock_offset(response: httpx.Response, asked: float, answered: float) -> float:
    """How far the server's clock is ahead of ours, when its Date header shows it plainly.

    The server wrote the header between ``asked`` and ``answered`` (our clock). Only a gap of more than
    half a minute counts: servers cache the header (uvicorn renews it once a second, later under load),
    and a small gap only sends us to the safe path (wait for the answer) anyway.
    """
    header = response.headers.get("date")
    if not header:
        return 0.0
    try:
        date = email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return 0.0
    if asked - _PLAIN_SKEW <= date <= answered + _PLAIN_SKEW:
        return 0.0
    return date - (asked + answered) / 2
