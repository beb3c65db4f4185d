"""Running a model: resolve the reference, prepare inputs, create, wait (cancel on Ctrl-C), convert."""

from __future__ import annotations

import contextlib
import math
import secrets
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import (
    APIError,
    InputError,
    ModelError,
    PredictionAborted,
    PredictionCanceled,
    PredictionTimeout,
    StorageError,
)
from .inputs.files_api import forget_flow
from .inputs.local_file import collecting_spools
from .inputs.normalize import Strategy, data_uri, local_files, normalize_input, plan, substitute
from .network.http import Call, Flow, StoreDelete, StoreUpload, Upload
from .options import choose_storage
from .outputs.file_output import galleries
from .predictions.events import ProgressCallback, RunEvent, with_retry_events
from .predictions.flows import wait_flow
from .predictions.record import PredictionRecord
from .refs import Target, resolve_flow
from .storage.location import DEFAULT_EXPIRY, check_expiry

if TYPE_CHECKING:
    from .context import ApiContext
    from .inputs.local_file import LocalFile


Uploaded: TypeAlias = (
    "LocalFile | StoreDelete"  # what delete_uploads undoes: a Files API upload, or a bucket object
)


def prepare_flow(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None,
    *,
    strategy: Strategy,
    progress: ProgressCallback | None,
    uploaded: list[Uploaded],
    storage: Any = None,
    storage_expiry: int = DEFAULT_EXPIRY,
    private_uploads: str | None = None,
) -> Flow:
    """Check everything checkable before any request, resolve the model, then upload and encode files.

    ``uploaded`` receives what this call put anywhere (Files API uploads, bucket objects), for delete_uploads.
    Bytes and streams in the input are copied to temporary files to travel like any file; those copies are
    deleted when this ends, however it ends (done, refused, failed, interrupted): once uploaded or encoded
    they are needed no more.
    """
    spooled: list[LocalFile] = []
    try:
        return (
            yield from _prepare(
                context,
                model,
                input,
                strategy=strategy,
                progress=progress,
                uploaded=uploaded,
                storage=storage,
                storage_expiry=storage_expiry,
                spooled=spooled,
                private_uploads=private_uploads,
            )
        )
    finally:
        for f in spooled:
            f.release()


def _prepare(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None,
    *,
    strategy: Strategy,
    progress: ProgressCallback | None,
    uploaded: list[Uploaded],
    storage: Any,
    storage_expiry: int,
    spooled: list[LocalFile],
    private_uploads: str | None = None,
) -> Flow:
    if input is not None and not isinstance(input, dict):
        raise InputError(
            "input must be a dict of input names to values, e.g. {'prompt': ...}, "
            f"not {type(input).__name__}."
        )
    # Cog refuses an explicit null even for optional fields ("may be null" means "may be omitted").
    with collecting_spools(spooled):
        values = normalize_input({k: v for k, v in (input or {}).items() if v is not None})
    # ``storage`` is already the call's, else the handle's, else the widget's (options.merge)
    location = choose_storage(call=storage, client=context.storage)
    expiry = check_expiry(storage_expiry)
    plan(local_files(values), strategy, location is not None)  # refuses too-large files before the lookup
    # resolve_flow parses the reference before any request (a known one is not parsed again)
    target: Target = yield from resolve_flow(context.base_url, context.records, model)
    values = normalize_input(values, target.schema)
    files = local_files(values)
    # Without files (most runs) there is nothing to stand in for, to plan (checked above) or to send.
    problems = target.schema.validate(substitute(values, lambda f: f"file:{f.name}") if files else values)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) with the input of {model}:\n- " + "\n- ".join(problems), problems
        )
    if not files:
        return target, values
    forms = plan(files, strategy, location is not None)
    urls: dict[LocalFile, str] = {}
    for f in files:

        def report(sent: int, total: int, name: str = f.name) -> None:
            if progress:
                progress(RunEvent("upload", file=name, sent=sent, total=total))

        if forms[f] == "upload":
            urls[f] = yield Upload(f, context.uploads, context.base_url, report)
            uploaded.append(f)
        elif forms[f] == "storage" and location is not None:
            # To be deleted when the call ends: under a key of this call's own, never a shared object.
            key = location.key_for(f, private_uploads) if private_uploads else None
            urls[f] = yield StoreUpload(f, location, expiry, context.stores, report, key)
            uploaded.append(StoreDelete(f, location, context.stores, key))
        else:
            urls[f] = data_uri(f)
    return target, substitute(values, urls.__getitem__)


# How long a default create (wait=True) asks the API to hold it: a model done within it answers in one round
# trip, as with a full `Prefer: wait`; a longer one is followed by polling, so progress shows from the first
# second, and an interrupted create answers (with the id to cancel) within it.
DEFAULT_HOLD = 1


