"""A prediction as the local server keeps it: a Replicate-shaped record and its lifecycle (status, Cog's
webhooks, cancel, deadline). Predictions (predictions.py) holds them; workers run them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .ids import iso, utcnow
from .registry import ModelSpec

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})


@dataclass
class Prediction:
    id: str
    spec: ModelSpec
    version: str  # the version id, or "hidden" when created through the official-model endpoint
    input: dict[str, Any]  # as the client sent it
    cog_input: dict[str, Any]  # with our own file URLs turned into download URLs Cog can fetch
    stream_token: str
    seq: int
    status: str = "starting"
    output: Any = None
    logs: str = ""
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    deadline: datetime | None = None
    cancel_requested: bool = False
    worker_crashed: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    # Set and replaced on every change, so SSE streams and waits wake up.
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()
        if self.terminal:
            self.finished.set()

    def _complete(self, status: str, error: str | None = None) -> None:
        if self.terminal:
            return
        self.status = status
        self.error = error
        self.completed_at = utcnow()
        self.metrics["total_time"] = round((self.completed_at - self.created_at).total_seconds(), 6)
        self._notify()

    def fail(self, error: str) -> None:
        self._complete("failed", error)

    def cancel_now(self) -> None:
        """Canceled before Cog ever saw it."""
        self._complete("canceled")

    def abort(self) -> None:
        self._complete("aborted")

    def apply_cog(self, payload: dict[str, Any]) -> None:
        """One webhook from Cog: logs are cumulative, partial output matters for iterators only."""
        if self.terminal:
            return
        status = payload.get("status", self.status)
        if isinstance(payload.get("logs"), str):
            self.logs = payload["logs"]
        if self.started_at is None and status in ("processing", *TERMINAL):
            self.started_at = utcnow()
        if "metrics" in payload and isinstance(payload["metrics"], dict):
            self.metrics.update(payload["metrics"])
        if status == "processing":
            self.status = "processing"
            # While processing Cog wraps a single output in a list; only an iterator's list is real.
            if self.spec.iterates and "output" in payload:
                self.output = payload["output"]
            self._notify()
            return
        if status in TERMINAL:
            if "output" in payload:
                self.output = payload["output"]
            error = _strip_cog_prefix(payload.get("error"))
            if status == "failed" and error == "Worker crashed":  # coglet's words when its Python child died
                self.worker_crashed = True
                error = (
                    f"The model's worker process ({self.spec.ref}) crashed while running this prediction. "
                    "The local server restarts it for the next prediction; run this one again."
                )
            elif status == "failed" and self.cancel_requested:
                # Cog cancels by throwing an exception into the run. Landing before the run has started
                # (while Cog submits it to its event loop or fetches inputs) or in the model's cleanup, it
                # comes back as a failure; it is still the cancel the user asked for that ended it.
                status, error = "canceled", None
            self._complete(status, error)

    def to_json(self, base_url: str) -> dict[str, Any]:
        get_url = f"{base_url}/v1/predictions/{self.id}"
        urls = {"get": get_url, "cancel": f"{get_url}/cancel", "web": f"{base_url}/p/{self.id}"}
        if self.spec.streams:
            urls["stream"] = f"{base_url}/_stream/{self.id}/{self.stream_token}"
        metrics = dict(self.metrics) if self.terminal else {}
        return {
            "id": self.id,
            "model": self.spec.ref,
            "version": self.version,
            "input": self.input,
            "output": self.output,
            "logs": self.logs,
            "error": self.error,
            "status": self.status,
            "source": "api",
            "data_removed": False,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "deadline": iso(self.deadline),
            "metrics": metrics,
            "urls": urls,
        }


def _strip_cog_prefix(error: str | None) -> str | None:
    """coglet prefixes a model's exception with "Prediction failed: " (twice, as of 0.23); Replicate shows
    only the exception, and our clients add their own "failed" wording."""
    prefix = "Prediction failed: "
    while error and error.startswith(prefix):
        error = error[len(prefix) :]
    return error
