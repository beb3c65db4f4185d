"""What a progress callback hears (RunEvent), and the events a change in a prediction makes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..network.http import Flow, Sleep, notify_retries
from .record import PredictionRecord


@dataclass(frozen=True)
class RunEvent:
    """What a progress callback receives: an upload's bytes, a status change, new logs, model progress, a
    retry about to wait ``seconds`` because of ``reason`` (its ``message`` says so in words), or the text a
    streaming model has written so far (``output``)."""

    kind: Literal["upload", "status", "logs", "progress", "retry", "output"]
    file: str | None = None
    sent: int = 0
    total: int = 0
    status: str | None = None
    fraction: float | None = None
    logs: str = ""
    prediction: PredictionRecord | None = None
    seconds: float = 0.0
    reason: str = ""
    text: str = ""  # "output": the text a streaming model has written so far

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
        if self.kind == "output":
            return self.text[-200:]
        return str(self.status or "")


def with_retry_events(flow: Flow, progress: ProgressCallback | None) -> Flow:
    """``flow``, telling ``progress`` of each retry before its wait starts."""
    if progress is None:
        return flow

    def notify(wait: Sleep) -> None:
        progress(RunEvent("retry", seconds=wait.seconds, reason=wait.reason or ""))

    return notify_retries(flow, notify)


ProgressCallback = Callable[[RunEvent], None]


def report_changes(
    progress: ProgressCallback | None, before: PredictionRecord | None, now: PredictionRecord
) -> None:
    """Tell ``progress`` what changed from ``before`` (None: nothing was known) to ``now``."""
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
    text = _streamed_text(now.output)
    if text is not None and text != _streamed_text(before.output if before else None):
        progress(RunEvent("output", status=now.status, text=text, prediction=now))


def _streamed_text(output: Any) -> str | None:
    """The text so far of a model that streams text (its output, while it runs, is a growing list of str);
    None for anything else (files, numbers, an output that is not there yet)."""
    if not isinstance(output, list) or not output or not all(isinstance(item, str) for item in output):
        return None
    if any(item.startswith(("http:", "https:", "data:")) for item in output):
        return None  # files
    return "".join(output)
