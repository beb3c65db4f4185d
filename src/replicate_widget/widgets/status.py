"""What a run looks like in a widget: the status presenter FileInput and the Playground share.

A run's events (uploads, status changes, logs, model progress, retries) and its ending (an output, an
exception, a cancel) become one ``RunStatus``: a status word, a line of text, a progress fraction and a log
tail. Both widgets sync it through the same four traits (``RunStatusTraits``) and draw it with the same front
end module (js/ui/status.js), so the same run shows the same way in either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import traitlets

from ..core.errors import ModelError, PredictionAborted, PredictionCanceled, ReplicateWidgetError
from ..core.limits import FINAL_STATUSES
from .display import LOG_LINES, log_tail

if TYPE_CHECKING:
    from ..core.predictions.events import RunEvent

BUSY = frozenset({"uploading", "starting", "processing", "canceling"})
"""The statuses of a run still going: Run is disabled and Cancel enabled while the widget shows one."""

_MESSAGE_CHARS = 1000


@dataclass(frozen=True)
class RunStatus:
    """What the widget shows of a run. ``status``: "idle", "invalid", "uploading", "starting", "processing",
    "canceling", "succeeded", "failed", "canceled" or "aborted"; ``progress``: a fraction, or -1 when none is
    known (the bar then moves without one)."""

    status: str = "idle"
    message: str = ""
    progress: float = -1.0
    logs: str = ""

    @property
    def busy(self) -> bool:
        return self.status in BUSY


class RunStatusTraits(traitlets.HasTraits):
    """The synced traits a widget shows a run with, the same in FileInput and the Playground."""

    status = traitlets.Unicode("idle").tag(sync=True)
    """The last run's status: "idle" before any, then Replicate's words ("starting", "processing",
    "succeeded", "failed", "canceled"...), "uploading", "canceling", or "invalid" (a form not sent)."""
    message = traitlets.Unicode("").tag(sync=True)
    """One line about the run: the prediction's id, the upload under way, its error."""
    progress = traitlets.Float(-1.0).tag(sync=True)
    """The run's progress as a fraction (uploads, the model's own progress bar, a batch), -1 if unknown."""
    logs = traitlets.Unicode("").tag(sync=True)
    """The last lines of the prediction's log."""

    def _show_status(self, shown: RunStatus) -> None:
        hold = getattr(self, "hold_sync", self.hold_trait_notifications)  # a widget sends the four at once
        with hold():
            self.status, self.message = shown.status, shown.message
            self.progress, self.logs = shown.progress, shown.logs


