"""Predictions: the server's store of them (create, find, cancel, wait, list), each a prediction.py record."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import datetime, timedelta
from typing import Any

from .ids import capability, new_id, newest_first_page
from .prediction import Prediction
from .registry import ModelSpec
from .workers import WorkerPool

_STOP_CHECK = 0.2  # seconds between looks at `stopping` while a request waits


class Predictions:
    def __init__(self, workers: WorkerPool, secret: bytes) -> None:
        self.workers = workers
        self._secret = secret
        self._by_id: dict[str, Prediction] = {}
        self._seq = 0
        # Set by LocalServer.stop(): requests held by `Prefer: wait` answer with the prediction as it is,
        # before the server's graceful shutdown would cancel them (one traceback each).
        self.stopping = threading.Event()

    def create(
        self,
        spec: ModelSpec,
        version: str,
        client_input: dict[str, Any],
        cog_input: dict[str, Any],
        cancel_after: float | None,
    ) -> Prediction:
        self._seq += 1
        prediction_id = new_id()
        prediction = Prediction(
            id=prediction_id,
            spec=spec,
            version=version,
            input=client_input,
            cog_input=cog_input,
            stream_token=capability(self._secret, "stream", prediction_id),
            seq=self._seq,
        )
        if cancel_after is not None:
            prediction.deadline = prediction.created_at + timedelta(seconds=cancel_after)
            asyncio.get_running_loop().call_later(cancel_after, self._deadline_passed, prediction)
        self._by_id[prediction_id] = prediction
        self.workers.enqueue(prediction)
        return prediction

    def _deadline_passed(self, prediction: Prediction) -> None:
        # Replicate: a deadline that passes before the prediction starts aborts it; while running, cancels it.
        if prediction.terminal:
            return
        if not self.workers.submitted(prediction):
            prediction.abort()
        else:
            asyncio.get_running_loop().create_task(self.cancel(prediction))

    def get(self, prediction_id: str) -> Prediction | None:
        return self._by_id.get(prediction_id)

    async def cancel(self, prediction: Prediction) -> None:
        if prediction.terminal:
            return
        prediction.cancel_requested = True
        await self.workers.cancel(prediction)

    def apply_cog(self, payload: dict[str, Any]) -> None:
        prediction = self._by_id.get(str(payload.get("id")))
        if prediction is not None:
            prediction.apply_cog(payload)
            if prediction.worker_crashed:
                # Before anyone learns of the failure: the next prediction must not reach the broken worker.
                self.workers.worker(prediction.spec).mark_broken()

    async def wait(self, prediction: Prediction, seconds: float) -> None:
        """Until the prediction is final, ``seconds`` pass, or the server is stopping."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not prediction.finished.is_set() and not self.stopping.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(prediction.finished.wait(), min(left, _STOP_CHECK))

    def page(
        self, cursor: str | None, after: datetime | None = None, before: datetime | None = None
    ) -> tuple[list[Prediction], str | None]:
        chosen = [
            p
            for p in self._by_id.values()
            if (after is None or p.created_at > after) and (before is None or p.created_at < before)
        ]
        return newest_first_page(chosen, cursor)

    def count(self, spec: ModelSpec) -> int:
        return sum(1 for p in self._by_id.values() if p.spec.ref == spec.ref)
