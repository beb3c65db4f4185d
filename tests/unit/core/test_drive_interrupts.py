"""Ctrl-C during a create on the main thread: held back until the answer is in, a second one leaves at once.

The create is sent on the main thread itself (no hop to a waiting thread: that cost more than the rest of a
run's client code), under a SIGINT handler of the driver's own that is gone again afterwards.
"""

import os
import signal
import threading

import httpx
import pytest

from replicate_widget.core.drive import drive
from replicate_widget.core.http import Call

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


class Transport:
    def __init__(self, interrupts: int = 0) -> None:
        self.interrupts = interrupts
        self.threads: list[threading.Thread] = []

    def send(self, call: Call) -> httpx.Response:
        self.threads.append(threading.current_thread())
        for _ in range(self.interrupts):
            os.kill(os.getpid(), signal.SIGINT)  # handled before kill returns: the handler runs now
        return httpx.Response(201, json={"id": "p"}, request=httpx.Request(call.method, call.url))

    def start(self, call: Call):  # pragma: no cover - the main thread does not hop
        raise AssertionError("the create went to a waiting thread")

    def upload(self, file, progress):  # pragma: no cover
        raise AssertionError


def create_flow(seen: list):
    call = Call("POST", "http://api.test/v1/predictions", json={}, interrupt_safe=True, answer_within=1.0)
    try:
        response = yield call
        seen.append(response.json()["id"])
    except KeyboardInterrupt:
        seen.append("interrupted before the answer")
        raise
    return "done"


def test_the_create_is_sent_on_the_main_thread_and_the_handler_put_back():
    transport, seen = Transport(), []
    assert drive(transport, create_flow(seen)) == "done"
    assert transport.threads == [threading.main_thread()]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_one_interrupt_waits_for_the_answer_then_reaches_the_flow(capsys):
    transport, seen = Transport(interrupts=1), []

    def flow():
        yield from create_flow(seen)
        yield Call("GET", "http://api.test/never")  # the interrupt comes before this

    with pytest.raises(KeyboardInterrupt):
        drive(transport, flow())
    assert seen == ["p"]  # the answer (the id to cancel by) first
    assert "waiting up to 1 s to cancel; Ctrl-C again leaves it running" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_interrupt_leaves_at_once():
    transport, seen = Transport(interrupts=2), []
    with pytest.raises(KeyboardInterrupt):
        drive(transport, create_flow(seen))
    assert seen == ["interrupted before the answer"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
