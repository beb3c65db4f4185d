"""Running a model: resolve the reference, prepare inputs, create, wait (cancel on Ctrl-C), convert."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .cancel import cancel_flow, cancel_matching_flow
from .errors import APIError, InputError, ModelError, PredictionAborted, PredictionCanceled, StorageError
from .files import collecting_spools
from .http import Call, Flow, Sleep, StoreDelete, StoreUpload, Upload, notify_retries, send
from .inputs import Strategy, data_uri, local_files, normalize_input, plan, substitute
from .outputs import galleries, make_file_output
from .prediction import Prediction
from .refs import ModelRef, Target, resolve_flow
from .storage import DEFAULT_EXPIRY, check_expiry, resolve_storage

if TYPE_CHECKING:
    from .context import ApiContext
    from .files import LocalFile


@dataclass(frozen=True)
class RunEvent:
    """What a progress callback receives: an upload's bytes, a status change, new logs, model progress, or a
    retry about to wait ``seconds`` because of ``reason`` (its ``message`` says so in words)."""

    kind: Literal["upload", "status", "logs", "progress", "retry"]
    file: str | None = None
    sent: int = 0
    total: int = 0
    status: str | None = None
    fraction: float | None = None
    logs: str = ""
    prediction: Prediction | None = None
    seconds: float = 0.0
    reason: str = ""

    @property
    def message(self) -> str:
        """One line for a person: "retrying in 2 s: connection refused", "uploading a.png: 40 %", ..."""
        if self.kind == "retry":
            return f"retrying in {self.seconds:.2g} s: {self.reason}"
        if self.kind == "upload":
            share = f"{100 * self.sent // self.total} %" if self.total else f"{self.sent:,} bytes"
            return f"uploading {self.file}: {share}"
        if self.kind == "progress" and self.fraction is not None:
            return f"{self.status}: {100 * self.fraction:.0f} %"
        if self.kind == "logs":
            return self.logs.rstrip().rsplit("\n", 1)[-1]
        return str(self.status or "")


def with_retry_events(flow: Flow, progress: ProgressCallback | None) -> Flow:
    """``flow``, telling ``progress`` of each retry before its wait starts."""
    if progress is None:
        return flow

    def notify(wait: Sleep) -> None:
        progress(RunEvent("retry", seconds=wait.seconds, reason=wait.reason or ""))

    return notify_retries(flow, notify)


ProgressCallback = Callable[[RunEvent], None]
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
    location = resolve_storage(storage, context.storage)  # the call's, the client's, else the variable
    expiry = check_expiry(storage_expiry)
    plan(local_files(values), strategy, location is not None)  # refuses too-large files before the lookup
    ModelRef.parse(model)
    target: Target = yield from resolve_flow(context.base_url, context.records, model)
    values = normalize_input(values, target.schema)
    files = local_files(values)
    problems = target.schema.validate(substitute(values, lambda f: f"file:{f.name}"))
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) with the input of {model}:\n- " + "\n- ".join(problems), problems
        )
    forms = plan(files, strategy, location is not None)
    urls: dict[LocalFile, str] = {}
    for f in files:

        def report(sent: int, total: int, name: str = f.name) -> None:
            if progress:
                progress(RunEvent("upload", file=name, sent=sent, total=total))

        if forms[f] == "upload":
            urls[f] = yield Upload(f, report)
            uploaded.append(f)
        elif forms[f] == "storage" and location is not None:
            # To be deleted when the call ends: under a key of this call's own, never a shared object.
            key = location.key_for(f, private_uploads) if private_uploads else None
            urls[f] = yield StoreUpload(f, location, expiry, context.stores, report, key)
            uploaded.append(StoreDelete(f, location, context.stores, key))
        else:
            urls[f] = data_uri(f)
    return target, substitute(values, urls.__getitem__)


def create_call(
    target: Target, body_input: dict[str, Any], wait: bool | int, cancel_after: Any, stream: bool
) -> Call:
    body: dict[str, Any] = {"input": body_input}
    if target.version is not None:
        body["version"] = target.version
    if stream:
        body["stream"] = True
    headers: dict[str, str] = {}
    timeout = 30.0
    answer_within = None
    if wait is not False and not stream:
        seconds = 60 if wait is True else max(1, min(60, int(wait)))
        headers["prefer"] = "wait" if wait is True else f"wait={seconds}"
        timeout = seconds + 15.0
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
        timeout=timeout,
        interrupt_safe=True,
        answer_within=answer_within,
    )


def check_wait(wait: Any) -> None:
    # Numbers outside 1-60 are clamped by create_call, as Prefer: wait=N is on the API.
    if isinstance(wait, bool) or (isinstance(wait, (int, float)) and wait == wait):  # noqa: PLR0124 - NaN
        return
    raise InputError(f"wait must be True, False or seconds (1-60), not {wait!r}.")


def predict_flow(
    context: ApiContext,
    model: str,
    input: dict[str, Any] | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Flow:
    """Create and wait until the prediction is final; the answer is the Prediction, output converted."""
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
) -> Flow:
    check_wait(wait)
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
        prediction = yield from wait_flow(
            context.base_url, create_call(target, body_input, wait, cancel_after, False), progress
        )
    except GeneratorExit:
        raise  # closed from outside: no more requests
    except BaseException:
        if delete_uploads:
            yield from delete_uploads_flow(context, uploaded)
        raise
    if delete_uploads:
        yield from delete_uploads_flow(context, uploaded)
    if prediction.status == "succeeded":
        prediction.output = galleries(target.schema.convert_output(prediction.output, make_file_output))
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
                yield from context.uploads.forget_flow(context.base_url, f)


def run_flow(context: ApiContext, model: str, input: dict[str, Any] | None = None, **options: Any) -> Flow:
    prediction = yield from predict_flow(context, model, input, **options)
    raise_for_prediction(prediction)
    return prediction.output


def raise_for_prediction(prediction: Prediction) -> None:
    if prediction.status == "failed":
        raise ModelError(prediction)
    if prediction.status == "canceled":
        raise PredictionCanceled(prediction)
    if prediction.status == "aborted":
        raise PredictionAborted(prediction)


def wait_flow(
    base_url: str, create: Call, progress: ProgressCallback | None, until_done: bool = True
) -> Flow:
    """Create, then poll with backoff until final. Interrupted after the create went out: cancel, re-raise."""
    prediction: Prediction | None = None
    sent_at = time.time()
    create.on_interrupt = functools.partial(cancel_matching_flow, base_url, create, sent_at)
    try:
        response = yield from send(create)
        prediction = Prediction.from_json(response.json())
        _report(progress, None, prediction)
        delay = 0.1
        while until_done and not prediction.done:
            yield Sleep(delay)
            delay = min(delay * 1.5, 2.0)
            url = prediction.urls.get("get") or f"{base_url}/v1/predictions/{prediction.id}"
            previous = prediction
            prediction = Prediction.from_json((yield from send(Call("GET", url))).json())
            _report(progress, previous, prediction)
        return prediction
    except (KeyboardInterrupt, asyncio.CancelledError):
        if prediction is not None and not prediction.done:
            # Re-raising the interrupt matters more than a failed cancel; the prediction ends on its own.
            with contextlib.suppress(APIError):
                yield from cancel_flow(base_url, prediction.id, prediction.urls.get("cancel"))
        raise


def _report(progress: ProgressCallback | None, before: Prediction | None, now: Prediction) -> None:
    if progress is None:
        return
    if before is None or before.status != now.status:
        progress(RunEvent("status", status=now.status, prediction=now))
    old_logs = before.logs if before else ""
    if now.logs != old_logs:
        new = now.logs[len(old_logs) :] if now.logs.startswith(old_logs) else now.logs
        progress(RunEvent("logs", status=now.status, logs=new, prediction=now))
        step = now.progress
        if step is not None and (before is None or before.progress != step):
            progress(
                RunEvent(
                    "progress",
                    status=now.status,
                    fraction=step.fraction,
                    sent=step.current,
                    total=step.total,
                    prediction=now,
                )
            )
