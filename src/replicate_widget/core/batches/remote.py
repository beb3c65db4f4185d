"""The few prediction requests a batch needs besides create: get by id, list the newest, and reconcile.

A prediction by id is core's (predictions.get_prediction_flow). The list here is the batch's own: it keeps
each input only as a hash and says whether it read back far enough, which a resume needs and rw.predictions
does not.
Reconciling is how a resumed batch learns whether a create it sent before dying made a prediction: it lists
predictions created after ``sent_at`` minus 30 s (clocks differ) with the same model (or version) and the
very same input. One is adopted; none means the create never arrived, so it is sent again; several (a twin
from an earlier failure) means the oldest is kept and the rest canceled, and reported.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import APIError
from ..network.http import Call, Flow, json_object, parse_iso_time, send
from ..predictions.cancel import cancel_flow
from ..predictions.record import PredictionRecord
from ..refs import Target
from .naming import sent_hash

CLOCK_SLACK = 30.0  # seconds: predictions created this long before our sent_at still count
MAX_PAGES = 1000  # 100,000 predictions back: hours of creates at Replicate's 600 a minute


@dataclass(frozen=True)
class Listed:
    """A prediction of the list, kept small: its input only as a hash (an input may hold megabytes)."""

    id: str
    created: float
    input_hash: str
    model: str
    version: str
    done: bool
    cancel_url: str | None


@dataclass
class Listing:
    """Predictions created since a moment; ``complete`` is False when the list was too long to read back
    that far (then nothing can be concluded from an absence)."""

    items: list[Listed]
    complete: bool


def list_since_flow(base_url: str, since: float) -> Flow:
    """The predictions created at or after Unix time ``since``, newest first. ``created_after`` asks the
    server to filter; the filter is applied here too, for a server that does not."""
    after = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    url: str | None = f"{base_url}/v1/predictions?created_after={after}"
    found: list[Listed] = []
    for _ in range(MAX_PAGES):
        page = json_object((yield from send(Call("GET", url or "", timeout=30.0))))
        for item in page.get("results") or []:
            created = parse_iso_time(item.get("created_at"))
            if created is None or created < since:
                return Listing(found, True)  # newest first: the rest of the list is older still
            prediction = PredictionRecord.from_json({**item, "input": None, "output": None, "logs": None})
            found.append(
                Listed(
                    id=prediction.id,
                    created=created,
                    input_hash=sent_hash(item.get("input") or {}),
                    model=prediction.model,
                    version=prediction.version,
                    done=prediction.done,
                    cancel_url=prediction.urls.get("cancel"),
                )
            )
        url = page.get("next")
        if not url:
            return Listing(found, True)
    return Listing(found, False)


def matches(item: Listed, target: Target, wanted_hash: str) -> bool:
    if item.input_hash != wanted_hash:
        return False
    if target.version is not None:
        return item.version == target.version
    if "/models/" in target.create_url:
        return target.create_url.endswith(f"/models/{item.model}/predictions")
    return True  # a deployment: its predictions name the model behind it; the input decides


@dataclass
class Reconciled:
    """What the list said: the prediction to adopt (None: send the create again), and twins canceled."""

    adopted: str | None
    canceled: list[str] = field(default_factory=list)


def choose(
    listing: Listing, target: Target, sent_at: float, wanted_hash: str
) -> tuple[Listed | None, list[Listed]]:
    """The prediction to keep (the oldest match) and its twins, among those created since ``sent_at``
    minus the clock slack."""
    if not listing.complete:
        raise APIError(
            0,
            "Cannot tell whether a create arrived",
            "The list of predictions since the batch was interrupted is too long to read back. So as not to "
            "pay twice, this item is not created again: check it on the dashboard, then b.retry_failed().",
        )
    same = [
        i for i in listing.items if i.created >= sent_at - CLOCK_SLACK and matches(i, target, wanted_hash)
    ]
    if not same:
        return None, []
    same.sort(key=lambda i: (i.created, i.id))
    return same[0], same[1:]


def cancel_twins_flow(base_url: str, twins: list[Listed]) -> Flow:
    for twin in twins:
        if not twin.done:
            with contextlib.suppress(APIError):  # a twin that ended meanwhile is reported all the same
                yield from cancel_flow(base_url, twin.id, twin.cancel_url)
    return [t.id for t in twins]


def reconcile_flow(base_url: str, target: Target, sent_at: float, wanted_hash: str) -> Flow:
    listing = yield from list_since_flow(base_url, sent_at - CLOCK_SLACK)
    kept, twins = choose(listing, target, sent_at, wanted_hash)
    canceled = yield from cancel_twins_flow(base_url, twins)
    return Reconciled(kept.id if kept is not None else None, canceled)
