"""FileInput's kernel side driven with the messages its front end sends: one reply per request, entries
published as metadata only, TransferError for a file in transit, spool removed with its entry."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

import replicate_widget as rw
from replicate_widget.wire.protocol import LIMITS, PROTOCOL_VERSION


@pytest.fixture
def widget():
    w = rw.FileInput(upload="on-run")
    yield w
    w.close()


def test_every_request_gets_exactly_one_reply(widget, front):
    f = front(widget)
    f.request("hello", version=PROTOCOL_VERSION)
    f.request("ping")
    f.request("nonsense")
    f.request("run")  # a Playground command: FileInput refuses it, with a reply
    widget._handle_custom_msg("not even a dict", None)
    assert len(f.replies) == 5
    assert [r["ok"] for r in f.replies] == [True, True, False, False, False]
    assert f.replies[0]["chunk_size"] == LIMITS["JUPYTER_CHUNK_BYTES"]


def test_file_arrives_whole_and_is_listed_without_bytes(widget, front):
    data = os.urandom(50_000)
    last = front(widget).send_file("e1", "photo.jpg", data, type="image/jpeg")
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


def test_file_in_transit_raises_transfer_error_with_progress(widget, front):
    front(widget).send_file("e1", "big.bin", os.urandom(40_000), stop_at=20_000)
    with pytest.raises(rw.TransferError) as err:
        _ = widget.inputs
    assert err.value.progress == pytest.approx(20_480 / 40_000)
    assert "still on its way" in str(err.value)


def test_reload_pauses_a_transfer_and_a_re_pick_resumes_it_in_place(widget, front):
    data = os.urandom(200_000)
    key = {"last_modified": 1_700_000_000_123, "head_sha256": hashlib.sha256(data[:65_536]).hexdigest()}
    old = front(widget, "page-1")
    assert old.request("begin", id="e1", name="clip.mov", size=len(data), type="video/quicktime", **key)["ok"]
    for offset in range(0, 120_000, 40_000):
        old.request("chunk", [memoryview(data[offset : offset + 40_000])], id="e1", offset=offset)
    new = front(widget, "page-2")
    new.request("hello", version=PROTOCOL_VERSION)
    [entry] = widget.entries
    assert entry["state"] == "paused"
    assert entry["progress"] == pytest.approx(0.6)
    with pytest.raises(rw.TransferError, match=r"paused at 60%.*pick the same file again"):
        _ = widget.inputs
    # Picked again on the reloaded page: the kernel answers with the old entry and what it holds.
    reply = new.request("begin", id="e9", name="clip.mov", size=len(data), type="video/quicktime", **key)
    assert reply["ok"]
    assert reply["id"] == "e1"
    assert reply["have"] == [[0, 120_000]]
    assert [e["state"] for e in widget.entries] == ["receiving"]
    reply = new.request("chunk", [memoryview(data[120_000:])], id="e1", offset=120_000)
    assert reply["complete"]
    [file] = widget.files
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert [e["id"] for e in widget.entries] == ["e1"]


def test_a_resent_begin_after_a_cut_socket_lists_what_arrived(widget, front):
    f = front(widget)
    f.send_file("e1", "half.bin", os.urandom(40_000), stop_at=20_000)
    reply = f.request("begin", id="e1", name="half.bin", size=40_000, type="application/octet-stream")
    assert reply["have"] == [[0, 20_480]]
    assert not reply["complete"]


def test_reload_cuts_off_unfinished_transfers_it_could_not_recognise(widget, front):
    front(widget, "page-1").send_file("e1", "half.bin", os.urandom(40_000), stop_at=20_000)
    front(widget, "page-2").request("hello", version=PROTOCOL_VERSION)
    [entry] = widget.entries
    assert entry["state"] == "error"
    assert "pick again" in entry["error"]
    with pytest.raises(rw.TransferError):
        _ = widget.inputs
    assert widget.files == []


def test_remove_deletes_the_spool_file(widget, front):
    f = front(widget)
    f.send_file("e1", "a.txt", b"hello")
    path = widget.files[0].path
    assert f.request("remove", id="e1")["ok"]
    assert not path.exists()
    assert widget.entries == []
    assert widget.files == []


def test_pasted_url_is_an_input(widget, front):
    f = front(widget)
    f.send_file("e1", "a.txt", b"hello")
    assert f.request("url", id="u1", url="https://example.com/cat.png")["ok"]
    assert widget.urls == ["https://example.com/cat.png"]
    assert [type(x).__name__ for x in widget.inputs] == ["LocalFile", "str"]
    assert widget.entries[1]["name"] == "cat.png"


def test_same_file_twice_gives_two_entries(widget, front):
    f = front(widget)
    f.send_file("e1", "a.txt", b"same")
    f.send_file("e2", "a.txt", b"same")
    assert len(widget.files) == 2
    assert widget.files[0].path != widget.files[1].path


def test_too_large_is_refused_by_the_kernel_too(widget, front):
    reply = front(widget).request(
        "begin", id="e1", name="huge.bin", size=LIMITS["MAX_FILE_BYTES"] + 1, type=""
    )
    assert reply["ok"] is False
    assert reply["error"]["code"] == "too-large"
    assert widget.entries == []


def test_close_removes_every_spool_file(front):
    w = rw.FileInput(upload="on-run")
    front(w).send_file("e1", "a.txt", b"bytes")
    folder = w._zone.folder
    w.close()
    assert not folder.exists()


def test_static_listing_for_viewers_without_widgets(widget, front):
    front(widget).send_file("e1", "<b>.txt", b"x")
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


def test_eager_upload_without_a_token_leaves_the_file_ready_without_noise(monkeypatch, front):
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    client = rw.Client(base_url="http://127.0.0.1:9")  # nothing listens there; no request should be made
    w = rw.FileInput(client=client, upload="eager")
    front(w).send_file("e1", "big.bin", os.urandom(1_200_000), chunk=1 << 20)
    w._zone.wait_uploads()
    [entry] = w.entries
    assert entry["state"] == "ready"
    assert entry["error"] == ""
    w.close()
