"""A Playground run on its worker thread: predict or stream, cancel on request, record how it ended.

The runner knows the widget only through ``RunDisplay``, the few things a run may show; it never touches the
widget's traits or private state, so it can be driven (and tested) without a widget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ...core.errors import InputError, PredictionCanceled, ReplicateWidgetError
from ...core.predictions.record import PredictionRecord
from ..status import ending_of
from .history import PlaygroundRun

if TYPE_CHECKING:
    from ...core.client import Client
    from ...core.predictions.events import RunEvent

_STREAM_REFRESH = 0.05  # seconds between displays while text streams in (each update resends it all)


class RunDisplay(Protocol):
    """What a run may change in the widget: what the user sees of it."""

    def show_event(self, run: PlaygroundRun, event: RunEvent, canceling: bool) -> None: ...
    def show_text(self, run: PlaygroundRun, text: str) -> None: ...
    def show_problems(self, problems: list[str]) -> None: ...
    def show_end(self, run: PlaygroundRun) -> None: ...
    def show_message(self, message: str) -> None: ...


class Runner:
    """One run at a time on a worker thread; Cancel reaches the remote prediction once its id is known."""

    def __init__(
        self, client: Client, streaming: bool, display: RunDisplay, storage: Callable[[], str | None]
    ) -> None:
        self._client = client
        self._storage = storage  # the Playground's storage= for files over 100 MiB
        self._streaming = streaming
        self._display = display
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._prediction_id = ""

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def prediction_id(self) -> str:
        return self._prediction_id

    def start(self, run: PlaygroundRun, values: dict[str, Any]) -> None:
        self._cancel.clear()
        self._prediction_id = ""
        self._thread = threading.Thread(
            target=self._work, args=(run, values), daemon=True, name="playground-run"
        )
        self._thread.start()

    def cancel(self) -> bool:
        """Ask the run in progress to stop; returns whether there was one."""
        if not self.busy:
            return False
        self._cancel.set()
        if self._prediction_id:
            threading.Thread(target=self._send_cancel, args=(self._prediction_id,), daemon=True).start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def stop(self) -> None:
        self._cancel.set()

    def _send_cancel(self, prediction_id: str) -> None:
        # Asked again while the run goes on: a cancel that reaches a prediction still queued ("starting") can
        # be overtaken by its start, and cancelling twice is harmless.
        thread = self._thread
        for _attempt in range(5):
            try:
                self._client.cancel(prediction_id)
            except ReplicateWidgetError as exc:
                self._display.show_message(f"Cancel failed: {exc}")
                return
            if thread is None:
                return
            thread.join(3.0)
            if not thread.is_alive() or self._prediction_id != prediction_id:
                return

    def _on_event(self, run: PlaygroundRun, event: RunEvent) -> None:
        prediction = event.prediction
        if prediction is not None and not self._prediction_id:
            self._prediction_id = run.prediction_id = prediction.id
            if self._cancel.is_set():  # Cancel was pressed before the prediction existed
                threading.Thread(target=self._send_cancel, args=(prediction.id,), daemon=True).start()
        if event.kind == "status" and event.status:
            run.status = event.status
        elif event.kind == "logs":
            run.logs += event.logs
        self._display.show_event(run, event, self._cancel.is_set())

    def _options(self) -> dict[str, Any]:
        storage = self._storage()
        return {"storage": storage} if storage is not None else {}

    def _work(self, run: PlaygroundRun, values: dict[str, Any]) -> None:
        started = time.monotonic()
        self._execute(run, values)
        run.seconds = round(time.monotonic() - started, 2)
        self._display.show_end(run)

    def _execute(self, run: PlaygroundRun, values: dict[str, Any]) -> None:
        """Run once, filling ``run`` (status, output, error). Never raises: the widget shows what happened."""
        try:
            if self._streaming:
                run.output = self._stream(run, values)
            else:
                # wait=False: the id at once, for Cancel; then followed here, reporting as it goes
                prediction = self._client.predict(
                    run.model,
                    values,
                    wait=False,
                    progress=lambda e: self._on_event(run, e),
                    **self._options(),
                ).wait(progress=lambda e: self._on_event(run, e))
                run.prediction_id = prediction.id
                run.logs = prediction.logs or run.logs
                if prediction.status != "succeeded":
                    run.status = prediction.status
                    run.error = _ending(prediction.status, prediction.error)
                    return
                run.output = prediction.output
            run.status = "succeeded"
        except InputError as exc:
            run.status, run.error = ending_of(exc)
            self._display.show_problems(exc.problems)
        except Exception as exc:  # a bug or a network failure must still end the run visibly
            run.status, run.error = ending_of(exc)

    def _stream(self, run: PlaygroundRun, values: dict[str, Any]) -> str:
        """Show text as it arrives; stop (which cancels the prediction) when Cancel is pressed."""
        text: list[str] = []
        last = 0.0
        chunks = self._client.stream(
            run.model, values, progress=lambda e: self._on_event(run, e), **self._options()
        )
        try:
            for chunk in chunks:
                text.append(str(chunk))
                run.status = "processing"
                now = time.monotonic()
                if now - last >= _STREAM_REFRESH:
                    self._display.show_text(run, "".join(text))
                    last = now
                if self._cancel.is_set():
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # leaving the stream early cancels the remote prediction
        self._display.show_text(run, "".join(text))
        if self._cancel.is_set():
            # A whole PredictionCanceled, as everywhere: its .prediction says which one ended so.
            ended = PredictionRecord(id=run.prediction_id, status="canceled", model=run.model, logs=run.logs)
            raise PredictionCanceled(ended)
        return "".join(text)


def _ending(status: str, error: str | None) -> str:
    if status == "canceled":
        return "Canceled."
    if status == "aborted":
        return "Aborted: the prediction's deadline passed before it started."
    return error or f"The prediction ended with status {status}."
