"""The batch's pure parts: naming, pacing, the ledger's states, the gallery's budget, the server's bucket."""

import json
import threading
from pathlib import Path

import pytest

from replicate_widget.core.batches import gallery
from replicate_widget.core.batches.ledger import Ledger
from replicate_widget.core.batches.naming import base_name, encode, item_key, iter_inputs, output_name, unique
from replicate_widget.core.batches.pacing import Pacer, check_rate, shared_pacer
from replicate_widget.core.errors import InputError


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_outputs_are_named_after_their_inputs():
    assert output_name("sunset", "gray.png") == "sunset-gray.png"
    assert output_name("sunset", "sunset-gray.png") == "sunset-gray.png"  # the model already did
    assert base_name(encode({"image": Path("/x/sunset.jpg")}), 0) == "sunset"
    assert base_name({"prompt": "a cat"}, 41) == "item-00042"
    taken = {"sunset"}
    assert unique("sunset", taken) == "sunset-2"
    assert unique("sunset", taken) == "sunset-3"


def test_identical_inputs_have_one_key_and_other_models_another():
    a = encode({"image": Path("/x/a.png"), "scale": 2})
    assert item_key("m/one", a) == item_key("m/one", encode({"scale": 2, "image": Path("/x/a.png")}))
    assert item_key("m/one", a) != item_key("m/two", a)
    assert encode({"data": b"\x00\x01"}) == {"data": {"$b64": "AAE="}}
    with pytest.raises(InputError, match="Give files as paths"):
        encode({"f": object()})


def test_inputs_from_a_folder_a_glob_and_jsonl(tmp_path):
    for name in ("b.png", "a.png", ".hidden"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in iter_inputs(tmp_path, None)] == ["a.png", "b.png"]
    assert [p.name for p in iter_inputs(str(tmp_path / "b*"), None)] == ["b.png"]
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"text": "one"}\n\n{"text": "two"}\n')
    assert list(iter_inputs(lines, None)) == [{"text": "one"}, {"text": "two"}]
    lines.write_text('{"text": "one"}\n[1]\n')
    with pytest.raises(InputError, match="line 2: each line must be a JSON object"):
        list(iter_inputs(lines, None))
    with pytest.raises(InputError, match="wrap it in"):
        list(iter_inputs({"text": "x"}, None))


def test_the_pacer_spaces_creates_evenly_and_a_429_holds_everyone():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert pacer.take()
    assert clock.now == pytest.approx(100.4)  # 5 creates: 0, .1, .2, .3, .4 s
    pacer.hold(2.0)
    pacer.take()
    assert clock.now == pytest.approx(102.4)
    slow, stop = Pacer(1), threading.Event()  # one create a minute
    assert slow.take(stop)  # the first goes at once
    threading.Timer(0.2, stop.set).start()
    assert not slow.take(stop)  # the next would wait a minute: a cancel ends the wait
    assert check_rate(None) == 600.0
    assert check_rate(0) is None
    with pytest.raises(InputError, match="rate must be"):
        check_rate("fast")


def test_batches_of_one_client_share_its_pacer():
    class Owner:
        pass

    one, other = Owner(), Owner()
    assert shared_pacer(one, 600.0) is shared_pacer(one, 600.0)
    assert shared_pacer(one, 600.0) is not shared_pacer(other, 600.0)


def test_the_ledger_moves_items_through_their_states(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.add([(f"k{n}", n, n, "m/x", json.dumps({"n": n}), f"item-{n}") for n in range(3)])
    ledger.add([("k0", 9, 9, "m/x", "{}", "again")])  # a re-run: the item stays as it was
    first = ledger.claim()
    assert (first.key, first.name) == ("k0", "item-0")
    ledger.sending("k0", 1.0, "hash")
    assert ledger.claim().key == "k1"  # k0 is taken by this process
    ledger.running("k0", "pred0")
    ledger.finish("k1", "failed", prediction_id="pred1", error="boom")
    ledger.close()
    again = Ledger(tmp_path)  # a new process: k0 is reattached first, then k2 is created
    assert [again.claim().key, again.claim().key, again.claim()] == ["k0", "k2", None]
    assert again.counts() == {"running": 1, "failed": 1, "pending": 1}
    assert again.retry_failed() == 1
    assert again.get("k1").status == "pending"


def test_the_gallery_keeps_to_its_budget(tmp_path):
    Image = pytest.importorskip("PIL.Image")  # the unit tier may run without the [local] extra
    thumbs = gallery.Thumbnails()
    sources = []
    for n in range(gallery.MAX_THUMBNAILS + 5):
        path = tmp_path / f"{n}.png"
        Image.effect_noise((400, 400), 80 + n % 20).save(path)  # noise: thumbnails as big as they get
        sources.append(path)
    total = sum(len(thumbs.get(p) or "") for p in sources[-gallery.MAX_THUMBNAILS :])
    assert total <= gallery.MAX_BYTES
    assert len(thumbs._cache) == gallery.MAX_THUMBNAILS


def test_the_server_bucket_refuses_past_its_rate_and_refills():
    from replicate_widget.local.ratelimit import RateLimit

    clock = Clock()
    limit = RateLimit(2.0, clock=clock)  # 2 a second, 2 in the bucket
    assert [limit.take("t"), limit.take("t")] == [None, None]
    assert limit.take("t") == pytest.approx(0.5)
    assert RateLimit.retry_after(0.5) == 1
    clock.now += 0.5
    assert limit.take("t") is None
