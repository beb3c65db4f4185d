"""Filling the ledger with a batch's items, and the threads that work through them.

``concurrency`` worker threads each take the next item from the ledger (never a list of all of them: a
10,000-item batch holds only the items in flight), drive its flow (item.py) and record the outcome. The
creates are paced (pacing.py); answers are waited for on a pool of their own so that cancel() reaches a
thread that is waiting.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import InputError, ModelError, PredictionAborted, PredictionCanceled, ReplicateWidgetError
from ..inputs.local_file import LocalFile
from ..network.drive import drive
from ..predictions.events import RunEvent
from ..refs import Target, resolve_flow
from ..run import delete_uploads_flow
from .item import Hooks, item_flow
from .ledger import Ledger
from .lock import FolderLock
from .naming import base_name, encode, item_key, iter_inputs, model_folder, unique
from .pacing import shared_pacer
from .remote import CLOCK_SLACK, cancel_twins_flow, choose, list_since_flow
from .save import Results, save_outputs

if TYPE_CHECKING:
    from ..context import ApiContext
    from ..network.transport import Transport
    from ..run import Uploaded
    from .ledger import Row

_FILL_CHUNK = 500


def file_field(transport: Transport, context: ApiContext, model: str) -> str:
    """The model's one file input, where files were given without ``field=``."""
    target: Target = drive(transport, resolve_flow(context.base_url, context.records, model))
    fields: list[str] = [f.name for f in target.schema.file_fields]
    if len(fields) == 1:
        return fields[0]
    which = f"its file inputs are {', '.join(fields)}" if fields else "it has no file input"
    raise InputError(f"Which input of {model} should the files go to? {which}: pass field='name'.")


def fill(ledger: Ledger, models: list[str], inputs: Any, field_for: Callable[[str], str]) -> None:
    """Every (input, model) pair into the ledger, in order; items already there (a re-run) stay as they are.
    Identical inputs are one item."""
    taken = {m: ledger.names(m) for m in models}
    seen: set[str] = set()
    chunk: list[tuple[str, int, int, str, str, str]] = []
    for row, given in enumerate(iter_inputs(inputs, None)):
        for m, model in enumerate(models):
            encoded = (
                {field_for(model): encode(given)} if isinstance(given, (Path, LocalFile)) else encode(given)
            )
            key = item_key(model, encoded)
            if key in seen:
                continue
            seen.add(key)
            if ledger.has(key):
                continue
            name = unique(base_name(encoded, row), taken[model])
            chunk.append((key, row * len(models) + m, row, model, json.dumps(encoded), name))
            if len(chunk) >= _FILL_CHUNK:
                ledger.add(chunk)
                chunk = []
    ledger.add(chunk)


