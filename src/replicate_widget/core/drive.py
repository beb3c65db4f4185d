"""The two drivers of flows: one with httpx.Client (sync), one with httpx.AsyncClient (async).

A flow is a generator of effects (see _http.py); a driver performs each effect and sends back its result.
Interrupts (Ctrl-C, task cancellation, a batch's abort) are thrown into the flow so it can cancel remotely.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from .errors import APIError
from .http import Effect, Flow, Sleep, Upload

if TYPE_CHECKING:
    from .client import Client


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


def drive(client: Client, flow: Flow, abort: threading.Event | None = None) -> Any:
    """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel."""
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            steps.value, steps.pending = _perform(client, effect, abort)
        except (KeyboardInterrupt, httpx.TransportError) as exc:
            steps.error = exc
    return steps.result


def _perform(
    client: Client, effect: Effect, abort: threading.Event | None
) -> tuple[Any, BaseException | None]:
    if isinstance(effect, Sleep):
        _sleep(effect.seconds, abort)
        return None, None
    if isinstance(effect, Upload):
        return client.upload(effect.file, effect.progress), None
    if not effect.interrupt_safe and abort is None:
        return client._request(effect), None
    future = client._pool.submit(client._request, effect)
    try:
        return _wait(future, abort), None
    except KeyboardInterrupt as interrupt:
        if not effect.interrupt_safe:
            raise
        print("Interrupted: cancelling the prediction (Ctrl-C again leaves it running).", file=sys.stderr)
        if effect.on_interrupt is not None:
            with contextlib.suppress(APIError):
                drive(client, effect.on_interrupt())
        try:
            return _wait(future, None), interrupt
        except httpx.TransportError:
            raise interrupt from None


async def adrive(client: Client, flow: Flow) -> Any:
    """Run a flow on the event loop. Cancelling the task is thrown into the flow, like Ctrl-C."""
    steps = _Steps(flow)
    while (effect := steps.next()) is not None:
        try:
            if isinstance(effect, Sleep):
                await asyncio.sleep(effect.seconds)
            elif isinstance(effect, Upload):
                steps.value = await client.async_upload(effect.file, effect.progress)
            elif effect.interrupt_safe:
                task = asyncio.ensure_future(client._arequest(effect))
                try:
                    steps.value = await asyncio.shield(task)
                except (asyncio.CancelledError, KeyboardInterrupt) as interrupt:
                    if effect.on_interrupt is not None:
                        with contextlib.suppress(APIError):
                            await adrive(client, effect.on_interrupt())
                    steps.value, steps.pending = await task, interrupt
            else:
                steps.value = await client._arequest(effect)
        except (asyncio.CancelledError, KeyboardInterrupt, httpx.TransportError) as exc:
            steps.error = exc
    return steps.result


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
