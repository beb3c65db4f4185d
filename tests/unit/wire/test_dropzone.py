"""The drop zone's kernel half on its own (no widget): one reply per request whatever a handler does, the
protocol version compared on hello, entries grouped by the id's field, TransferError for files in transit."""

from __future__ import annotations

import os
import threading
import time

import pytest

from replicate_widget.core.errors import TransferError
from replicate_widget.wire.dropzone import DropZone
from replicate_widget.wire.endpoint import Endpoint
from replicate_widget.wire.protocol import PROTOCOL_VERSION, ErrorCode, Kind, ProtocolError


class Page:
    """A front end talking to an Endpoint + DropZone, with every reply kept."""

    def __init__(self, group_of=lambda _id: "") -> None:
        self.replies: list[dict] = []
        self.published = 0
        self.endpoint = Endpoint(self.replies.append, "test widget")
        self.zone = DropZone(
            self.endpoint, self._changed, client=lambda: pytest.fail("no client needed"), eager=lambda: False,
            group_of=group_of,
        )  # fmt: skip
        self.rid = 0

    def _changed(self) -> None:
        self.published += 1

    def request(self, kind: str, buffers=None, session: str = "page", **fields) -> dict:
        self.rid += 1
        before = len(self.replies)
        self.endpoint.handle({"kind": kind, "rid": self.rid, "session": session, **fields}, buffers)
        assert len(self.replies) == before + 1
        return self.replies[-1]


@pytest.fixture
def page():
    p = Page()
    yield p
    p.zone.close()


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyError("x"), MemoryError(), ProtocolError(ErrorCode.IO, "x")]
)
def test_a_handler_that_raises_still_gets_its_one_reply(page, monkeypatch, error):
    assert page.request("begin", id="e1", name="a.bin", size=8, type="")["ok"]

    def broken(*_args):
        raise error

    monkeypatch.setattr(page.zone._receiver, "chunk", broken)
    reply = page.request("chunk", [b"12345678"], id="e1", offset=0)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "io"
    [entry] = page.zone.public()
    assert entry["state"] == "error"  # not left "receiving" forever
    with pytest.raises(TransferError, match="did not arrive whole"):
        page.zone.values()


def test_requests_from_two_threads_are_handled_one_at_a_time():
    # ipykernel 7 may hand a widget's messages to a subshell's thread and the main one at once.
    replies: list[dict] = []
    endpoint = Endpoint(replies.append, "test widget")
    active, most = 0, 0

    def slow(_request, _buffers):
        nonlocal active, most
        active += 1
        most = max(most, active)
        time.sleep(0.05)
        active -= 1
        return {}

    endpoint.on(Kind.PING, slow)
    threads = [
        threading.Thread(target=endpoint.handle, args=({"kind": "ping", "rid": n, "session": "p"}, None))
        for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most == 1
    assert sorted(r["rid"] for r in replies) == [0, 1, 2, 3]
    assert all(r["ok"] for r in replies)


def test_a_kind_nobody_handles_is_refused_with_a_reply(page):
    reply = page.request("run")
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad-message"
    assert "takes no run requests" in reply["error"]["message"]


def test_another_protocol_version_is_refused_saying_reload_the_page(page):
    reply = page.request("hello", version=PROTOCOL_VERSION + 1)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "version-mismatch"
    assert "reload the page" in reply["error"]["message"]
    with pytest.raises(TransferError, match="reload the page"):
        page.zone.values()  # the kernel says so too, when Python code reads the inputs
    # The page reloaded with matching code: all is well again.
    reply = page.request("hello", version=PROTOCOL_VERSION)
    assert reply["ok"] is True
    assert reply["version"] == PROTOCOL_VERSION
    assert page.zone.values() == []


def test_hello_from_another_page_cuts_off_its_unfinished_transfers_only(page):
    page.request("begin", id="done", name="a", size=3, type="", session="old")
    page.request("chunk", [b"abc"], id="done", offset=0, session="old")
    page.request("begin", id="half", name="b", size=8, type="", session="old")
    page.request("chunk", [b"abcd"], id="half", offset=0, session="old")
    page.request("hello", version=PROTOCOL_VERSION, session="new")
    states = {e["id"]: e["state"] for e in page.zone.public()}
    assert states == {"done": "ready", "half": "error"}


def test_entries_are_grouped_by_their_ids_field():
    def group_of(entry_id: str) -> str:
        field = entry_id.split(":", 1)[0]
        if field not in ("image", "mask"):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{field!r} is not a file field")
        return field

    page = Page(group_of)
    data = os.urandom(100)
    page.request("begin", id="image:1", name="a.png", size=100, type="image/png")
    page.request("chunk", [data], id="image:1", offset=0)
    page.request("url", id="mask:2", url="https://example.com/m.png")
    assert [f.read() for f in page.zone.values("image")] == [data]
    assert page.zone.values("mask") == ["https://example.com/m.png"]
    reply = page.request("begin", id="prompt:3", name="x", size=1, type="")
    assert reply["error"]["code"] == "bad-message"
    assert len(page.zone.entries()) == 2
    page.zone.close()


def test_a_file_in_transit_is_a_transfer_error_with_its_progress(page):
    page.request("begin", id="e1", name="big.bin", size=10, type="")
    page.request("chunk", [b"12345"], id="e1", offset=0)
    with pytest.raises(TransferError, match="still on its way") as err:
        page.zone.values()
    assert err.value.progress == 0.5
