"""Predictions by id, as flows: get one, list recent ones, follow one until it ends, convert its output;
and create-then-follow (``wait_flow``), which cancels by id when interrupted.

Reusable by anything that holds an id (rw.prediction, a batch picking its items up again): each takes the
API's base URL and nothing else of the client, except ``schema_flow`` which shares the client's records.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ..errors import APIError, InputError, PredictionTimeout
from ..kernel import SHUTDOWN_GRACE, current_kernel, shutting_down
from ..network.http import Call, Flow, Sleep, json_object, now, send
from ..outputs.file_output import Downloads, galleries, make_file_output
from ..refs import resolve_flow
from ..schema import ModelSchema
from .cancel import cancel_flow
from .events import report_changes
from .record import PredictionRecord

if TYPE_CHECKING:
    from ..refs import ModelRecords
    from .events import ProgressCallback

_HEX64 = frozenset("0123456789abcdef")
MAX_LIST = 1000  # predictions one listing fetches at most (10 pages of Replicate's 100)


def check_id(prediction_id: Any) -> str:
    if not isinstance(prediction_id, str) or not prediction_id.strip() or "/" in prediction_id:
        raise InputError(
            f"A prediction id is a string like 'ufawqhfynnddngldkgtslldrkq', not {prediction_id!r}; "
            "rw.predictions() lists recent ones."
        )
    return prediction_id.strip()


def get_prediction_flow(base_url: str, prediction_id: str, url: str | None = None) -> Flow:
    """The prediction as the API has it now (output raw, as the API sent it)."""
    url = url or f"{base_url}/v1/predictions/{quote(check_id(prediction_id), safe='')}"
    return PredictionRecord.from_json(json_object((yield from send(Call("GET", url)))))


def list_predictions_flow(base_url: str, *, limit: int = 20, since: Any = None, before: Any = None) -> Flow:
    """The newest ``limit`` predictions, newest first; ``since``/``before`` (a datetime, a timedelta back
    from now, or an ISO 8601 string) become the API's ``created_after``/``created_before`` filters."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise InputError(f"limit must be a whole number from 1 to {MAX_LIST}, not {limit!r}.")
    params = {
        key: iso
        for key, value in (("created_after", since), ("created_before", before))
        if (iso := _iso_time(key, value)) is not None
    }
    found: list[PredictionRecord] = []
    url: str | None = f"{base_url}/v1/predictions" + (f"?{urlencode(params)}" if params else "")
    while url and len(found) < limit:
        page = json_object((yield from send(Call("GET", url))))
        found.extend(
            PredictionRecord.from_json(item) for item in page.get("results") or [] if isinstance(item, dict)
        )
        url = page.get("next")
    return found[:limit]


def _iso_time(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = datetime.now(timezone.utc) - value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a naive time is the user's local time, as datetime.now() gives it
            value = value.astimezone()
        moment: datetime = value.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return str(value)
    arg = "since" if name == "created_after" else "before"
    raise InputError(
        f"{arg} must be a datetime, a timedelta (that long ago) or an ISO 8601 time, not {value!r}."
    )


def follow_flow(
    base_url: str,
    prediction: PredictionRecord,
    progress: ProgressCallback | None,
    timeout: float | None = None,
    started: float | None = None,
) -> Flow:
    """Poll ``prediction`` until it ends, reporting each change; the answer is the final record.

    ``timeout``: seconds from ``started`` (http.now(), default now) after which PredictionTimeout is
    raised; the prediction is left running. Polls start quick (a short model's end is seen within ~0.1 s),
    back off to every 0.5 s (as the official clients poll) and, after a minute, to every 2 s.
    """
    started = now() if started is None else started
    delay = 0.1
    while not prediction.done:
        elapsed = now() - started
        if timeout is not None:
            if elapsed >= timeout:
                raise PredictionTimeout(prediction, timeout)
            delay = min(delay, timeout - elapsed)
        yield Sleep(delay)
        delay = min(delay * 1.5, 0.5 if elapsed < 60 else 2.0)
        previous = prediction
        prediction = yield from get_prediction_flow(base_url, prediction.id, prediction.urls.get("get"))
        report_changes(progress, previous, prediction)
    return prediction


def schema_flow(base_url: str, records: ModelRecords, prediction: PredictionRecord) -> Flow:
    """The Output schema a prediction's model declares; an open one when it cannot be looked up."""
    ref = prediction.model
    if not ref:
        return ModelSchema(None)
    if prediction.version and set(prediction.version) <= _HEX64 and len(prediction.version) == 64:
        ref = f"{ref}:{prediction.version}"
    try:
        target = yield from resolve_flow(base_url, records, ref)
    except (APIError, InputError):  # a deleted or private model: convert by the fallback rule
        return ModelSchema(None)
    return target.schema


def convert_output(
    schema: ModelSchema, prediction: PredictionRecord, downloads: Downloads | None = None
) -> PredictionRecord:
    """``prediction`` with its output as rw.run gives it (FileOutput, galleries) once it succeeded; its files
    fetch through ``downloads`` (the client's)."""
    if prediction.status == "succeeded":
        prediction.output = galleries(
            schema.convert_output(prediction.output, lambda url: make_file_output(url, downloads))
        )
    return prediction


def wait_flow(
    base_url: str,
    create: Call,
    progress: ProgressCallback | None,
    until_done: bool = True,
    timeout: float | None = None,
) -> Flow:
    """Create, then poll with backoff until final (``timeout``: PredictionTimeout, the prediction runs on).

    Interrupted after the create went out, it waits for the create's answer (the drivers hold the interrupt
    back until it is in: a short hold makes that one round trip), cancels that prediction by its id, and
    re-raises. Only the id says which prediction is ours: another process may have sent the very same input.
    """
    prediction: PredictionRecord | None = None
    started = now()
    try:
        response = yield from send(create)
        prediction = PredictionRecord.from_json(json_object(response))
        report_changes(progress, None, prediction)
        if until_done:
            prediction = yield from follow_flow(base_url, prediction, progress, timeout, started)
        return prediction
    except (KeyboardInterrupt, asyncio.CancelledError):
        if prediction is not None and not prediction.done:
            kernel = current_kernel()
            if kernel is not None:  # a restart interrupts first, then asks for the shutdown: look for that
                yield Sleep(SHUTDOWN_GRACE)
                if shutting_down(kernel):
                    raise  # the prediction outlives the kernel; its id is in the cell's output
            # Re-raising the interrupt matters more than a failed cancel; the prediction ends on its own.
            with contextlib.suppress(APIError):
                canceled = yield from cancel_flow(base_url, prediction.id, prediction.urls.get("cancel"))
                report_changes(progress, prediction, canceled)
                # On stderr as the driver's "waiting up to N s to cancel" is: a terminal's user sees it too.
                print(f"Interrupted: canceled prediction {prediction.id}.", file=sys.stderr)
        raise
