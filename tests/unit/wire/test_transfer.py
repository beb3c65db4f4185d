"""The kernel-side receiver: spooling, hashing in order or out of order, duplicates, limits, cleanup."""

from __future__ import annotations

import gc
import hashlib
import os
import stat

import pytest

from replicate_widget.wire.protocol import ErrorCode, ProtocolError
from replicate_widget.wire.transfer import Receiver


def chunks(data: bytes, size: int) -> list[tuple[int, bytes]]:
    return [(o, data[o : o + size]) for o in range(0, len(data), size)]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_in_order_chunks_assemble_with_their_sha256(receiver):
    data = os.urandom(300_001)
    receiver.begin("a", "photo.png", len(data), "image/png", "s1")
    for offset, piece in chunks(data, 65_536):
        t = receiver.chunk("a", offset, memoryview(piece))
    assert t.complete
    assert t.sha256 == hashlib.sha256(data).hexdigest()
    assert t.path.read_bytes() == data
    assert t.path.name == "photo.png"


def test_out_of_order_and_duplicate_chunks_still_assemble(receiver):
    data = os.urandom(10 * 4096 + 17)
    receiver.begin("b", "x.bin", len(data), "application/octet-stream", "s1")
    parts = chunks(data, 4096)
    order = parts[::-1] + parts[3:5]  # reversed (marimo keeps no order), then two resends
    for offset, piece in order:
        t = receiver.chunk("b", offset, piece)
    assert t.complete
    assert t.received == len(data)
    assert t.sha256 == hashlib.sha256(data).hexdigest()


def test_incomplete_transfer_is_never_complete(receiver):
    data = os.urandom(10_000)
    receiver.begin("c", "c.bin", len(data), "", "s1")
    t = receiver.chunk("c", 0, data[:5000])
    assert not t.complete
    assert t.sha256 is None
    assert t.progress == pytest.approx(0.5)


def test_chunk_past_the_announced_size_is_refused(receiver):
    receiver.begin("d", "d.bin", 10, "", "s1")
    with pytest.raises(ProtocolError) as err:
        receiver.chunk("d", 5, b"0123456789")
    assert err.value.code == ErrorCode.SIZE_MISMATCH


def test_overlapping_chunk_is_refused(receiver):
    receiver.begin("e", "e.bin", 20, "", "s1")
    receiver.chunk("e", 0, b"0123456789")
    with pytest.raises(ProtocolError):
        receiver.chunk("e", 5, b"0123456789")


def test_file_over_the_limit_is_refused_before_any_byte():
    r = Receiver(max_bytes=100)
    with pytest.raises(ProtocolError) as err:
        r.begin("f", "big.bin", 101, "", "s1")
    assert err.value.code == ErrorCode.TOO_LARGE
    assert list(r.folder.iterdir()) == []
    r.close()


def test_unknown_entry_says_pick_again(receiver):
    with pytest.raises(ProtocolError) as err:
        receiver.chunk("nope", 0, b"x")
    assert err.value.code == ErrorCode.UNKNOWN_ENTRY
    assert "pick the file again" in str(err.value)


def test_empty_file_is_complete_at_once(receiver):
    t = receiver.begin("g", "empty.txt", 0, "text/plain", "s1")
    assert t.complete
    assert t.sha256 == hashlib.sha256(b"").hexdigest()


def test_cut_off_drops_partial_bytes_of_other_sessions_only(receiver):
    receiver.begin("old", "old.bin", 100, "", "page-1")
    receiver.chunk("old", 0, b"x" * 50)
    receiver.begin("new", "new.bin", 100, "", "page-2")
    receiver.chunk("new", 0, b"y" * 50)
    lost = receiver.cut_off(keep_session="page-2")
    assert [t.id for t in lost] == ["old"]
    assert receiver.get("old").path.stat().st_size == 0
    with pytest.raises(ProtocolError) as err:
        receiver.chunk("old", 50, b"x" * 50)
    assert err.value.code == ErrorCode.CUT_OFF
    assert not receiver.get("old").complete
    assert receiver.chunk("new", 50, b"y" * 50).complete


def test_spool_folder_is_private_and_removed(receiver):
    assert stat.S_IMODE(receiver.folder.stat().st_mode) == 0o700
    t = receiver.begin("h", "h.txt", 3, "", "s1")
    receiver.chunk("h", 0, b"abc")
    assert stat.S_IMODE(t.path.stat().st_mode) == 0o600
    receiver.remove("h")
    assert not t.path.exists()
    folder = receiver.folder
    receiver.close()
    assert not folder.exists()


def test_spool_folder_goes_when_the_receiver_is_collected():
    r = Receiver()
    r.begin("i", "i.txt", 3, "", "s1")
    folder = r.folder
    del r
    gc.collect()
    assert not folder.exists()


def test_path_tricks_in_names_stay_inside_the_spool(receiver):
    t = receiver.begin("j", "../../etc/passwd", 1, "", "s1")
    assert t.path.parent.parent == receiver.folder
    assert t.path.name == "passwd"
