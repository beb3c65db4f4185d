"""The kernel-side receiver: spooling, hashing in order or out of order, duplicates, limits, cleanup."""

from __future__ import annotations

import gc
import hashlib
import os
import stat

import pytest

from replicate_widget.wire.protocol import ErrorCode, ProtocolError
from replicate_widget.wire.spools import PausedSpools
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


def test_a_chunk_straddling_held_bytes_adds_only_the_new_ones(receiver):
    # Chunk sizes adapt, so a resend after a cut socket may overlap what arrived before it.
    data = bytes(range(40))
    receiver.begin("e", "e.bin", 40, "", "s1")
    receiver.chunk("e", 0, data[:10])
    receiver.chunk("e", 20, data[20:25])
    t = receiver.chunk("e", 5, data[5:30])
    assert t.received == 30
    assert t.held() == [[0, 30]]
    t = receiver.chunk("e", 28, data[28:])
    assert t.complete
    assert t.sha256 == hashlib.sha256(data).hexdigest()


def test_overlapping_chunk_with_other_bytes_is_refused(receiver):
    receiver.begin("e", "e.bin", 20, "", "s1")
    receiver.chunk("e", 0, b"0123456789")
    with pytest.raises(ProtocolError) as err:
        receiver.chunk("e", 5, b"XXXXXXXXXX")
    assert "disagree" in str(err.value)


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
    # Without lastModified and a head hash the file can't be recognised later: its partial bytes go.
    receiver.begin("old", "old.bin", 100, "", "page-1")
    receiver.chunk("old", 0, b"x" * 50)
    receiver.begin("new", "new.bin", 100, "", "page-2")
    receiver.chunk("new", 0, b"y" * 50)
    paused, lost = receiver.cut_off(keep_session="page-2")
    assert paused == []
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


# ---- pausing on a page reload, resuming on a re-pick


def head(data: bytes) -> str:
    return hashlib.sha256(data[: 64 * 1024]).hexdigest()


@pytest.fixture
def budget():
    return PausedSpools(budget_bytes=10**9, keep_seconds=3600)


@pytest.fixture
def paused_receiver(budget):
    r = Receiver(paused=budget)
    yield r
    r.close()


def start(r, entry_id, data, session, *, name="clip.mov", last_modified=1_700_000_000_000):
    kind = "video/quicktime"
    return r.begin(
        entry_id, name, len(data), kind, session, last_modified=last_modified, head_sha256=head(data)
    )


def test_a_reload_pauses_and_the_same_file_resumes_in_place_sending_only_the_rest(paused_receiver, budget):
    data = os.urandom(300_000)
    start(paused_receiver, "old", data, "page-1")
    for offset, piece in chunks(data, 65_536)[:3]:
        paused_receiver.chunk("old", offset, piece)
    paused, lost = paused_receiver.cut_off(keep_session="page-2")
    assert [t.id for t in paused] == ["old"]
    assert lost == []
    assert budget.held_bytes() == 3 * 65_536
    # The same file, picked again on the reloaded page under a new entry id: the old transfer goes on.
    t = start(paused_receiver, "new", data, "page-2")
    assert t.id == "old"
    assert t.held() == [[0, 3 * 65_536]]
    assert budget.held_bytes() == 0
    for offset, piece in chunks(data, 65_536)[3:]:
        t = paused_receiver.chunk("old", offset, piece)
    assert t.complete
    assert t.sha256 == hashlib.sha256(data).hexdigest()
    assert paused_receiver.get("new") is t  # the new id names the resumed transfer, not a second one


def test_chunks_sent_under_the_new_id_before_the_reply_land_in_the_resumed_spool(paused_receiver):
    """A front end may send chunks right behind its begin (it expected a fresh file): they go to the transfer
    the begin resumed, and the bytes it already held are not written twice."""
    data = os.urandom(300_000)
    start(paused_receiver, "old", data, "page-1")
    paused_receiver.chunk("old", 0, data[:65_536])
    paused_receiver.cut_off(keep_session="page-2")
    start(paused_receiver, "new", data, "page-2")
    for offset, piece in chunks(data, 65_536):
        t = paused_receiver.chunk("new", offset, piece)
    assert t.id == "old"
    assert t.complete
    assert t.received == len(data)
    assert t.path.read_bytes() == data
    assert t.sha256 == hashlib.sha256(data).hexdigest()
    paused_receiver.remove("old")
    with pytest.raises(ProtocolError):
        paused_receiver.chunk("new", 0, data[:10])  # the alias went with the transfer


@pytest.mark.parametrize(
    "change",
    [
        {"last_modified": 1},
        {"name": "other.mov"},
        {"data": b"Z" + bytes(299_999)},
    ],
    ids=["modified", "renamed", "other-bytes"],
)
def test_a_different_file_starts_afresh(paused_receiver, change):
    data = os.urandom(300_000)
    start(paused_receiver, "old", data, "page-1")
    paused_receiver.chunk("old", 0, data[:65_536])
    paused_receiver.cut_off(keep_session="page-2")
    other = change.pop("data", data)
    t = start(paused_receiver, "new", other, "page-2", **change)
    assert t.id == "new"
    assert t.held() == []
    assert paused_receiver.get("old").paused


def test_the_kernel_checks_the_announced_head_hash_against_the_bytes(paused_receiver):
    data = os.urandom(100_000)
    paused_receiver.begin(
        "a", "x.bin", len(data), "", "s1", last_modified=5, head_sha256=hashlib.sha256(b"not it").hexdigest()
    )
    with pytest.raises(ProtocolError) as err:
        paused_receiver.chunk("a", 0, data[:65_536])
    assert "do not match" in str(err.value)
    assert not paused_receiver.get("a").complete
    # A file under 64 KiB: the head is the whole file.
    small = os.urandom(1000)
    t = start(paused_receiver, "b", small, "s1")
    assert paused_receiver.chunk("b", 0, small).complete
    assert t.head_checked


def test_the_budget_drops_the_oldest_paused_spools_first_and_says_so():
    now = [0.0]
    budget = PausedSpools(budget_bytes=150_000, keep_seconds=3600, clock=lambda: now[0])
    r = Receiver(paused=budget)
    dropped = []
    r.on_dropped = lambda t, why: dropped.append((t.id, why))
    try:
        for i, session in enumerate(["p1", "p2", "p3"]):
            data = os.urandom(200_000)
            start(r, f"e{i}", data, session, name=f"f{i}.bin")
            r.chunk(f"e{i}", 0, data[:65_536])
            now[0] += 1
            r.cut_off(keep_session=f"next-{i}")
        # 3 x 64 KiB paused, budget 150,000 bytes: the oldest went.
        assert dropped == [("e0", "made room for newer ones")]
        assert r.get("e0").path.stat().st_size == 0
        assert budget.held_bytes() == 2 * 65_536
        now[0] += 3601
        budget.prune()
        assert sorted(d[0] for d in dropped) == ["e0", "e1", "e2"]
        assert dropped[-1][1] == "kept an hour"
        assert budget.held_bytes() == 0
    finally:
        r.close()


def test_removing_a_paused_entry_frees_its_budget(paused_receiver, budget):
    data = os.urandom(100_000)
    start(paused_receiver, "a", data, "p1")
    paused_receiver.chunk("a", 0, data[:65_536])
    paused_receiver.cut_off(keep_session="p2")
    assert budget.held_bytes() == 65_536
    paused_receiver.remove("a")
    assert budget.held_bytes() == 0
