"""The few prediction requests a batch needs besides create: get by id, list the newest, and reconcile.

Small flows on core's ``send``; shared ones (rw.prediction, a list with ``created_after``) may replace them.
Reconciling is how a resumed batch learns whether a create it sent before dying made a prediction: it lists
predictions created after ``sent_at`` minus 30 s (clocks differ) with the same model (or version) and the
very same input. One is adopted; none means the create never arrived, so it is sent again; several (a twin
from an earlier failure) means the oldest is kept and the rest canceled, and reported.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..cancel import cancel_flow
from ..errors import APIError
from ..http import Call, Flow, parse_iso_time, send
from ..prediction import Prediction
from ..refs import Target
from .naming import sent_hash

CLOCK_SLACK = 30.0  # seconds: predictions created this long before our sent_at still count
_MAX_PAGES = 50  # 5,000 predictions: a batch's own creates of the last minutes are near the top


def get_flow(base_url: str, prediction_id: str) -> Flow:
    response = yield from send(Call("GET", f"{base_url}/v1/predictions/{prediction_id}"))
    return Prediction.from_json(response.json())


def list_since_flow(base_url: str, since: float) -> Flow:
    """Raw predictions created at or after Unix time ``since``, newest first. ``created_after`` is passed
    for servers that filter; the filter is applied here too (the local server ignores the parameter)."""
    after = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    url: str | None = f"{base_url}/v1/predictions?created_after={after}"
    found: list[dict[str, Any]] = []
    for _ in range(_MAX_PAGES):
        if url is None:
            break
        page = (yield from send(Call("GET", url, timeout=30.0))).json()
        results = page.get("results") or []
        older = False
        for item in results:
            created = parse_iso_time(item.get("created_at"))
            if created is None or created < since:
                older = True
                continue
            found.append(item)
        if older:  # newest first: the rest of the list is older still
            break
        url = page.get("next")
    return found


def matches(item: dict[str, Any], target: Target, wanted_hash: str) -> bool:
    if sent_hash(item.get("input") or {}) != wanted_hash:
        return False
    if target.version is not None:
        return bool(item.get("version") == target.version)
    if "/models/" in target.create_url:
        return target.create_url.endswith(f"/models/{item.get('model')}/predictions")
    return True  # a deployment: its predictions name the model behind it; the input decides


@dataclass
class Reconciled:
    """What the list said: the prediction to adopt (None: send the create again), and twins canceled."""

    adopted: Prediction | None
    canceled: list[str] = field(default_factory=list)


def reconcile_flow(base_url: str, target: Target, sent_at: float, wanted_hash: str) -> Flow:
    listed = yield from list_since_flow(base_url, sent_at - CLOCK_SLACK)
    same = [Prediction.from_json(item) for item in listed if matches(item, target, wanted_hash)]
    if not same:
        return Reconciled(None)
    same.sort(key=lambda p: (parse_iso_time(p.created_at) or 0.0, p.id))
    kept, twins = same[0], same[1:]
    canceled = []
    for twin in twins:
        if not twin.done:
            with contextlib.suppress(APIError):  # a twin that ended meanwhile is reported all the same
                yield from cancel_flow(base_url, twin.id, twin.urls.get("cancel"))
        canceled.append(twin.id)
    return Reconciled(kept, canceled)