def create_call(
    target: Target,
    body_input: dict[str, Any],
    wait: bool | int,
    cancel_after: Any,
    stream: bool,
    *,
    timeout: float | None = None,
) -> Call:
    body: dict[str, Any] = {"input": body_input}
    if target.version is not None:
        body["version"] = target.version
    if stream:
        body["stream"] = True
    headers: dict[str, str] = {}
    request_timeout = 30.0
    answer_within = None
    if wait is not False and not stream:
        seconds = DEFAULT_HOLD if wait is True else max(1, min(60, int(wait)))
        if timeout is not None:  # the hold must not outlast the caller's patience
            seconds = max(1, min(seconds, math.ceil(timeout)))
        headers["prefer"] = f"wait={seconds}"
        request_timeout = seconds + 15.0
        answer_within = float(seconds)
    if cancel_after is not None:
        headers["cancel-after"] = (
            f"{cancel_after}s" if isinstance(cancel_after, (int, float)) else str(cancel_after)
        )
    # Retried only on 429: after any other failure the prediction may exist, and a repeat would run it twice.
    return Call(
        "POST",
        target.create_url,
        json=body,
        headers=headers,
        retry="create",
        timeout=request_timeout,
        interrupt_safe=True,
        answer_within=answer_within,
    )


def check_wait(wait: Any) -> None:
    # Numbers outside 1-60 are clamped by create_call, as Prefer: wait=N is on the API.
    if isinstance(wait, bool) or (isinstance(wait, (int, float)) and wait == wait):  # noqa: PLR0124 - NaN
        return
    raise InputError(f"wait must be True, False or seconds (1-60), not {wait!r}.")


def check_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and 0 < timeout < math.inf:
        return float(timeout)
    raise InputError(
        f"timeout must be None (wait as long as the prediction runs) or seconds above 0, not {timeout!r}."
    )


def predict_flow(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Flow:
    """Create and wait until the prediction is final; the answer is the PredictionRecord, output converted."""
    return with_retry_events(_predict_flow(context, model, input, progress=progress, **options), progress)


def _predict_flow(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    strategy: Strategy = "auto",
    wait: bool | int = True,
    cancel_after: Any = None,
    progress: ProgressCallback | None = None,
    delete_uploads: bool = False,
    storage: Any = None,
    storage_expiry: int = DEFAULT_EXPIRY,
    uploads_log: list[Uploaded] | None = None,
    private_uploads: str | None = None,
    timeout: float | None = None,
    to_the_end: bool = False,
) -> Flow:
    check_wait(wait)
    timeout = check_timeout(timeout)
    uploaded: list[Uploaded] = uploads_log if uploads_log is not None else []
    try:
        target, body_input = yield from prepare_flow(
            context,
            model,
            input,
            strategy=strategy,
            progress=progress,
            uploaded=uploaded,
            storage=storage,
            storage_expiry=storage_expiry,
            private_uploads=private_uploads or call_token(delete_uploads),
        )
        create = create_call(target, body_input, wait, cancel_after, False, timeout=timeout)
        until_done = to_the_end or wait is not False  # predict(wait=False) returns what the create says
        prediction = yield from wait_flow(context.base_url, create, progress, until_done, timeout)
    except (GeneratorExit, PredictionTimeout):
        raise  # closed from outside: no more requests; or timed out: the prediction still needs its files
    except BaseException:
        if delete_uploads:
            yield from delete_uploads_flow(context, uploaded)
        raise
    if delete_uploads:
        yield from delete_uploads_flow(context, uploaded)
    if prediction.status == "succeeded":
        prediction.output = galleries(target.schema.convert_output(prediction.output, context.file_output))
    return prediction


def call_token(delete_uploads: bool) -> str | None:
    """With delete_uploads, the random part of the keys a call's bucket objects get (its own, to delete)."""
    return secrets.token_hex(8) if delete_uploads else None


def delete_uploads_flow(context: ApiContext, files: list[Uploaded]) -> Flow:
    """Delete the remote copies of ``files`` made by this client (Files API uploads, bucket objects);
    failures are ignored."""
    for f in files:
        # The run's own outcome matters more; Replicate deletes uploads after 24 h anyway.
        with contextlib.suppress(APIError, StorageError):
            if isinstance(f, StoreDelete):
                yield f
            else:
                yield from forget_flow(context.uploads, context.base_url, f)


def run_flow(context: ApiContext, model: str, input: dict[str, Any] | None = None, **options: Any) -> Flow:
    # wait=False only skips the create's hold here: a run's answer is its output.
    prediction = yield from predict_flow(context, model, input, to_the_end=True, **options)
    raise_for_prediction(prediction)
    return prediction.output


def raise_for_prediction(prediction: PredictionRecord) -> None:
    if prediction.status == "failed":
        raise ModelError(prediction)
    if prediction.status == "canceled":
        raise PredictionCanceled(prediction)
    if prediction.status == "aborted":
        raise PredictionAborted(prediction)
