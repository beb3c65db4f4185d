"""The two drivers of flows: `drive` (sync, over a `Transport`), `adrive` (async, over an `AsyncTransport`).

A flow is a generator of effects (see http.py); a driver performs each effect and sends back its result.
Interrupts (Ctrl-C, task cancellation, a batch's abort) are thrown into the flow so it can cancel remotely.
An `Upload` is performed here, over the same transport: the first run that needs the bytes drives the upload
flow, any other waits for its outcome (the client's UploadCache). Waits go through a `Clock`, the real one
unless a test passes a fake one (then the flows' deadlines read it too: http.now).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ..errors import StorageError
from ..inputs.files_api import UploadedFile, upload_flow
from .http import Effect, Flow, Sleep, StoreDelete, StoreUpload, Upload, flows_clock

if TYPE_CHECKING:
    from ..inputs.local_file import LocalFile
    from ..inputs.uploaded import UploadCache
    from .transport import AsyncTransport, Transport


class Clock(Protocol):
    """Time as the drivers and flows see it: now (monotonic seconds), and waiting."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float, abort: threading.Event | None) -> None:
        """Wait ``seconds``; KeyboardInterrupt as soon as ``abort`` is set."""

    async def asleep(self, seconds: float) -> None: ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, abort: threading.Event | None) -> None:
        _sleep(seconds, abort)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


REAL_CLOCK = RealClock()


