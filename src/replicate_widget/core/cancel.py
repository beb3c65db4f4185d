"""Cancelling predictions: by id, and the one a create still in flight has made (before its id is known)."""

from __future__ import annotations

import contextlib
from typing import Any

from .errors import APIError
from .http import Call, Flow, parse_iso_time, send
from .prediction import Prediction


def cancel_flow(base_url: str, prediction_id: str, url: str | None = None) -> Flow:
    url = url or f"{base_url}/v1/predictions/{prediction_id}/cancel"
    response = yield from send(Call("POST", url, retry="idempotent"))  # cancelling twice is harmless
    return Prediction.from_json(response.json())


def cancel_matching_flow(base_url: str, create: Call, sent_at: float) -> Flow:
    """Cancel the prediction a create still in flight has made, before the create answers.

    With `Prefer: wait` the answer (and the id) may come a minute later. The newest predictions are listed and
    those of the same model, not final, created since the request and with the same input are cancelled.
    """
    body = create.json or {}
    listed = (yield from send(Call("GET", f"{base_url}/v1/predictions", timeout=10.0))).json()
    cancelled = []
    for item in listed.get("results") or []:
        candidate = Prediction.from_json(item)
        created = parse_iso_time(candidate.created_at)
        if candidate.done or (created is not None and created < sent_at - 60):  # 60 s of clock skew allowed
            continue
        if "version" in body:
            if candidate.version != body["version"]:
                continue
        elif not create.url.endswith(f"/models/{candidate.model}/predictions"):
            continue
        if "input" in item and not _same_input(item["input"] or {}, body.get("input") or {}):
            continue
        with contextlib.suppress(APIError):
            cancelled.append((yield from cancel_flow(base_url, candidate.id, candidate.urls.get("cancel"))))
    return cancelled


def _same_input(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    # Replicate does not keep data URIs, so values holding one cannot be compared.
    return all(stored.get(k) == v for k, v in sent.items() if "data:" not in repr(v))
