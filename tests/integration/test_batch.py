"""rw.batch against the local server: outputs saved, results.jsonl, resume without paying twice, pacing."""

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from PIL import Image

import replicate_widget as rw
from replicate_widget.core.batches.ledger import LEDGER_NAME
from replicate_widget.core.batches.naming import sent_hash

SUNSET = Path(__file__).parents[2] / "notebooks" / "samples" / "sunset.jpg"
ECHO_CREATE = "/v1/models/demo/slow-echo/predictions"


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def creates(server, path=ECHO_CREATE):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"] == path]


def listed(client):
    """Every prediction on the server (newest first), following the pages."""
    url, found = f"{client.base_url}/v1/predictions", []
    while url:
        page = client.drive(_get(url))
        found += page["results"]
        url = page["next"]
    return found


def _get(url):
    from replicate_widget.core.network.http import Call, send

    return (yield from send(Call("GET", url))).json()


def _create(base_url, value):
    """A bare create, not waited for: the prediction a killed batch may have left behind."""
    from replicate_widget.core.network.http import Call, send

    call = Call("POST", f"{base_url}{ECHO_CREATE}", json={"input": value}, retry="create")
    return rw.Prediction.from_json((yield from send(call)).json())


def final_status(client, prediction_id, timeout=10.0):
    """The status once final: a cancel is asked for at once, and lands a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.drive(_get(f"{client.base_url}/v1/predictions/{prediction_id}"))["status"]
        if status in ("succeeded", "failed", "canceled", "aborted") or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def images(folder, count):
    folder.mkdir()
    for n in range(count):
        Image.new("RGB", (16 + n, 8), (40 * n, 200, 90)).save(folder / f"photo{n}.png")
    return folder


def rows(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_a_folder_of_images_is_saved_by_name_with_results_jsonl(server, client, tmp_path):
    folder = images(tmp_path / "in", 3)
    (folder / "sunset.jpg").write_bytes(SUNSET.read_bytes())
    out = tmp_path / "out"
    batch = client.batch("demo/grayscale", folder, out=out, concurrency=2)
    finished = list(batch)  # completion order, as they finish
    assert sorted(i.name for i in finished) == ["photo0", "photo1", "photo2", "sunset"]
    assert all(i.status == "succeeded" and len(i.paths) == 1 for i in finished)
    saved = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert saved == [
        "photo0-gray.png", "photo1-gray.png", "photo2-gray.png", "results.jsonl", "sunset-gray.png"
    ]  # fmt: skip
    with Image.open(out / "sunset-gray.png") as gray, Image.open(SUNSET) as original:
        assert gray.mode == "L"
        assert gray.size == original.size
    with Image.open(out / "photo2-gray.png") as gray:
        assert gray.size == (18, 8)
    lines = rows(out)  # rewritten in input order when the batch ends
    assert [Path(r["input"]["image"]).name for r in lines] == [
        "photo0.png",
        "photo1.png",
        "photo2.png",
        "sunset.jpg",
    ]
    made = {e["prediction_id"] for e in creates(server, "/v1/models/demo/grayscale/predictions")}
    assert {r["id"] for r in lines} == made
    assert len(made) == 4
    assert lines[3]["paths"] == ["sunset-gray.png"]
    assert batch.results()[3].url.startswith(server.base_url)  # rw.run_batch's shape: FileOutputs


def test_running_the_same_call_again_creates_nothing(server, client, tmp_path):
    inputs = [{"text": f"again {n}", "seconds": 0} for n in range(5)]
    first = client.batch("demo/slow-echo", inputs, out=tmp_path).wait()
    assert len(creates(server)) == 5
    second = client.batch("demo/slow-echo", inputs + inputs[:2], out=tmp_path).wait()
    assert len(creates(server)) == 5  # every item was done: nothing is paid twice
    assert second.results() == first.results() == [f"again {n}" for n in range(5)]


def test_identical_inputs_are_one_item(server, client, tmp_path):
    batch = client.batch("demo/slow-echo", [{"text": "same", "seconds": 0}] * 4, out=tmp_path)
    assert batch.results() == ["same"]
    assert len(creates(server)) == 1


def _ledger(out):
    return sqlite3.connect(out / LEDGER_NAME, isolation_level=None)


def test_resume_reattaches_running_and_reconciles_sending(server, client, tmp_path):
    """A killed run leaves items `running` (id known) and `sending` (create sent, answer never read)."""
    inputs = [{"text": f"resume {n}", "seconds": 0} for n in range(3)]
    client.batch("demo/slow-echo", inputs, out=tmp_path).wait()
    made = [r["id"] for r in rows(tmp_path)]
    (tmp_path / "results.jsonl").unlink()
    db = _ledger(tmp_path)
    # item 0: running, its id known; item 1: sending, its prediction exists; item 2: sending, never arrived
    db.execute("UPDATE items SET status='running', done_seq=NULL WHERE idx=0")
    sent_at = time.time() - 5
    sending = "UPDATE items SET status='sending', prediction_id=NULL, done_seq=NULL, sent_at=?, sent_hash=?"
    db.execute(sending + " WHERE idx=1", (sent_at, sent_hash(inputs[1])))
    db.execute(sending + " WHERE idx=2", (time.time(), sent_hash({"text": "never sent"})))
    db.close()
    server.log.clear()
    again = client.batch("demo/slow-echo", inputs, out=tmp_path).wait()
    assert again.results() == [f"resume {n}" for n in range(3)]
    assert len(creates(server)) == 1  # only item 2 was created again
    ids = [r["id"] for r in rows(tmp_path)]
    assert ids[:2] == made[:2]  # reattached and adopted
    assert ids[2] != made[2]


def test_twins_found_on_resume_keep_the_oldest_and_cancel_the_rest(server, client, tmp_path):
    text = {"text": f"twin {time.time()}", "seconds": 20}
    sent_at = time.time()
    first = client.drive(_create(client.base_url, text))
    second = client.drive(_create(client.base_url, text))
    client.batch("demo/slow-echo", [{"text": "placeholder", "seconds": 0}], out=tmp_path).wait()
    db = _ledger(tmp_path)
    db.execute(
        "UPDATE items SET status='sending', done_seq=NULL, input=?, sent_at=?, sent_hash=?",
        (json.dumps(text), sent_at, sent_hash(text)),
    )
    db.close()
    client.cancel(first.id)  # makes it final quickly; the oldest is kept however it ended
    batch = client.batch("demo/slow-echo", [], out=tmp_path).wait()
    (item,) = list(batch)
    assert item.id == first.id
    assert batch.duplicates[0][0] == second.id
    assert client.drive(_get(f"{client.base_url}/v1/predictions/{second.id}"))["status"] == "canceled"


def test_failures_are_listed_shown_and_retried(server, client, tmp_path):
    inputs = [{"text": "fine", "seconds": 0}, {"text": "bad", "seconds": 0, "fail": "it broke"}]
    batch = client.batch("demo/slow-echo", inputs, out=tmp_path).wait()
    (failed,) = batch.failed
    assert "it broke" in failed.error
    results = batch.results()
    assert results[0] == "fine"
    assert isinstance(results[1], rw.ModelError)
    html = batch._repr_mimebundle_()["text/html"]
    assert "2/2 done · 1 failed" in html
    assert "it broke" in html  # the failures table
    batch.retry_failed().wait()
    assert len(creates(server)) == 3  # the failed item again, not the other
    assert rows(tmp_path)[1]["status"] == "failed"


def test_cancel_stops_and_a_rerun_resumes(server, client, tmp_path):
    inputs = [{"text": f"long {n}", "seconds": 30} for n in range(4)]
    batch = client.batch("demo/slow-echo", inputs, out=tmp_path, concurrency=2)
    deadline = time.monotonic() + 10
    while len(creates(server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    batch.cancel()
    assert time.monotonic() - started < 10
    made = [e["prediction_id"] for e in creates(server)]
    assert len(made) == 2  # the other two never started
    for prediction_id in made:
        assert final_status(client, prediction_id) == "canceled"
    assert batch.counts == {"canceled": 2, "pending": 2}
    quick = [{**i, "seconds": 0} for i in inputs]  # other inputs, other items: the ledger keeps the old
    assert len(client.batch("demo/slow-echo", quick, out=tmp_path / "q").results()) == 4


def test_429_holds_every_create_and_the_batch_completes(server, client, tmp_path):
    server.faults.rate_limit(route=f"POST {ECHO_CREATE}", times=2, retry_after=1)
    started = time.monotonic()
    batch = client.batch("demo/slow-echo", [{"text": str(n), "seconds": 0} for n in range(4)], out=tmp_path)
    assert batch.results() == ["0", "1", "2", "3"]
    assert time.monotonic() - started >= 1.0
    statuses = [e["status"] for e in creates(server)]
    assert statuses.count(429) == 2
    assert statuses.count(201) + statuses.count(202) == 4


def test_a_create_cut_off_is_reconciled_not_repeated_blindly(server, client, tmp_path):
    server.faults.drop(route=f"POST {ECHO_CREATE}", times=1)
    batch = client.batch("demo/slow-echo", [{"text": "dropped once", "seconds": 0}], out=tmp_path)
    assert batch.results() == ["dropped once"]
    made = [p for p in listed(client) if p["input"] == {"text": "dropped once", "seconds": 0}]
    assert len(made) == 1


def test_several_models_side_by_side(server, client, tmp_path):
    folder = images(tmp_path / "in", 2)
    out = tmp_path / "out"
    batch = client.batch(["demo/grayscale", "demo/file-info"], folder, out=out)
    results = batch.results()
    assert len(results) == 2
    assert all(len(pair) == 2 for pair in results)
    assert results[0][1]["kind"] == "image"
    assert sorted(p.name for p in (out / "demo-grayscale").iterdir()) == [
        "photo0-gray.png",
        "photo1-gray.png",
    ]
    html = batch._repr_mimebundle_()["text/html"]
    assert 'class="rw-batch-grid"' in html
    assert html.count("<img") == 2  # the two gray images; file-info's dicts as text


def test_gallery_embeds_small_thumbnails_of_the_saved_copies(server, client, tmp_path):
    folder = images(tmp_path / "in", 3)
    batch = client.batch("demo/grayscale", folder, out=tmp_path / "out").wait()
    html = batch._repr_mimebundle_()["text/html"]
    assert html.count('src="data:image/jpeg;base64,') == 3
    assert server.base_url not in html  # shows without Replicate's copies
    assert len(html) < 500_000


def test_bad_arguments_are_refused_with_what_to_do(server, client, tmp_path):
    with pytest.raises(rw.InputError, match="pass field="):
        client.batch("demo/slow-echo", [SUNSET], out=tmp_path)
    with pytest.raises(rw.InputError, match=r"not a folder, a glob pattern or a \.jsonl file"):
        client.batch("demo/grayscale", str(tmp_path / "missing"), out=tmp_path)
    with pytest.raises(rw.InputError, match="rate must be"):
        client.batch("demo/grayscale", [], out=tmp_path, rate=-1)


def test_one_batch_at_a_time_per_folder(server, client, tmp_path):
    running = client.batch("demo/slow-echo", [{"text": "long", "seconds": 30}], out=tmp_path)
    with pytest.raises(rw.InputError, match="A batch is already running in"):
        client.batch("demo/slow-echo", [{"text": "other", "seconds": 0}], out=tmp_path)
    running.cancel()
    assert running.counts == {"canceled": 1} or running.counts == {"pending": 1}
    again = client.batch("demo/slow-echo", [{"text": "other", "seconds": 0}], out=tmp_path)
    again.cancel()  # the folder is free once the first has stopped


def test_ctrl_c_while_waiting_cancels_the_batch(server, client, tmp_path):
    import _thread
    import threading

    batch = client.batch(
        "demo/slow-echo", [{"text": f"wait {n}", "seconds": 30} for n in range(2)], out=tmp_path
    )
    threading.Timer(1.5, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        batch.wait()
    assert batch.done
    made = [e["prediction_id"] for e in creates(server)]
    assert len(made) == 2
    for prediction_id in made:
        assert final_status(client, prediction_id) == "canceled"
    assert "2 canceled" in repr(batch)


def test_module_level_batch_uses_the_environment(server, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    batch = rw.batch("demo/slow-echo", [{"text": "env", "seconds": 0}], out=tmp_path)
    (item,) = list(batch)
    assert isinstance(item, rw.BatchItem)
    assert (item.status, item.output, item.paths) == ("succeeded", "env", [])


def test_the_header_gives_an_eta_while_running(server, client, tmp_path):
    inputs = [{"text": f"eta {n}", "seconds": 0.4} for n in range(6)]
    batch = client.batch("demo/slow-echo", inputs, out=tmp_path, concurrency=1)
    assert "ETA" not in batch.summary()  # nothing finished yet: no estimate
    deadline = time.monotonic() + 30
    while batch.counts.get("succeeded", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    summary = batch.summary()
    batch.wait()
    assert "/6 done · ETA " in summary
    assert batch.summary() == "6/6 done · finished"


def test_without_out_a_temporary_folder_keeps_the_results(server, client):
    batch = client.batch("demo/slow-echo", [{"text": "tmp", "seconds": 0}]).wait()
    assert batch.out.name.startswith("rw-batch-")
    assert json.loads((batch.out / "results.jsonl").read_text())["output"] == "tmp"
    batch.close()
    shutil.rmtree(batch.out)


def test_run_batch_takes_open_files_and_a_refused_input_is_its_exception(server, client, tmp_path):
    import io

    picture = tmp_path / "a.png"
    Image.new("RGB", (9, 7), "green").save(picture)
    with picture.open("rb") as handle:
        inputs = [
            {"image": handle},
            {"image": tmp_path / "missing.png"},
            {"image": io.BytesIO(picture.read_bytes())},
        ]
        results = client.run_batch("demo/grayscale", inputs)
    assert isinstance(results[0], rw.FileOutput)
    assert isinstance(results[1], rw.InputError)
    assert "no such file" in str(results[1])
    assert results[2].read() == results[0].read()
    assert len(creates(server, "/v1/models/demo/grayscale/predictions")) == 2
