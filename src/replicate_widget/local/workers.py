"""Cog workers: one Cog process per model (see cog_process.py), started when first needed; a queue.

A worker runs `spec.concurrency` predictions at once; the rest wait in its queue with status `starting`.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cog_process import CogProcess, WorkerFailed
from .registry import ModelSpec

if TYPE_CHECKING:
    from .predictions import Prediction


class ModelWorker:
    """A model's queue and its (re)startable Cog process."""

    def __init__(self, spec: ModelSpec, pool: WorkerPool) -> None:
        self.spec = spec
        self.pool = pool
        self.queue: asyncio.Queue[Prediction] = asyncio.Queue()
        self.running: dict[str, Prediction] = {}  # holding a slot: the worker may still be booting
        self.submitted: set[str] = set()  # handed to Cog: from here on only Cog can cancel them
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
            if prediction.terminal:
                return
            self.submitted.add(prediction.id)  # before the await, so a cancel meanwhile is forwarded
            await process.submit(prediction.id, prediction.cog_input)
            if prediction.cancel_requested:
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

    def mark_broken(self) -> None:
        if self.process is not None:
            self.process.broken = True

    async def cancel(self, prediction: Prediction) -> None:
        """Cancel: at once while it waits (queue, booting worker), through Cog once Cog has it."""
        if prediction.id in self.submitted and self.process is not None:
            await self.process.cancel(prediction.id)
        else:
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
        return prediction.id in self.worker(prediction.spec).submitted

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
