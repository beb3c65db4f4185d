"""The body of a Playground run, on its worker thread: predict or stream, then record how it ended."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ...core.errors import InputError, ModelError, PredictionAborted, PredictionCanceled, ReplicateWidgetError
from .form import problems_by_field

if TYPE_CHECKING:
    from ...core.run import RunEvent
    from .history import PlaygroundRun
    from .widget import Playground

_STREAM_REFRESH = 0.05  # seconds between trait updates while text streams in (each update resends it all)


def execute(pg: Playground, run: PlaygroundRun, values: dict[str, Any]) -> None:
    """Run once, filling ``run`` (status, output, error). Never raises: the widget shows what happened."""

    def progress(event: RunEvent) -> None:
        pg._on_event(run, event)

    client = pg._client
    try:
        if pg._schema.is_streaming:
            run.output = _stream(pg, run, values, progress)
        else:
            options: dict[str, Any] = {"storage": pg.storage} if pg.storage is not None else {}
            prediction = client.predict(run.model, values, wait=False, progress=progress, **options)
            run.prediction_id = prediction.id
            run.logs = prediction.logs or run.logs
            if prediction.status != "succeeded":
                run.status = prediction.status
                run.error = _ending(prediction.status, prediction.error)
                return
            run.output = prediction.output
        run.status = "succeeded"
    except PredictionCanceled:
        run.status, run.error = "canceled", "Canceled."
    except PredictionAborted as exc:
        run.status, run.error = "aborted", str(exc)
    except ModelError as exc:
        run.status = "failed"
        run.error = str(exc.prediction.error or exc)
    except InputError as exc:
        run.status, run.error = "failed", str(exc)
        by_field, _ = problems_by_field(exc.problems, [s["name"] for s in pg.form])
        pg.field_errors = by_field
    except ReplicateWidgetError as exc:
        run.status, run.error = "failed", str(exc)
    except Exception as exc:  # a bug or a network failure must still end the run visibly
        run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"


def _stream(pg: Playground, run: PlaygroundRun, values: dict[str, Any], progress: Any) -> str:
    """Show text as it arrives; stop (which cancels the prediction) when Cancel is pressed."""
    text: list[str] = []
    last = 0.0
    options: dict[str, Any] = {"storage": pg.storage} if pg.storage is not None else {}
    chunks = pg._client.stream(pg.model, values, progress=progress, **options)
    try:
        for chunk in chunks:
            text.append(str(chunk))
            if pg.status not in ("processing", "canceling"):
                run.status = "processing"
                with pg.hold_sync():
                    pg.status = "processing"
                    pg.runs = [r.public() for r in pg._history]
            now = time.monotonic()
            if now - last >= _STREAM_REFRESH:
                pg.stream_text = "".join(text)
                last = now
            if pg._cancel.is_set():
                break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # leaving the stream early cancels the remote prediction
    pg.stream_text = "".join(text)
    if pg._cancel.is_set():
        raise _Canceled
    return "".join(text)


class _Canceled(PredictionCanceled):
    def __init__(self) -> None:
        ReplicateWidgetError.__init__(self, "Canceled.")


def _ending(status: str, error: str | None) -> str:
    if status == "canceled":
        return "Canceled."
    if status == "aborted":
        return "Aborted: the prediction's deadline passed before it started."
    return error or f"The prediction ended with status {status}."