class StatusPresenter:
    """Turns one run's events into what the widget shows, handing each new ``RunStatus`` to ``show``.

    ``subject`` leads the message (FileInput names the model it runs; the Playground shows it in its head
    already); ``batch_of`` sums up a batch ("3/5 done") instead of showing whichever prediction spoke last.
    """

    def __init__(
        self,
        show: Callable[[RunStatus], None],
        *,
        subject: str = "",
        batch_of: int | None = None,
        log_lines: int = LOG_LINES,
    ) -> None:
        self._show = show
        self._subject = subject
        self._batch_of = batch_of
        self._log_lines = log_lines
        self._logs = ""
        self._prediction_id = ""
        self._finished: set[str] = set()
        self._canceling = False
        self.current = RunStatus()

    # ---- the run's life ------------------------------------------------------------------------------------
    def start(self) -> RunStatus:
        return self._set(RunStatus("starting", self._say("")))

    def event(self, event: RunEvent) -> RunStatus:
        """Show what ``event`` changes; events that change nothing shown (streamed output) leave it be."""
        if event.prediction is not None and not self._prediction_id and self._batch_of is None:
            self._prediction_id = event.prediction.id
        if event.logs:
            self._logs += event.logs
        now = self.current
        logs = log_tail(self._logs, self._log_lines) if self._batch_of is None else ""
        if event.kind == "upload":
            share = f" ({int(100 * event.sent / event.total)}%)" if event.total else ""
            fraction = event.sent / event.total if event.total else -1.0
            now = RunStatus("uploading", self._say(f"uploading {event.file or 'a file'}{share}"), fraction)
        elif event.kind == "retry":
            now = replace(now, message=self._say(event.message))
        elif event.kind == "status" and event.status and self._batch_of is not None:
            if event.prediction is not None and event.status in FINAL_STATUSES:
                self._finished.add(event.prediction.id)
            done = len(self._finished)
            now = RunStatus(
                "processing", self._say(f"{done}/{self._batch_of} done"), done / max(self._batch_of, 1)
            )
        elif event.kind == "status" and event.status:
            status = event.status
            if self._canceling and status not in FINAL_STATUSES:
                status = "canceling"  # a cancel asked for: the prediction's own "processing" doesn't undo it
            now = RunStatus(status, self._say(self._id()))
        elif event.kind == "progress" and event.fraction is not None and self._batch_of is None:
            now = replace(now, progress=event.fraction)
        return self._set(replace(now, logs=logs))

    def streaming(self) -> RunStatus:
        """Text is arriving from a streaming model: the run is processing (unless a cancel is on its way)."""
        if self.current.status in ("processing", "canceling"):
            return self.current
        return self._set(replace(self.current, status="processing", message=self._say(self._id())))

    @property
    def canceling(self) -> bool:
        return self._canceling

    def cancel_requested(self) -> RunStatus:
        """Cancel was pressed: "canceling" until the prediction says it ended (a run over stays so)."""
        self._canceling = True
        if self.current.status in FINAL_STATUSES:
            return self.current
        return self._set(replace(self.current, status="canceling"))

    def note(self, message: str) -> RunStatus:
        """A line about the run that is not an event of it ("Cancel failed: ...")."""
        return self._set(replace(self.current, message=message))

    # ---- how it ended --------------------------------------------------------------------------------------
    def end(self, status: str, error: str = "", *, logs: str | None = None) -> RunStatus:
        """The run ended with ``status`` ("succeeded", "failed", "canceled", "aborted") and, unless it
        succeeded, ``error`` saying why; ``logs``: the prediction's whole log, when known."""
        if logs:
            self._logs = logs
        tail = log_tail(self._logs, self._log_lines) if self._batch_of is None else ""
        if status == "succeeded":
            said = self._say(" · ".join(p for p in ("done", self._id()) if p))
            return self._set(RunStatus("succeeded", said, 1.0, tail))
        return self._set(RunStatus(status, self._say(_shorten(error) or status), -1.0, tail))

    def end_with(self, exc: BaseException) -> RunStatus:
        """The run raised ``exc``: its status and reason, as the widget shows them."""
        status, error = ending_of(exc)
        logs = exc.prediction.logs if isinstance(exc, ModelError) else None
        return self.end(status, error, logs=logs)

    def end_batch(self, outputs: list[Any]) -> RunStatus:
        """A batch ended: how many succeeded, and the first failure's reason (not any item's log line)."""
        failed = [o for o in outputs if isinstance(o, BaseException)]
        done = f"{len(outputs) - len(failed)}/{len(outputs)} done"
        if not failed:
            return self._set(RunStatus("succeeded", self._say(done), 1.0))
        return self._set(
            RunStatus("failed", self._say(f"{done}, {len(failed)} failed"), -1.0, _one_line(str(failed[0])))
        )

    # ---- helpers -------------------------------------------------------------------------------------------
    def _set(self, shown: RunStatus) -> RunStatus:
        self.current = shown
        self._show(shown)
        return shown

    def _id(self) -> str:
        """ "prediction abc…": the id that finds the run again after a restart (rw.prediction)."""
        return f"prediction {self._prediction_id}" if self._prediction_id else ""

    def _say(self, detail: str) -> str:
        if self._subject and detail:
            return f"{self._subject}: {detail}"
        return self._subject or detail


def invalid(message: str) -> RunStatus:
    """A run not started because the form has problems."""
    return RunStatus("invalid", message)


def ending_of(exc: BaseException) -> tuple[str, str]:
    """The status and the reason a run that raised ``exc`` ended with."""
    if isinstance(exc, PredictionCanceled):
        return "canceled", "Canceled."
    if isinstance(exc, PredictionAborted):
        return "aborted", str(exc)
    if isinstance(exc, ModelError):
        return "failed", str(exc.prediction.error or exc)
    if isinstance(exc, KeyboardInterrupt):  # the run cancels its prediction on an interrupt, then re-raises
        return "canceled", "Interrupted: the prediction was canceled."
    if isinstance(exc, ReplicateWidgetError):
        return "failed", str(exc)
    return "failed", f"{type(exc).__name__}: {exc}"


def _shorten(text: str) -> str:
    """An error as the widget shows it: whole (a model's error may take a few lines), up to a point."""
    text = text.strip()
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def _one_line(text: str) -> str:
    return text.strip().splitlines()[0][:_MESSAGE_CHARS] if text.strip() else ""
