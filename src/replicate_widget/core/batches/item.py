"""One item of a batch, as a flow: create (or reattach, or reconcile), wait until final, save its outputs.

The ledger is written at each step through ``Hooks`` (the flow itself does no I/O): ``sending`` before the
create goes, ``running`` as soon as its id is known, the final status once the outputs are saved. The create
holds for a second (``Prefer: wait=1``), so a short model's answer comes in that one request.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import APIError, AuthenticationError
from ..network.http import Call, Flow, Sleep, notify_retries, send
from ..network.retry import backoff
from ..predictions.cancel import cancel_flow
from ..predictions.flows import get_prediction_flow
from ..predictions.record import PredictionRecord
from ..refs import Target, resolve_flow
from ..run import create_call, prepare_flow
from .naming import decode, sent_hash
from .remote import reconcile_flow

if TYPE_CHECKING:
    from ..context import ApiContext
    from ..run import Uploaded
    from .ledger import Row

_CREATE_ATTEMPTS = 5  # creates that failed in a way that may have made a prediction: reconcile, then again
_UNSURE = (0, 500, 502, 503, 504)  # the create may have arrived: a dropped connection, a gateway error


@dataclass
class Hooks:
    """What the flow tells the batch (each a write to the ledger), and how it waits for its turn to create."""

    take_turn: Callable[[], bool]  # blocks until the pacer lets this create go; False: the batch stopped
    hold: Callable[[float], None]  # a 429: hold back every create this long
    sending: Callable[[float, str], None]  # (sent_at, sent_hash), on disk before the create is sent
    running: Callable[[str], None]  # the prediction id
    pending: Callable[[], None]  # reconciled to "no prediction": back to pending, create again
    twins: Callable[[list[str], str], None]  # duplicates canceled, the one kept


def item_flow(
    context: ApiContext, row: Row, hooks: Hooks, uploads: list[Uploaded], options: dict[str, Any]
) -> Flow:
    """The item's final PredictionRecord (output raw, as the API gave it) and the model's Target."""
    target: Target = yield from resolve_flow(context.base_url, context.records, row.model)
    prediction: PredictionRecord | None = None
    try:
        if row.status == "running" and row.prediction_id:
            prediction = yield from get_prediction_flow(context.base_url, row.prediction_id)
        elif row.status == "sending" and row.sent_at is not None and row.sent_hash:
            found = yield from reconcile_flow(context.base_url, target, row.sent_at, row.sent_hash)
            if found.canceled and found.adopted is not None:
                hooks.twins(found.canceled, found.adopted)
            if found.adopted is not None:
                hooks.running(found.adopted)
                prediction = yield from get_prediction_flow(context.base_url, found.adopted)
            else:
                hooks.pending()
        if prediction is None:
            prediction = yield from _create_flow(
                context, target, row, hooks, uploads=uploads, options=options
            )
        while not prediction.done:
            prediction = yield from _poll_flow(context.base_url, prediction)
        return prediction, target
    except KeyboardInterrupt:  # the batch was canceled: so is this item's prediction, when it has one
        if prediction is not None and not prediction.done:
            with contextlib.suppress(APIError):
                yield from cancel_flow(context.base_url, prediction.id, prediction.urls.get("cancel"))
        raise


def _create_flow(
    context: ApiContext,
    target: Target,
    row: Row,
    hooks: Hooks,
    *,
    uploads: list[Uploaded],
    options: dict[str, Any],
) -> Flow:
    _, body_input = yield from prepare_flow(
        context,
        row.model,
        decode(row.input),
        strategy=options.get("strategy", "auto"),
        progress=options.get("progress"),
        uploaded=uploads,
        storage=options.get("storage"),
        storage_expiry=options.get("storage_expiry", 3600),
        private_uploads=options.get("private_uploads"),
    )
    digest = sent_hash(body_input)
    for attempt in range(1, _CREATE_ATTEMPTS + 1):
        create = create_call(target, body_input, 1, options.get("cancel_after"), False)
        if not hooks.take_turn():
            raise KeyboardInterrupt
        sent_at = time.time()
        hooks.sending(sent_at, digest)
        try:
            response = yield from notify_retries(send(create), lambda wait: hooks.hold(wait.seconds))
        except APIError as exc:
            if (
                isinstance(exc, AuthenticationError)
                or exc.status not in _UNSURE
                or attempt == _CREATE_ATTEMPTS
            ):
                raise
            yield Sleep(backoff(attempt), f"create failed ({exc.status or 'connection'}); checking the list")
            found = yield from reconcile_flow(context.base_url, target, sent_at, digest)
            if found.adopted is None:
                continue
            if found.canceled:
                hooks.twins(found.canceled, found.adopted)
            hooks.running(found.adopted)
            adopted: PredictionRecord = yield from get_prediction_flow(context.base_url, found.adopted)
            return adopted
        prediction = PredictionRecord.from_json(response.json())
        hooks.running(prediction.id)
        return prediction
    raise AssertionError("unreachable")  # pragma: no cover


def _poll_flow(base_url: str, prediction: PredictionRecord) -> Flow:
    """Poll until final, backing off from 0.1 s to 2 s between looks."""
    delay = 0.1
    while not prediction.done:
        yield Sleep(delay)
        delay = min(delay * 1.5, 2.0)
        url = prediction.urls.get("get") or f"{base_url}/v1/predictions/{prediction.id}"
        prediction = PredictionRecord.from_json((yield from send(Call("GET", url))).json())
    return prediction