class _Steps:
    """What both drivers share: stepping the flow, and an interrupt held back until the answer it interrupted
    has been sent in, so the flow sees the response (the prediction's id) before it is told to cancel."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.value: Any = None
        self.error: BaseException | None = None
        self.pending: BaseException | None = None
        self.result: Any = None

    def next(self) -> Effect | None:
        """The next effect to perform, or None when the flow has returned (its value is in ``result``)."""
        while True:
            try:
                effect = self.flow.throw(self.error) if self.error is not None else self.flow.send(self.value)
            except StopIteration as stop:
                if self.pending is not None:
                    raise self.pending from None
                self.result = stop.value
                return None
            except BaseException:
                if self.pending is not None:
                    raise self.pending from None
                raise
            self.value, self.error = None, None
            if self.pending is None:
                return effect
            self.error, self.pending = self.pending, None  # the answer is in: now the flow may cancel


def drive(
    transport: Transport,
    flow: Flow,
    abort: threading.Event | None = None,
    waiters: concurrent.futures.Executor | None = None,
    clock: Clock | None = None,
) -> Any:
    """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel.

    ``waiters``: threads to wait on for answers (a batch brings its own); else the transport's.
    ``clock``: the real one by default; a fake one makes every wait instant and moves the flows' deadlines.
    """
    if clock is None:
        return _drive(transport, flow, abort, waiters, REAL_CLOCK)
    with flows_clock(clock.monotonic):
        return _drive(transport, flow, abort, waiters, clock)


def _drive(
    transport: Transport,
    flow: Flow,
    abort: threading.Event | None,
    waiters: concurrent.futures.Executor | None,
    clock: Clock,
) -> Any:
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            steps.value, steps.pending = _perform(transport, effect, abort, waiters, clock)
        except (KeyboardInterrupt, httpx.TransportError, StorageError) as exc:
            steps.error = exc
    return steps.result


def upload(transport: Transport, effect: Upload, clock: Clock | None = None) -> str:
    """Perform an `Upload`: the bytes go up once per cache (concurrent runs wait for the one upload)."""
    uploads, file, progress = effect.uploads, effect.file, effect.progress
    future, mine = uploads.claim(file)
    if mine:
        try:
            # Driven as a client's own upload always was: no abort or batch waiters (Ctrl-C still lands).
            record = drive(transport, upload_flow(effect.base_url, file, progress), clock=clock)
        except BaseException as exc:
            uploads.settle(file, future, exc)
            raise
        uploads.settle(file, future, record)
    record = future.result()
    if not mine and progress:
        progress(record.size, record.size)
    return record.url


async def aupload(transport: AsyncTransport, effect: Upload, clock: Clock | None = None) -> str:
    """`upload` on the event loop."""
    uploads, file, progress = effect.uploads, effect.file, effect.progress
    # In a thread: a claim may hash the file or wait for another upload, which must not stall the loop.
    claiming = asyncio.ensure_future(asyncio.to_thread(uploads.claim, file))
    try:
        future, mine = await asyncio.shield(claiming)
    except asyncio.CancelledError:
        # The claim goes on in its thread; one that makes the upload ours is settled, else others of these
        # bytes would wait for it forever.
        claiming.add_done_callback(lambda done: _abandon_claim(uploads, file, done))
        raise
    if mine:
        try:
            record = await adrive(transport, upload_flow(effect.base_url, file, progress), clock)
        except BaseException as exc:
            uploads.settle(file, future, exc)
            raise
        uploads.settle(file, future, record)
    done: UploadedFile = await asyncio.wrap_future(future)
    if not mine and progress:
        progress(done.size, done.size)
    return done.url


def _abandon_claim(uploads: UploadCache, file: LocalFile, claiming: asyncio.Future[Any]) -> None:
    if not claiming.cancelled() and claiming.exception() is None:
        future, mine = claiming.result()
        if mine:
            uploads.settle(file, future, asyncio.CancelledError())


def _perform(
    transport: Transport,
    effect: Effect,
    abort: threading.Event | None,
    waiters: concurrent.futures.Executor | None,
    clock: Clock,
) -> tuple[Any, BaseException | None]:
    if isinstance(effect, Sleep):
        clock.sleep(effect.seconds, abort)
        return None, None
    if isinstance(effect, Upload):
        return upload(transport, effect, clock if clock is not REAL_CLOCK else None), None
    if isinstance(effect, (StoreUpload, StoreDelete)):
        return _store(effect, abort), None
    # Only the main thread receives Ctrl-C, and only an abort event reaches other threads: elsewhere the
    # request is simply made here.
    interruptible = abort is not None or threading.current_thread() is threading.main_thread()
    if not (interruptible and (effect.interrupt_safe or abort is not None)):
        return transport.send(effect), None
    sent = time.monotonic()
    future = waiters.submit(transport.send, effect) if waiters is not None else transport.start(effect)
    try:
        return _wait(future, abort), None
    except KeyboardInterrupt as interrupt:
        if not effect.interrupt_safe:
            raise
        # Its id comes with the answer (a default create holds a second at most), then the cancel by id.
        left = (effect.answer_within or effect.timeout or 0) - (time.monotonic() - sent)
        print(
            f"Interrupted: waiting up to {max(1, math.ceil(left))} s to cancel; "
            "Ctrl-C again leaves it running.",
            file=sys.stderr,
        )
        try:
            return _wait(future, None), interrupt
        except httpx.TransportError:
            raise interrupt from None


async def adrive(transport: AsyncTransport, flow: Flow, clock: Clock | None = None) -> Any:
    """Run a flow on the event loop. Cancelling the task is thrown into the flow, like Ctrl-C."""
    if clock is None:
        return await _adrive(transport, flow, REAL_CLOCK)
    with flows_clock(clock.monotonic):
        return await _adrive(transport, flow, clock)


async def _adrive(transport: AsyncTransport, flow: Flow, clock: Clock) -> Any:
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            if isinstance(effect, Sleep):
                await clock.asleep(effect.seconds)
            elif isinstance(effect, Upload):
                steps.value = await aupload(transport, effect, clock if clock is not REAL_CLOCK else None)
            elif isinstance(effect, (StoreUpload, StoreDelete)):
                steps.value = await _astore(effect)
            elif effect.interrupt_safe:
                task = asyncio.ensure_future(transport.send(effect))
                try:
                    steps.value = await asyncio.shield(task)
                except (asyncio.CancelledError, KeyboardInterrupt) as interrupt:
                    steps.value, steps.pending = await task, interrupt
            else:
                steps.value = await transport.send(effect)
        except (asyncio.CancelledError, KeyboardInterrupt, httpx.TransportError, StorageError) as exc:
            steps.error = exc
    return steps.result


def _store(effect: StoreUpload | StoreDelete, abort: threading.Event | None) -> str | None:
    """The bucket's effects: blocking calls into obstore. An upload stops at its next chunk on Ctrl-C (or
    when ``abort`` is set) and aborts the multipart upload."""
    if isinstance(effect, StoreDelete):
        effect.stores.forget(effect.location, effect.file, effect.key)
        return None
    record = effect.stores.put(effect.location, effect.file, effect.progress, abort, effect.key)
    return effect.stores.sign(record, effect.expiry)


async def _astore(effect: StoreUpload | StoreDelete) -> str | None:
    abort = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(_store, effect, abort))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        abort.set()  # the upload stops at its next chunk and aborts; wait for that before going on
        with contextlib.suppress(BaseException):
            await task
        raise


def _wait(future: concurrent.futures.Future[httpx.Response], abort: threading.Event | None) -> httpx.Response:
    # Short waits in a loop: a bare result() would not see _thread.interrupt_main() or the abort event.
    while True:
        if abort is not None and abort.is_set():
            raise KeyboardInterrupt
        try:
            return future.result(timeout=0.1)
        except concurrent.futures.TimeoutError:
            continue


def _sleep(seconds: float, abort: threading.Event | None) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if abort is not None:
            if abort.wait(min(left, 0.1)):
                raise KeyboardInterrupt
        else:
            time.sleep(min(left, 0.1))
