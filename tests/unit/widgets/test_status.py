"""The status presenter both widgets share: one run's events and ending, as the widget shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicate_widget.core.errors import InputError, ModelError, PredictionAborted, PredictionCanceled
from replicate_widget.core.predictions.events import RunEvent
from replicate_widget.core.predictions.record import PredictionRecord
from replicate_widget.widgets.file_input import FileInput
from replicate_widget.widgets.playground.widget import Playground
from replicate_widget.widgets.status import RunStatus, RunStatusTraits, StatusPresenter, ending_of

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"


def record(status: str = "processing", **more) -> PredictionRecord:
    return PredictionRecord(id="p1", status=status, **more)


def presenter(**options) -> tuple[StatusPresenter, list[RunStatus]]:
    shown: list[RunStatus] = []
    return StatusPresenter(shown.append, **options), shown


def test_a_run_from_upload_to_success():
    p, shown = presenter(subject="demo/x")
    p.start()
    assert shown[-1] == RunStatus("starting", "demo/x")
    p.event(RunEvent("upload", file="a.png", sent=40, total=100))
    assert shown[-1] == RunStatus("uploading", "demo/x: uploading a.png (40%)", 0.4)
    p.event(RunEvent("status", status="starting", prediction=record("starting")))
    assert shown[-1] == RunStatus("starting", "demo/x: prediction p1")  # the id finds the run again
    p.event(RunEvent("status", status="processing", prediction=record()))
    p.event(RunEvent("logs", status="processing", logs="step 1\n", prediction=record()))
    p.event(RunEvent("logs", status="processing", logs="step 2\n", prediction=record()))
    assert shown[-1].logs == "step 1\nstep 2"  # the whole log's tail, not the last chunk's
    p.event(RunEvent("progress", status="processing", fraction=0.25, prediction=record()))
    assert (shown[-1].status, shown[-1].progress) == ("processing", 0.25)
    p.event(RunEvent("output", status="processing", text="hel", prediction=record()))
    assert shown[-1] == shown[-2]  # streamed text is the widget's own business
    p.end("succeeded")
    assert shown[-1] == RunStatus("succeeded", "demo/x: done · prediction p1", 1.0, "step 1\nstep 2")
    assert not shown[-1].busy
    assert shown[-2].busy


def test_without_a_subject_the_message_is_the_detail_alone():
    p, shown = presenter()
    p.start()
    assert shown[-1] == RunStatus("starting", "")
    p.event(RunEvent("status", status="processing", prediction=record()))
    assert shown[-1].message == "prediction p1"


def test_a_status_change_forgets_the_last_fraction_and_a_retry_says_why_it_waits():
    p, shown = presenter()
    p.event(RunEvent("progress", status="processing", fraction=0.5, prediction=record()))
    p.event(RunEvent("retry", seconds=2, reason="connection refused"))
    assert shown[-1].message == "retrying in 2 s: connection refused"
    assert shown[-1].progress == 0.5
    p.event(RunEvent("status", status="succeeded", prediction=record("succeeded")))
    assert shown[-1].progress == -1.0


def test_the_log_tail_keeps_the_last_lines_only():
    p, shown = presenter(log_lines=2)
    p.event(RunEvent("logs", logs="a\nb\nc\n"))
    assert shown[-1].logs == "b\nc"


def test_cancel_holds_until_the_prediction_ends():
    p, shown = presenter()
    p.start()
    p.cancel_requested()
    assert shown[-1].status == "canceling"
    assert p.canceling
    p.event(RunEvent("status", status="processing", prediction=record()))  # it started before the cancel
    assert shown[-1].status == "canceling"
    p.event(RunEvent("status", status="canceled", prediction=record("canceled")))
    assert shown[-1].status == "canceled"
    p.cancel_requested()  # pressed again after the end: nothing to undo
    assert shown[-1].status == "canceled"


def test_streaming_text_means_processing_unless_canceling():
    p, shown = presenter()
    p.start()
    p.streaming()
    assert shown[-1].status == "processing"
    p.cancel_requested()
    p.streaming()
    assert shown[-1].status == "canceling"


def test_a_batch_counts_predictions_and_its_bar_follows():
    p, shown = presenter(subject="demo/x", batch_of=4)
    for n, status in enumerate(["starting", "succeeded", "processing", "failed"]):
        p.event(RunEvent("status", status=status, prediction=PredictionRecord(id=f"q{n}", status=status)))
    assert shown[-1] == RunStatus("processing", "demo/x: 2/4 done", 0.5)  # q1 and q3; q0, q2 still going
    p.event(RunEvent("logs", logs="one item's line\n", prediction=record()))
    assert shown[-1].logs == ""  # no single prediction's log stands in for the batch
    p.end_batch(["ok", ModelError(record("failed", error="bad input")), "ok", "ok"])
    failed = RunStatus("failed", "demo/x: 3/4 done, 1 failed", -1.0, "Prediction p1 failed: bad input")
    assert shown[-1] == failed  # the first failure's reason
    p.end_batch(["ok"])
    assert shown[-1] == RunStatus("succeeded", "demo/x: 1/1 done", 1.0)


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (PredictionCanceled(record("canceled")), "canceled", "Canceled."),
        (ModelError(record("failed", error="CUDA out of memory")), "failed", "CUDA out of memory"),
        (KeyboardInterrupt(), "canceled", "Interrupted: the prediction was canceled."),
        (InputError("prompt: required"), "failed", "prompt: required"),
        (RuntimeError("boom"), "failed", "RuntimeError: boom"),
    ],
)
def test_how_an_exception_ends_a_run(exc, status, message):
    assert ending_of(exc) == (status, message)
    p, shown = presenter(subject="demo/x")
    p.end_with(exc)
    assert (shown[-1].status, shown[-1].message) == (status, f"demo/x: {message}")


def test_an_aborted_run_and_a_failed_models_logs():
    assert ending_of(PredictionAborted(record("aborted")))[0] == "aborted"
    p, shown = presenter()
    p.end_with(ModelError(record("failed", error="bad\nworse", logs="loading\nTraceback: x\n")))
    assert shown[-1] == RunStatus("failed", "bad\nworse", -1.0, "loading\nTraceback: x")
    p.end("failed", "x" * 5000)
    assert len(shown[-1].message) == 1000
    assert shown[-1].message.endswith("…")


def test_both_widgets_sync_the_same_status_traits():
    """One trait shape: the front end's presenter (js/ui/status.js) reads the same four names in either."""
    doc = json.loads((SCHEMAS / "stability-ai__sdxl.json").read_text())["openapi_schema"]
    pg = Playground._from_schema(doc, model="stability-ai/sdxl")
    w = FileInput(upload="on-run")
    try:
        for widget in (pg, w):
            assert isinstance(widget, RunStatusTraits)
            synced = set(widget.keys)
            assert {"status", "message", "progress", "logs"} <= synced
            assert (widget.status, widget.message, widget.progress, widget.logs) == ("idle", "", -1.0, "")
        w._show_status(RunStatus("processing", "p1", 0.5, "log"))
        assert (w.status, w.message, w.progress, w.logs) == ("processing", "p1", 0.5, "log")
        assert pg.status == "idle"
    finally:
        pg.close()
        w.close()
