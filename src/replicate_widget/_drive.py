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

from ._errors import APIError
from ._http import Effect, Flow, Sleep, Upload

if TYPE_CHECKING:
    from ._client import Client


def drive(client: Client, flow: Flow, abort: threading.Event | None = None) -> Any:
    """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel."""
    pending: BaseException | None = None
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            if pending is not None:
                raise pending from None
            return stop.value
        except BaseException:
            if pending is not None:
                raise pending from None
            raise
        value, error = None, None
        if pending is not None:
            error, pending = pending, None  # the answer is in: now the flow may cancel
            continue
        try:
            value, pending = _perform(client, effect, abort)
        except (KeyboardInterrupt, httpx.TransportError) as exc:
            error = exc


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
    pending: BaseException | None = None
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            if pending is not None:
                raise pending from None
            return stop.value
        except BaseException:
            if pending is not None:
                raise pending from None
            raise
        value, error = None, None
        if pending is not None:
            error, pending = pending, None
            continue
        try:
            if isinstance(effect, Sleep):
                await asyncio.sleep(effect.seconds)
            elif isinstance(effect, Upload):
                value = await client.async_upload(effect.file, effect.progress)
            elif effect.interrupt_safe:
                task = asyncio.ensure_future(client._arequest(effect))
                try:
                    value = await asyncio.shield(task)
                except (asyncio.CancelledError, KeyboardInterrupt) as interrupt:
                    if effect.on_interrupt is not None:
                        with contextlib.suppress(APIError):
                            await adrive(client, effect.on_interrupt())
                    value, pending = await task, interrupt
            else:
                value = await client._arequest(effect)
        except (asyncio.CancelledError, KeyboardInterrupt, httpx.TransportError) as exc:
            error = exc


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
