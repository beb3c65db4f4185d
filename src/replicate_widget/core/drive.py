"""The two drivers of flows: `drive` (sync, over a `Transport`), `adrive` (async, over an `AsyncTransport`).

A flow is a generator of effects (see http.py); a driver performs each effect and sends back its result.
Interrupts (Ctrl-C, task cancellation, a batch's abort) are thrown into the flow so it can cancel remotely.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from .errors import StorageError
from .http import Effect, Flow, Sleep, StoreDelete, StoreUpload, Upload

if TYPE_CHECKING:
    from .transport import AsyncTransport, Transport


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
) -> Any:
    """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel.

    ``waiters``: threads to wait on for answers (a batch brings its own); else the transport's.
    """
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            steps.value, steps.pending = _perform(transport, effect, abort, waiters)
        except (KeyboardInterrupt, httpx.TransportError, StorageError) as exc:
            steps.error = exc
    return steps.result


def _perform(
    transport: Transport,
    effect: Effect,
    abort: threading.Event | None,
    waiters: concurrent.futures.Executor | None,
) -> tuple[Any, BaseException | None]:
    if isinstance(effect, Sleep):
        _sleep(effect.seconds, abort)
        return None, None
    if isinstance(effect, Upload):
        return transport.upload(effect.file, effect.progress), None
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


async def adrive(transport: AsyncTransport, flow: Flow) -> Any:
    """Run a flow on the event loop. Cancelling the task is thrown into the flow, like Ctrl-C."""
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            if isinstance(effect, Sleep):
                await asyncio.sleep(effect.seconds)
            elif isinstance(effect, Upload):
                steps.value = await transport.upload(effect.file, effect.progress)
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
