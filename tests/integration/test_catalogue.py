"""Every case of the bad-input catalogue (tests/catalogue/) against the real local server.

Each case must end as its row says (docs/errors.md), and besides: finish within its time limit, never show
the API token, print no traceback that is not ours, and leave TMPDIR empty.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import replicate_widget as rw
from tests.catalogue import Case, all_cases
from tests.catalogue.support import Ctx

CASES = all_cases()


class CaseHung(BaseException):
    """The case ran past its limit."""


@contextlib.contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise CaseHung(f"the case ran past its {seconds} s limit")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Tracebacks(logging.Handler):
    """Log records carrying a traceback, from any logger (the local server's uvicorn ones included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.levelno >= logging.WARNING:
            self.seen.append(f"{record.name}: {record.getMessage()}")


@contextlib.contextmanager
def watched() -> Iterator[list[str]]:
    """Collect tracebacks from log records and from threads that died of an exception."""
    found: list[str] = []
    handler = Tracebacks()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    previous = threading.excepthook
    threading.excepthook = lambda args: found.append(f"thread {args.thread}: {args.exc_type.__name__}")
    try:
        yield found
    finally:
        threading.excepthook = previous
        for logger in loggers:
            logger.removeHandler(handler)
        found.extend(handler.seen)


def _exception_class(name: str) -> type[BaseException]:
    cls = getattr(rw, name, None) or getattr(builtins, name, None)
    assert isinstance(cls, type), f"unknown outcome {name!r}"
    assert issubclass(cls, BaseException), f"unknown outcome {name!r}"
    return cls


def check(case: Case, ctx: Ctx) -> str:
    """Run the case and check its outcome; return every text the user would see, for the global checks."""
    kind, _, rest = case.outcome.partition(" ")
    if kind == "ok":
        case.act(ctx)
        return ""
    if kind == "HTTP":
        response = case.act(ctx)
        assert isinstance(response, httpx.Response), response
        assert response.status_code == int(rest), response.text[:500]
        assert case.message in response.text, response.text[:500]
        assert "Traceback" not in response.text
        return response.text
    if kind == "reply":
        reply = case.act(ctx)
        assert reply["ok"] is False, reply
        assert reply["error"]["code"] == rest, reply
        assert case.message in reply["error"]["message"], reply
        return str(reply)
    if kind == "exit":
        code, text = case.act(ctx)
        assert code == int(rest), text
        assert case.message in text, text
        assert "Traceback" not in text, text
        return str(text)
    with pytest.raises(_exception_class(kind)) as info:
        case.act(ctx)
    text = str(info.value)
    assert case.message in text
    if rest:
        assert getattr(info.value, "status", None) == int(rest), text
    return text


def _params() -> list[Any]:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
        for c in CASES
    ]


WARM_UP = {
    "demo/slow-echo": {"text": "warm", "seconds": 0, "steps": 1},
    "demo/story": {"sentences": 1, "delay": 0},
    "demo/file-info": {"file": "data:text/plain;base64,d2FybQ=="},
    "demo/grayscale": {
        "image": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4"
        "nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
    },
    "demo/contact-sheet": {"images": [], "thumb_size": 32},
}


@pytest.fixture(scope="module", autouse=True)
def warm_workers(local_server) -> None:
    """Start every demo model's Cog worker at once (each takes seconds to start), not one case at a time."""
    headers = {"authorization": f"Bearer {local_server.token}"}
    with httpx.Client(base_url=local_server.base_url, headers=headers, timeout=60) as http:
        ids = [
            http.post(f"/v1/models/{m}/predictions", json={"input": v}).json()["id"]
            for m, v in WARM_UP.items()
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [http.get(f"/v1/predictions/{i}").json()["status"] for i in ids]
            if all(s in ("succeeded", "failed") for s in states):
                return
            time.sleep(0.1)


@pytest.fixture
def ctx(server, tmp_path, monkeypatch, request) -> Iterator[Ctx]:
    tmpdir = tmp_path / "TMPDIR"
    work = tmp_path / "work"
    tmpdir.mkdir()
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    monkeypatch.chdir(work)
    context = Ctx(server, work, tmpdir)
    context.fixture = request.getfixturevalue  # a case that needs more (a bucket on moto) asks for it
    yield context
    context.close()


@pytest.mark.parametrize("case", _params())
def test_case(case: Case, ctx: Ctx, capfd) -> None:
    with watched() as tracebacks, hang_guard(case.limit):
        shown = check(case, ctx)
    ctx.close()  # widgets and clients closed as a notebook would: what they wrote must go with them
    out, err = capfd.readouterr()
    assert ctx.server.token not in shown + out + err, "the API token was shown"
    assert "Traceback" not in out + err, out + err
    assert tracebacks == [], tracebacks
    left = sorted(str(p.relative_to(ctx.tmpdir)) for p in ctx.tmpdir.rglob("*"))
    assert left == [], f"left behind in TMPDIR: {left}"


def test_the_catalogue_is_large_and_each_entry_point_has_cases() -> None:
    assert len(CASES) >= 60
    assert {c.entry for c in CASES} == {"Python call", "widget", "CLI", "local server"}
