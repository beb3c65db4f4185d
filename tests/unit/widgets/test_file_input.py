"""FileInput's kernel side driven with the messages its front end sends: one reply per request, entries
published as metadata only, TransferError for a file in transit, spool removed with its entry."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

import replicate_widget as rw
from replicate_widget.wire.protocol import LIMITS, PROTOCOL_VERSION


class Front:
    """Plays the front end: numbered requests, replies collected from widget.send."""

    def __init__(self, widget, session="page-1"):
        self.w, self.session, self.rid, self.replies = widget, session, 0, []
        widget.send = lambda content, buffers=None: self.replies.append(content)

    def request(self, kind, buffers=None, **fields):
        self.rid += 1
        self.w._on_msg(self.w, {"kind": kind, "rid": self.rid, "session": self.session, **fields}, buffers)
        reply = self.replies[-1]
        assert reply["rid"] == self.rid
        return reply

    def send_file(self, entry_id, name, data, chunk=4096, stop_at=None, type="application/octet-stream"):
        assert self.request("begin", id=entry_id, name=name, size=len(data), type=type)["ok"]
        for offset in range(0, len(data), chunk):
            if stop_at is not None and offset >= stop_at:
                return None
            reply = self.request(
                "chunk", [memoryview(data[offset : offset + chunk])], id=entry_id, offset=offset
            )
            assert reply["ok"], reply
        return reply


@pytest.fixture
def widget():
    w = rw.FileInput(upload="on-run")
    yield w
    w.close()


def test_every_request_gets_exactly_one_reply(widget):
    front = Front(widget)
    front.request("hello", version=PROTOCOL_VERSION)
    front.request("ping")
    front.request("nonsense")
    front.w._on_msg(widget, "not even a dict", None)
    assert len(front.replies) == 4
    assert [r["ok"] for r in front.replies] == [True, True, False, False]
    assert front.replies[0]["chunk_size"] == LIMITS["JUPYTER_CHUNK_BYTES"]


def test_file_arrives_whole_and_is_listed_without_bytes(widget):
    data = os.urandom(50_000)
    last = Front(widget).send_file("e1", "photo.jpg", data, type="image/jpeg")
    assert last["complete"]
    assert last["sha256"] == hashlib.sha256(data).hexdigest()
    [f] = widget.files
    assert f.read() == data
    assert f.sha256 == hashlib.sha256(data).hexdigest()
    assert f.name == "photo.jpg"
    assert widget.inputs == [f]
    [entry] = widget.entries
    assert entry["state"] == "ready"
    assert entry["size"] == len(data)
    state = json.dumps(widget.get_state())
    assert data[:64].hex() not in state
    assert "base64" not in state
    assert str(f.path) not in state


def test_file_in_transit_raises_transfer_error_with_progress(widget):
    Front(widget).send_file("e1", "big.bin", os.urandom(40_000), stop_at=20_000)
    with pytest.raises(rw.TransferError) as err:
        _ = widget.inputs
    assert err.value.progress == pytest.approx(20_480 / 40_000)
    assert "still on its way" in str(err.value)


def test_reload_cuts_off_unfinished_transfers(widget):
    Front(widget, "page-1").send_file("e1", "half.bin", os.urandom(40_000), stop_at=20_000)
    Front(widget, "page-2").request("hello", version=PROTOCOL_VERSION)
    [entry] = widget.entries
    assert entry["state"] == "error"
    assert "pick again" in entry["error"]
    with pytest.raises(rw.TransferError):
        _ = widget.inputs
    assert widget.files == []


def test_remove_deletes_the_spool_file(widget):
    front = Front(widget)
    front.send_file("e1", "a.txt", b"hello")
    path = widget.files[0].path
    assert front.request("remove", id="e1")["ok"]
    assert not path.exists()
    assert widget.entries == []
    assert widget.files == []


def test_pasted_url_is_an_input(widget):
    front = Front(widget)
    front.send_file("e1", "a.txt", b"hello")
    assert front.request("url", id="u1", url="https://example.com/cat.png")["ok"]
    assert widget.urls == ["https://example.com/cat.png"]
    assert [type(x).__name__ for x in widget.inputs] == ["LocalFile", "str"]
    assert widget.entries[1]["name"] == "cat.png"


def test_same_file_twice_gives_two_entries(widget):
    front = Front(widget)
    front.send_file("e1", "a.txt", b"same")
    front.send_file("e2", "a.txt", b"same")
    assert len(widget.files) == 2
    assert widget.files[0].path != widget.files[1].path


def test_too_large_is_refused_by_the_kernel_too(widget):
    reply = Front(widget).request(
        "begin", id="e1", name="huge.bin", size=LIMITS["MAX_FILE_BYTES"] + 1, type=""
    )
    assert reply["ok"] is False
    assert reply["error"]["code"] == "too-large"
    assert widget.entries == []


def test_close_removes_every_spool_file():
    w = rw.FileInput(upload="on-run")
    Front(w).send_file("e1", "a.txt", b"bytes")
    folder = w._receiver.folder
    w.close()
    assert not folder.exists()


def test_static_listing_for_viewers_without_widgets(widget):
    Front(widget).send_file("e1", "<b>.txt", b"x")
    data, _ = widget._repr_mimebundle_()
    assert "&lt;b&gt;.txt" in data["text/html"]
    assert "<b>.txt" in data["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in data


def test_upload_default_follows_the_target(monkeypatch):
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:5000")
    assert rw.FileInput().upload == "eager"
    monkeypatch.setenv("REPLICATE_BASE_URL", "https://proxy.example.com")
    assert rw.FileInput().upload == "on-run"
    with pytest.raises(ValueError, match="eager"):
        rw.FileInput(upload="sometimes")


def test_eager_upload_without_a_token_leaves_the_file_ready_without_noise(monkeypatch):
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    client = rw.Client(base_url="http://127.0.0.1:9")  # nothing listens there; no request should be made
    w = rw.FileInput(client=client, upload="eager")
    Front(w).send_file("e1", "big.bin", os.urandom(1_200_000), chunk=1 << 20)
    w._pool.shutdown(wait=True)
    [entry] = w.entries
    assert entry["state"] == "ready"
    assert entry["error"] == ""
    w.close()