class Engine:
    """The batch's workers. ``changed`` is called after every item ends (the display redraws)."""

    def __init__(
        self,
        transport: Transport,
        context: ApiContext,
        ledger: Ledger,
        out: Path,
        models: list[str],
        *,
        concurrency: int,
        rate: float | None,
        options: dict[str, Any],
        changed: Callable[[], None],
        lock: FolderLock,
    ) -> None:
        self.transport, self.context, self.ledger, self.out = transport, context, ledger, out
        self.models = models
        self.concurrency = max(1, concurrency)
        self.pacer = shared_pacer(context, rate)
        self.options = options
        self.changed = changed
        self.lock = lock  # held from start_batch until the workers are done; retry_failed takes it again
        self.results = Results(out)
        self.abort = threading.Event()
        self.finished = threading.Event()
        self.done_here = 0  # items finished by this run, for the ETA
        self.started = time.monotonic()
        self.error: BaseException | None = None
        self.unsaved: list[tuple[str, str]] = []  # (item, why) outputs that could not be saved this run
        # rw.run_batch's mode: each failed item's exception, as it was raised (key -> exception)
        self.errors: dict[str, BaseException] | None = None
        self._uploads: list[Uploaded] = []
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the workers; the folder's lock must be held (start_batch took it, restart takes it)."""
        self.done_here, self.started = 0, time.monotonic()
        self.finished.clear()
        self.abort.clear()
        self._thread = threading.Thread(target=self._run, name="rw-batch", daemon=True)
        self._thread.start()

    def restart(self) -> None:
        if not self.lock.acquire():
            raise InputError(f"Another batch is running in {str(self.out)!r}: wait for it, or cancel it.")
        self.start()

    def cancel(self) -> None:
        if self.finished.is_set():
            return
        self.abort.set()  # workers waiting for their turn to create see it at once

    def _reconcile_sending(self) -> None:
        """Items a killed run left ``sending``, all matched against one listing (not one listing each)."""
        sending = self.ledger.by_status("sending")
        if not sending:
            return
        base = self.context.base_url
        since = min(r.sent_at or time.time() for r in sending) - CLOCK_SLACK
        listing = drive(self.transport, list_since_flow(base, since), self.abort)
        for row in sending:
            target: Target = drive(self.transport, resolve_flow(base, self.context.records, row.model))
            try:
                kept, twins = choose(listing, target, row.sent_at or 0.0, row.sent_hash or "")
            except ReplicateWidgetError as exc:
                self.ledger.finish(row.key, "failed", prediction_id=None, error=str(exc))
                self._ended(row.key, exc)
                continue
            if kept is None:
                self.ledger.pending(row.key)  # the create never arrived: it is sent again
                continue
            self.ledger.running(row.key, kept.id)
            for twin in drive(self.transport, cancel_twins_flow(base, twins), self.abort):
                self.ledger.duplicate(twin, row.key, kept.id)

    def _run(self) -> None:
        try:
            try:
                self._reconcile_sending()
            except KeyboardInterrupt:  # canceled while matching: the items stay `sending` for the next run
                return
            with concurrent.futures.ThreadPoolExecutor(self.concurrency, "rw-batch-wait") as waiters:
                workers = [
                    threading.Thread(target=self._work, args=(waiters,), name=f"rw-batch-{n}", daemon=True)
                    for n in range(self.concurrency)
                ]
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
            if self.options.get("delete_uploads"):
                with contextlib.suppress(ReplicateWidgetError):
                    drive(self.transport, delete_uploads_flow(self.context, self._uploads))
            self.results.rewrite(self.ledger)
        except BaseException as exc:
            self.error = exc
        finally:
            self.lock.release()
            self.finished.set()
            self.changed()

    def _work(self, waiters: concurrent.futures.Executor) -> None:
        while not self.abort.is_set():
            row = self.ledger.claim()
            if row is None:
                return
            try:
                release = self._one(row, waiters)
            except Exception as exc:  # a bug of ours must not lose the item or stop the worker
                error = f"{type(exc).__name__}: {exc}"
                self.ledger.finish(row.key, "failed", prediction_id=None, error=error)
                self._ended(row.key, exc)
                release = True
            if release:
                self.ledger.release(row.key)

    def _one(self, row: Row, waiters: concurrent.futures.Executor) -> bool:
        """Work on one item; False keeps it taken (not tried again by this run)."""
        key = row.key
        made: list[str] = []

        def running(prediction_id: str) -> None:
            made.append(prediction_id)
            self.ledger.running(key, prediction_id)

        def twins(canceled: list[str], kept: str) -> None:
            for twin in canceled:
                self.ledger.duplicate(twin, key, kept)

        hooks = Hooks(
            take_turn=lambda: self.pacer.take(self.abort),
            hold=self.pacer.hold,
            sending=lambda sent_at, digest: self.ledger.sending(key, sent_at, digest),
            running=running,
            pending=lambda: self.ledger.pending(key),
            twins=twins,
        )
        flow = item_flow(self.context, row, hooks, self._uploads, self.options)
        try:
            prediction, target = drive(self.transport, flow, self.abort, waiters)
        except KeyboardInterrupt:  # canceled: an item that made a prediction is canceled, others stay
            if made:
                self.ledger.finish(key, "canceled", prediction_id=made[-1], error="canceled by cancel()")
                self._ended(key)
            return True
        except (ReplicateWidgetError, httpx.HTTPError, OSError) as exc:
            self.ledger.finish(key, "failed", prediction_id=made[-1] if made else None, error=str(exc))
            self._ended(key, exc)
            return True
        progress = self.options.get("progress")
        if progress is not None:  # the widget's "n/N done" counts these
            progress(RunEvent("status", status=prediction.status, prediction=prediction))
        if prediction.status != "succeeded":
            status = "canceled" if prediction.status == "canceled" else "failed"
            error = prediction.error or f"the prediction ended {prediction.status}"
            self.ledger.finish(key, status, prediction_id=prediction.id, error=error)
            failure = PredictionCanceled(prediction) if status == "canceled" else ModelError(prediction)
            if prediction.status == "aborted":
                failure = PredictionAborted(prediction)
            self._ended(key, failure)
            return True
        folder = self.out / model_folder(row.model) if len(self.models) > 1 else self.out
        try:
            paths = save_outputs(
                prediction.output, target, folder, row.name, self.out, downloads=self.context.downloads
            )
        except (httpx.HTTPError, OSError) as exc:
            # Still recorded as running, and kept taken: the next run reattaches and downloads again.
            self.unsaved.append((row.name, f"{type(exc).__name__}: {exc}"))
            self.changed()
            return False
        self.ledger.finish(
            key, "succeeded", prediction_id=prediction.id, output=prediction.output, paths=paths
        )
        self._ended(key)
        return True

    def _ended(self, key: str, error: BaseException | None = None) -> None:
        if error is not None and self.errors is not None:
            self.errors[key] = error
        self.done_here += 1
        self.results.append(self.ledger.get(key))
        self.changed()

    def eta(self) -> float | None:
        left = sum(n for s, n in self.ledger.counts().items() if s in ("pending", "sending", "running"))
        if not self.done_here:
            return None
        return (time.monotonic() - self.started) / self.done_here * left
