"""A scripted httpx transport and a fake clock: the flows and drivers tested without a server or real waits.

`Scripted(*steps)` answers the requests it expects, in order: each `Step` names a method and a path and the
response to give. It records every request (`sent`), and an unexpected one fails the test (an AssertionError
raised into the client, and kept in `unexpected` in case the code under test swallows errors: `check()`).
It is a sync and an async transport at once, like httpx.MockTransport, so `rw.Client(transport=...)` takes it.

`FakeClock` is a drive.Clock whose sleeps take no time: it notes each requested wait and moves its time on,
and the flows' deadlines read it (the driver installs it as their clock).
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Step:
    """One expected request (``method`` and URL ``path``) and its answer. ``during`` runs while the request is
    in flight, before the answer is given (an awaitable it returns is awaited by the async transport)."""

    method: str
    path: str
    json: Any = None
    status: int = 200
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    during: Callable[[], Any] | None = None

    def response(self) -> httpx.Response:
        if self.content is not None:
            return httpx.Response(self.status, content=self.content, headers=self.headers)
        return httpx.Response(self.status, json=self.json, headers=self.headers)


@dataclass(frozen=True)
class Sent:
    """A request as it arrived: its body parsed as JSON when it is JSON."""

    method: str
    url: str
    headers: httpx.Headers
    json: Any


class Scripted(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.sent: list[Sent] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()

    def _take(self, request: httpx.Request) -> Step:
        with self._lock:
            self.sent.append(Sent(request.method, str(request.url), request.headers, _body(request.content)))
            step = self.steps[0] if self.steps else None
            if step is None or (step.method, step.path) != (request.method, request.url.path):
                wanted = f"{step.method} {step.path}" if step else "no more requests"
                message = f"unexpected request {request.method} {request.url}; the script expected {wanted}"
                self.unexpected.append(message)
                raise AssertionError(message)
            return self.steps.pop(0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        step = self._take(request)
        if step.during is not None:
            step.during()
        return step.response()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        step = self._take(request)
        if step.during is not None:
            result = step.during()
            if inspect.isawaitable(result):
                await result
        return step.response()

    def check(self) -> None:
        """Every step was asked for, and nothing else."""
        assert not self.unexpected, self.unexpected
        assert not self.steps, f"never requested: {[(s.method, s.path) for s in self.steps]}"

    def requests(self) -> list[tuple[str, str]]:
        return [(s.method, s.url) for s in self.sent]


def _body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content


class FakeClock:
    """Monotonic time in whole nanoseconds (so that deadlines add up exactly), moved on by each sleep."""

    def __init__(self) -> None:
        self._ns = 0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self._ns / 1e9

    def sleep(self, seconds: float, abort: threading.Event | None) -> None:
        if abort is not None and abort.is_set():
            raise KeyboardInterrupt
        self._advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._ns += round(seconds * 1e9)
