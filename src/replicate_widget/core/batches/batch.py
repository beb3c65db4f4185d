"""``Batch``: what ``rw.batch`` returns at once. It iterates, waits, cancels, retries, and displays itself.

Everything it knows is in the ledger (ledger.py) in ``out/``: iteration pages through finished items in
completion order, ``results()`` reads them in input order, the display is made from the newest few. So a
10,000-item batch holds only the items in flight, whatever the caller does with it.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError, PredictionCanceled
from ..network.drive import drive
from ..outputs.file_output import galleries
from ..predictions.record import PredictionRecord
from ..refs import resolve_flow
from . import gallery
from .ledger import Ledger, Row
from .naming import decode

if TYPE_CHECKING:
    from .engine import Engine

MIN_INTERVAL = 0.25  # seconds between two redraws of the live display: at most 4 a second


@dataclass(frozen=True)
class BatchItem:
    """One finished item: its input, prediction id, status, output (files as rw.FileOutput: Replicate's
    copies, gone after about an hour), the saved copies in ``out/`` (``paths``), its error if it failed."""

    input: dict[str, Any]
    id: str | None
    status: str
    output: Any
    paths: list[Path] = field(default_factory=list)
    error: str | None = None
    model: str = ""
    name: str = ""
    key: str = ""  # the ledger's: sha256 of the model and the input

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class Batch:
    """A batch running in the background. See ``rw.batch``."""

    def __init__(self, engine: Engine, title: str) -> None:
        self._engine = engine
        self._ledger: Ledger = engine.ledger
        self.out = engine.out
        self.models = list(engine.models)
        self.title = title
        self._tick = threading.Condition()
        self._version = 0
        self._handle: Any = None
        self._painter: threading.Thread | None = None
        self._thumbs = gallery.Thumbnails()
        engine.changed = self._changed

    # ---- state -------------------------------------------------------------------------------------------
    def _changed(self) -> None:
        with self._tick:
            self._version += 1
            self._tick.notify_all()

    @property
    def done(self) -> bool:
        return self._engine.finished.is_set()

    @property
    def counts(self) -> dict[str, int]:
        """Items by status: pending, sending, running, succeeded, failed, canceled."""
        return self._ledger.counts()

    def __len__(self) -> int:
        return self._ledger.total()

    @property
    def failed(self) -> list[BatchItem]:
        return [self._item(r) for r in self._ledger.by_status("failed")]

    @property
    def duplicates(self) -> list[tuple[str, str, str]]:
        """Twin predictions found on resume and canceled: (twin id, item key, prediction kept)."""
        return self._ledger.duplicates()

    def _item(self, row: Row) -> BatchItem:
        output = row.output
        if output is not None and row.status == "succeeded":
            target = drive(
                self._engine.transport,
                resolve_flow(self._engine.context.base_url, self._engine.context.records, row.model),
            )
            output = galleries(target.schema.convert_output(output, self._engine.context.file_output))
        return BatchItem(
            input=decode(row.input, for_run=False),
            id=row.prediction_id,
            status=row.status,
            output=output,
            paths=[self.out / p for p in row.paths],
            error=row.error,
            model=row.model,
            name=row.name,
            key=row.key,
        )

    # ---- control -----------------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Batch:
        """Until every item has ended (or ``timeout`` seconds). Ctrl-C here cancels the batch."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:  # short waits: one long wait would not see Ctrl-C (nor _thread.interrupt_main) until it ended
            while not self._engine.finished.wait(0.1):
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except KeyboardInterrupt:
            self.cancel()
            raise
        if self._engine.error is not None:
            raise self._engine.error
        return self

    def cancel(self) -> Batch:
        """Stop: no new creates, running predictions canceled. Running the same call again resumes."""
        self._engine.cancel()
        self._engine.finished.wait()
        return self

    def retry_failed(self) -> Batch:
        """Run the failed items again (new predictions); the others are kept."""
        self.wait()
        if self._ledger.retry_failed():
            self._engine.restart()
        return self

    def results(self) -> list[Any]:
        """Outputs in input order, once all are done; a failed item is its exception, as rw.run_batch
        gives it. With several models, one list per input (a value per model)."""
        self.wait()
        values = [self._value(r) for r in self._ledger.in_order()]
        if len(self.models) == 1:
            return galleries(values)  # type: ignore[no-any-return]
        width = len(self.models)
        return [values[i : i + width] for i in range(0, len(values), width)]

    def close(self) -> None:
        """Stop (if running) and close the ledger; the Batch can do nothing more."""
        self.cancel()
        self._ledger.close()

    def error_of(self, item: BatchItem) -> BaseException:
        """The exception a failed item raised, when kept (rw.run_batch); else one made from the ledger."""
        return self._value(self._ledger.get(item.key))  # type: ignore[no-any-return]

    def value_of(self, key: str) -> Any:
        return self._value(self._ledger.get(key))

    def _value(self, row: Row) -> Any:
        kept = self._engine.errors
        if kept is not None and row.key in kept:
            return kept[row.key]
        item = self._item(row)
        if item.ok:
            return item.output
        prediction = PredictionRecord(
            id=row.prediction_id or "", status=row.status, error=row.error, model=row.model
        )
        return PredictionCanceled(prediction) if row.status == "canceled" else ModelError(prediction)

    def __iter__(self) -> Iterator[BatchItem]:
        """Finished items in completion order (those of earlier runs first), as they finish. Ctrl-C while
        waiting for one cancels the batch."""
        seen = 0
        while True:
            with self._tick:
                version = self._version
            rows = self._ledger.done_after(seen)
            for row in rows:
                seen = row.done_seq or seen
                yield self._item(row)
            if rows:
                continue
            if self.done:
                if not self._ledger.done_after(seen, 1):
                    if self._engine.error is not None:
                        raise self._engine.error
                    return
                continue
            try:
                with self._tick:
                    if self._version == version:
                        self._tick.wait(0.1)
            except (
                KeyboardInterrupt
            ):  # Ctrl-C while waiting for the next item stops the batch, as wait() does
                self.cancel()
                raise

    # ---- display -----------------------------------------------------------------------------------------
    def summary(self) -> str:
        state = "running" if not self.done else ("canceled" if self._engine.abort.is_set() else "finished")
        text = gallery.header(self.counts, len(self), self._engine.eta(), state)
        twins = self._ledger.duplicates()
        if twins:
            text += f" · {len(twins)} duplicate prediction(s) found on resume and canceled (b.duplicates)"
        if self._engine.unsaved:
            text += f" · {len(self._engine.unsaved)} not saved (run again to fetch them)"
        return text

    def _html(self) -> str:
        width = len(self.models)
        newest = self._ledger.latest_done(gallery.MAX_THUMBNAILS)
        newest.reverse()
        if width == 1:
            body = gallery.gallery(newest, self.out, self._thumbs)
        else:
            body = gallery.grid(newest, self.models, self.out, self._thumbs)
        counts = self.counts
        failed = gallery.failures(
            self._ledger.by_status("failed", gallery.MAX_FAILURES_SHOWN), counts.get("failed", 0)
        )
        where = f'<div style="font-size:11px;opacity:.7">saved in {html.escape(str(self.out))}</div>'
        return gallery.page(self.title, self.summary(), body + where, failed)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": f"{self.title}: {self.summary()}", "text/html": self._html()}

    def __repr__(self) -> str:
        return f"<Batch {self.title}: {self.summary()}>"

    def _ipython_display_(self) -> None:
        """Shown once, then redrawn in place (display_id) at most 4 times a second until the batch ends."""
        from IPython.display import display

        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if self.done:
            return
        self._handle = handle
        self._painter = threading.Thread(target=self._paint, name="rw-batch-display", daemon=True)
        self._painter.start()

    def _paint(self) -> None:
        drawn = -1
        while True:
            with self._tick:
                if self._version == drawn:
                    self._tick.wait(1.0)  # the ETA changes even when nothing finishes
                drawn = self._version
            finished = self.done
            self._handle.update(self._repr_mimebundle_(), raw=True)
            if finished:
                return
            time.sleep(MIN_INTERVAL)
