"""rw.Prediction: a prediction you can come back to by its id, wait for, cancel, and watch in a notebook.

It is the API's record (record.py) plus the client that fetched it. Everything it does is a flow from
flows.py driven by that client, so a handle made after a kernel restart (``rw.prediction(id)``) works
like the one ``rw.predict`` returned.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import APIError, PredictionTimeout
from ..network.http import Flow
from ..progress import reporting
from ..run import check_timeout
from . import record as _record
from .cancel import cancel_flow
from .events import report_changes
from .flows import (
    check_id,
    convert_output,
    follow_flow,
    get_prediction_flow,
    list_predictions_flow,
    schema_flow,
)
from .view import row_html, table_html

if TYPE_CHECKING:
    from ..context import ApiContext
    from .events import ProgressCallback

LIVE_REFRESH = 1.0  # seconds between two looks of a running prediction's notebook display
LIVE_FOR = 30 * 60.0  # the API's own limit on a run: a display stops looking after that


class Driver(Protocol):
    """What a handle needs of the client that fetched it (client.Client, which imports this module): the
    API's origin, the memory its flows read, and its two drivers."""

    base_url: str
    _context: ApiContext

    def drive(self, flow: Flow, abort: threading.Event | None = None) -> Any: ...

    async def adrive(self, flow: Flow) -> Any: ...


class Prediction(_record.PredictionRecord):
    """A prediction: ``id``, ``status``, ``input``, ``output`` (converted as rw.run converts it), ``logs``,
    ``error``, ``metrics``, ``urls``; ``.reload()``, ``.wait(timeout=None)``, ``.cancel()``, ``.stream()``,
    ``await .async_wait()``. ``rw.prediction(id)`` gets one back, also after a kernel restart."""

    _client: Driver

    @classmethod
    def attach(cls, record: _record.PredictionRecord, client: Driver) -> Prediction:
        """``record`` (its output as it is: converted by a run, raw from a list) as a handle on ``client``."""
        handle = cls(**{f.name: getattr(record, f.name) for f in dataclasses.fields(record)})
        handle._client = client
        return handle

    # ---- flows, driven by the client -------------------------------------------------------------------
    def _finish_flow(self, record: _record.PredictionRecord) -> Flow:
        """``record`` with its output converted once it succeeded (the model's schema is looked up once)."""
        if record.status == "succeeded":
            schema = yield from schema_flow(self._client.base_url, self._client._context.records, record)
            convert_output(schema, record, self._client._context.downloads)
        return record

    def _reload_flow(self) -> Flow:
        record = yield from get_prediction_flow(self._client.base_url, self.id, self.urls.get("get"))
        return (yield from self._finish_flow(record))

    def _wait_flow(self, progress: ProgressCallback | None, timeout: float | None) -> Flow:
        record = yield from get_prediction_flow(self._client.base_url, self.id, self.urls.get("get"))
        report_changes(progress, None, record)
        try:
            record = yield from follow_flow(self._client.base_url, record, progress, timeout)
        except PredictionTimeout as exc:
            self._update(exc.prediction)
            exc.prediction = self
            raise
        return (yield from self._finish_flow(record))

    def _update(self, record: _record.PredictionRecord) -> Prediction:
        for f in dataclasses.fields(record):
            setattr(self, f.name, getattr(record, f.name))
        return self

    # ---- the public methods ----------------------------------------------------------------------------
    def reload(self) -> Prediction:
        """Fetch the prediction's current state into this handle; returns it."""
        return self._update(self._client.drive(self._reload_flow()))

    def wait(self, timeout: float | None = None, *, progress: Any = None) -> Prediction:
        """Wait until it ends (with the automatic progress display) and return it; a failure is returned,
        not raised. ``timeout``: raise rw.PredictionTimeout after that many seconds, leaving it running.
        Ctrl-C stops the waiting, not the prediction: ``.cancel()`` does that."""
        seconds = check_timeout(timeout)
        with reporting(self.model or self.id, progress) as callback:
            return self._update(self._client.drive(self._wait_flow(callback, seconds)))

    async def async_wait(self, timeout: float | None = None, *, progress: Any = None) -> Prediction:
        seconds = check_timeout(timeout)
        with reporting(self.model or self.id, progress) as callback:
            return self._update(await self._client.adrive(self._wait_flow(callback, seconds)))

    def cancel(self) -> Prediction:
        """Ask the API to cancel it (harmless once it ended); returns it as the API then has it."""
        record = self._client.drive(cancel_flow(self._client.base_url, self.id, self.urls.get("cancel")))
        return self._update(self._client.drive(self._finish_flow(record)))

    def stream(self) -> Iterator[Any]:
        """A text model's output as it comes (its stream, else polling); then raises if it failed. Leaving
        early cancels it, as rw.stream does."""
        from ..stream import follow

        schema = self._client.drive(schema_flow(self._client.base_url, self._client._context.records, self))
        yield from follow(self._client.drive, self._client._context, schema, self)
        self.reload()

    # ---- display ---------------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        return table_html([self])

    def _ipython_display_(self) -> None:
        """One output; while the prediction runs, it is updated in place (a background look every second)."""
        from IPython.display import display

        bundle = {"text/plain": repr(self), "text/html": row_html(self)}
        handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if not self.done:
            threading.Thread(target=self._keep_display, args=(handle,), daemon=True).start()

    def _keep_display(self, handle: Any) -> None:
        stop = threading.Event()
        waited = 0.0
        while not self.done and waited < LIVE_FOR:
            stop.wait(LIVE_REFRESH)
            waited += LIVE_REFRESH
            with contextlib.suppress(APIError):
                self.reload()
            handle.update({"text/plain": repr(self), "text/html": row_html(self)}, raw=True)


class PredictionList(list[Prediction]):
    """Recent predictions, newest first; displays as a compact table."""

    def _repr_html_(self) -> str:
        return table_html(self)


def get(client: Driver, prediction_id: str) -> Prediction:
    handle = Prediction.attach(
        client.drive(get_prediction_flow(client.base_url, check_id(prediction_id))), client
    )
    return handle._update(client.drive(handle._finish_flow(handle)))


def listing(client: Driver, limit: int = 20, since: Any = None) -> PredictionList:
    """Outputs stay as the API sent them (no schema lookup per model); ``p.reload()`` converts one."""
    records = client.drive(list_predictions_flow(client.base_url, limit=limit, since=since))
    return PredictionList(Prediction.attach(r, client) for r in records)
