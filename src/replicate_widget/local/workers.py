"""Cog workers: one Cog process per model (see cog_process.py), started when first needed; a queue.

A worker runs `spec.concurrency` predictions at once; the rest wait in its queue with status `starting`.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cog_process import CogProcess, SlotsBusy, WorkerFailed
from .registry import ModelSpec

if TYPE_CHECKING:
    from .prediction import Prediction

# How long Cog may keep answering "all slots busy" while the server counts one free before we give up:
# far longer than Cog ever takes to free a finished prediction's slot.
SLOT_WAIT = 30.0
_FIRST_PAUSE = 0.005
_LONGEST_PAUSE = 0.05


class ModelWorker:
    """A model's queue and its (re)startable Cog process."""

    def __init__(self, spec: ModelSpec, pool: WorkerPool) -> None:
        self.spec = spec
        self.pool = pool
        self.queue: asyncio.Queue[Prediction] = asyncio.Queue()
        self.running: dict[str, Prediction] = {}  # holding a slot: the worker may still be booting
        self.handing_over: set[str] = set()  # request to Cog in flight: a cancel waits for its answer
        self.submitted: set[str] = set()  # Cog accepted them: from here on only Cog can cancel them
        self.process: CogProcess | None = None
        self._slots = asyncio.Semaphore(spec.concurrency)
        self._start_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def _dispatch(self) -> None:
        while True:
            prediction = await self.queue.get()
            await self._slots.acquire()
            if prediction.terminal:  # canceled or aborted while it waited
                self._slots.release()
                continue
            task = asyncio.get_running_loop().create_task(self._run(prediction))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _ensure_process(self) -> CogProcess:
        async with self._start_lock:
            if self.process is None or self.process.exited.is_set() or self.process.broken:
                if self.process is not None:
                    await self.process.stop()
                workdir = Path(tempfile.mkdtemp(prefix=f"{self.spec.name}-", dir=self.pool.root))
                self.process = CogProcess(self.spec, workdir, self.pool.webhook_url, self.pool.upload_url)
                try:
                    await self.process.start()
                except BaseException:
                    await self.process.stop()
                    raise
            return self.process

    async def _run(self, prediction: Prediction) -> None:
        self.running[prediction.id] = prediction
        try:
            process = await self._ensure_process()
            if not await self._hand_over(process, prediction):
                return
            if prediction.cancel_requested:  # asked while the request to Cog was in flight
                await process.cancel(prediction.id)
            exited = asyncio.ensure_future(process.exited.wait())
            finished = asyncio.ensure_future(prediction.finished.wait())
            await asyncio.wait({exited, finished}, return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
            finished.cancel()
            if prediction.status == "failed" and not await process.healthy():
                process.broken = True  # the next prediction starts a fresh one
            if not prediction.terminal:
                code = process.proc.returncode if process.proc else None
                prediction.fail(
                    f"The model's worker process ({self.spec.ref}) exited unexpectedly (exit code {code}) "
                    "while running this prediction. The server restarts it for the next prediction; "
                    "run this one again."
                )
        except WorkerFailed as exc:
            prediction.fail(str(exc))
        except Exception as exc:  # the prediction must end; the server keeps serving
            prediction.fail(f"{self.spec.ref}: the local server could not run this prediction: {exc!r}")
        finally:
            self.running.pop(prediction.id, None)
            self.submitted.discard(prediction.id)
            self._slots.release()

    async def _hand_over(self, process: CogProcess, prediction: Prediction) -> bool:
        """Give the prediction to Cog; False if it ended first (canceled or aborted meanwhile).

        Cog sends a prediction's final webhook a moment before it frees that slot, so the slot the server
        just gave this prediction may still be busy in Cog, which answers 409. That means "in a moment":
        the prediction keeps the server's slot (so the server never counts more predictions on Cog than
        it has slots, and nothing overtakes it) and asks again shortly.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SLOT_WAIT
        pause = _FIRST_PAUSE
        while not prediction.terminal:
            self.handing_over.add(prediction.id)
            try:
                await process.submit(prediction.id, prediction.cog_input)
            except SlotsBusy:
                pass
            else:
                self.submitted.add(prediction.id)
                return True
            finally:
                self.handing_over.discard(prediction.id)
            if prediction.cancel_requested:  # asked while Cog was refusing it: Cog never had it
                prediction.cancel_now()
                return False
            if process.exited.is_set() or loop.time() > give_up:
                raise WorkerFailed(
                    f"{self.spec.ref}: Cog kept answering that all its {self.spec.concurrency} slots were "
                    f"busy for {SLOT_WAIT:.0f} s although the server ran fewer predictions on it. "
                    "Run this prediction again; restart the server if it keeps happening."
                )
            await asyncio.sleep(pause)  # not handing over meanwhile: a cancel or deadline acts at once
            pause = min(2 * pause, _LONGEST_PAUSE)
        return False

    def mark_broken(self) -> None:
        if self.process is not None:
            self.process.broken = True

    async def cancel(self, prediction: Prediction) -> None:
        """Cancel: at once while it waits (queue, booting worker), through Cog once Cog has it.

        While the request to Cog is in flight the cancel waits for Cog's answer (`_hand_over` and `_run`
        act on `cancel_requested`): Cog would keep a cancel for an id it does not know yet and throw it
        into the run as it starts.
        """
        if prediction.id in self.submitted and self.process is not None:
            await self.process.cancel(prediction.id)
        elif prediction.id not in self.handing_over:
            prediction.cancel_now()

    async def stop(self) -> None:
        self._dispatcher.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self.process is not None:
            await self.process.stop()


class WorkerPool:
    def __init__(self, root: Path, webhook_url: str, upload_url: str) -> None:
        self.root = root
        self.webhook_url = webhook_url
        self.upload_url = upload_url
        self._workers: dict[str, ModelWorker] = {}

    def worker(self, spec: ModelSpec) -> ModelWorker:
        if spec.ref not in self._workers:
            self._workers[spec.ref] = ModelWorker(spec, self)
        return self._workers[spec.ref]

    def enqueue(self, prediction: Prediction) -> None:
        self.worker(prediction.spec).queue.put_nowait(prediction)

    async def cancel(self, prediction: Prediction) -> None:
        await self.worker(prediction.spec).cancel(prediction)

    def submitted(self, prediction: Prediction) -> bool:
        """Cog has it, or is being asked to take it: past the point where it can simply be dropped."""
        worker = self.worker(prediction.spec)
        return prediction.id in worker.submitted or prediction.id in worker.handing_over

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "model": ref,
                "pid": w.process.pid if w.process and not w.process.exited.is_set() else None,
                "port": w.process.port if w.process else None,
                "running": sorted(w.running),
                "queued": w.queue.qsize(),
            }
            for ref, w in self._workers.items()
        ]

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self._workers.values()), return_exceptions=True)
        self._workers.clear()
