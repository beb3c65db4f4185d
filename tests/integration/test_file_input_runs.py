"""FileInput.run / run_batch against the local server, with files fed through the widget's own protocol
(no browser): entries map to the schema's file inputs, eager uploads are reused, status lands in traits."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from PIL import Image

import replicate_widget as rw


def feed(
    front, widget, entry_id: str, name: str, data: bytes, type: str = "application/octet-stream"
) -> None:
    """Send one file the way the front end does: begin, then 1 MiB chunks, each answered ok."""
    front(widget).send_file(entry_id, name, data, chunk=1 << 20, type=type)


def png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def client(server):
    c = rw.Client(api_token=server.token, base_url=server.base_url)
    yield c
    c.close()


def creates(server):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]


def test_one_file_one_field_and_the_eager_upload_is_reused(server, client, front):
    w = rw.FileInput(client=client)
    assert w.upload == "eager"
    data = os.urandom(1_500_000)
    feed(front, w, "e1", "blob.bin", data)
    assert w.entries[0]["state"] in ("uploading", "uploaded")
    out = w.run("demo/file-info")
    digest = hashlib.sha256(data).hexdigest()
    assert out["sha256"] == digest
    uploads = server.log.find("POST", "/v1/files")
    assert [u["upload"]["sha256"] for u in uploads] == [digest]
    assert creates(server)[0]["inputs"]["file"]["kind"] == "file"
    assert w.status == "succeeded"
    assert w.entries[0]["state"] == "uploaded"
    w.close()


def test_array_field_takes_every_entry_in_order(server, client, front):
    w = rw.FileInput(client=client)
    images = [png((255, 0, 0)), png((0, 255, 0)), png((0, 0, 255))]
    for i, data in enumerate(images):
        feed(front, w, f"e{i}", f"{i}.png", data, "image/png")
    w.run("demo/contact-sheet", {"columns": 3})
    sent = creates(server)[0]["inputs"]["images"]
    assert [s["sha256"] for s in sent] == [hashlib.sha256(d).hexdigest() for d in images]
    assert all(s["kind"] == "data-uri" for s in sent)  # small files: data URIs, no upload
    w.close()


def test_field_names_a_file_array_input(server, client, front):
    w = rw.FileInput(client=client)
    images = [png((10, 20, 30)), png((200, 100, 0))]
    for i, data in enumerate(images):
        feed(front, w, f"e{i}", f"{i}.png", data, "image/png")
    out = w.run("demo/contact-sheet", {"columns": 2}, field="images")
    sent = creates(server)[0]["inputs"]["images"]
    assert [s["sha256"] for s in sent] == [hashlib.sha256(d).hexdigest() for d in images]
    with Image.open(io.BytesIO(out.read())) as sheet:  # the model laid both images out
        assert sheet.width >= 2 * 32
    outs = w.run_batch("demo/contact-sheet", field="images")  # once per entry, each a list of one
    # the batch runs its items concurrently, so the server may see them in either order
    assert sorted([s["sha256"] for s in c["inputs"]["images"]] for c in creates(server)[1:]) == sorted(
        [hashlib.sha256(d).hexdigest()] for d in images
    )
    assert len(outs) == 2
    w.close()


def test_more_entries_than_fields_points_at_run_batch_which_runs_once_each(server, client, front):
    w = rw.FileInput(client=client, upload="on-run")
    files = [b"first file", b"second file"]
    for i, data in enumerate(files):
        feed(front, w, f"e{i}", f"{i}.txt", data, "text/plain")
    with pytest.raises(rw.InputError, match="run_batch"):
        w.run("demo/file-info")
    assert creates(server) == []  # refused before any prediction
    outs = w.run_batch("demo/file-info")
    assert [o["sha256"] for o in outs] == [hashlib.sha256(d).hexdigest() for d in files]
    w.close()


def test_unknown_field_and_model_without_file_inputs_are_refused(server, client, front):
    w = rw.FileInput(client=client, upload="on-run")
    feed(front, w, "e1", "a.txt", b"abc", "text/plain")
    with pytest.raises(rw.InputError, match="no file input named 'nope'"):
        w.run("demo/file-info", field="nope")
    with pytest.raises(rw.InputError, match="takes no file input"):
        w.run("demo/slow-echo", {"text": "hi"})
    w.close()


def test_a_pasted_url_passes_through_untouched(server, client, front):
    w = rw.FileInput(client=client)
    url = f"{server.base_url}/does-not-matter.png"
    assert front(w).request("url", id="u1", url=url)["ok"]
    with pytest.raises(rw.ModelError):  # the model can't fetch it, but what was sent is what matters
        w.run("demo/file-info")
    assert creates(server)[0]["inputs"]["file"] == {**creates(server)[0]["inputs"]["file"], "kind": "url"}
    assert creates(server)[0]["inputs"]["file"]["url"] == url
    assert w.status == "failed"
    w.close()


def test_a_batch_status_counts_the_predictions_not_one_files_log_line(server, client, front):
    w = rw.FileInput(client=client, upload="on-run")
    texts = []
    w.observe(lambda change: texts.append(change["new"]), names="message")
    for i, data in enumerate([b"first file", b"second file"]):
        feed(front, w, f"e{i}", f"{i}.txt", data, "text/plain")
    w.run_batch("demo/file-info")
    assert (w.status, w.message, w.logs) == ("succeeded", "demo/file-info: 2/2 done", "")
    assert "demo/file-info: 1/2 done" in texts, texts  # it counted up while running
    assert not [t for t in texts if "bytes" in t], texts  # no model log line stood in for the status

    feed(
        front, w, "e2", "broken.png", b"\x89PNG\r\n\x1a\nnot really", "image/png"
    )  # file-info reads any file...
    outs = w.run_batch("demo/grayscale")  # ...grayscale can't open these: each item is its exception
    assert all(isinstance(o, rw.ModelError) for o in outs)
    assert w.status == "failed"
    assert w.message == "demo/grayscale: 0/3 done, 3 failed"
    assert w.logs.startswith("Prediction "), w.logs  # the first failure's reason
    w.close()


def test_run_and_run_batch_take_handles(server, client, front):
    w = rw.FileInput(client=client, multiple=True)
    feed(front, w, "e1", "red.png", png((200, 10, 10)), "image/png")
    feed(front, w, "e2", "blue.png", png((10, 10, 200)), "image/png")
    out = w.run_batch(client.deployment("demo/grayscale-prod"), field="image")
    assert [o.read()[:4] for o in out] == [b"\x89PNG"] * 2
    assert {e["path"] for e in creates(server)} == {"/v1/deployments/demo/grayscale-prod/predictions"}
    assert w.message.endswith("2/2 done")
    server.log.clear()
    info = w.run(client.model("demo/contact-sheet", progress=False), field="images")
    assert info.read()[:4] == b"\x89PNG"
    assert [e["path"] for e in creates(server)] == ["/v1/models/demo/contact-sheet/predictions"]


def test_the_status_names_the_prediction_while_it_runs(server, client, front):
    w = rw.FileInput(client=client, upload="on-run")
    texts = []
    w.observe(lambda change: texts.append(change["new"]), names="message")
    feed(front, w, "e1", "a.txt", b"abc", "text/plain")
    w.run("demo/file-info")
    (created,) = creates(server)
    assert f"demo/file-info: prediction {created['prediction_id']}" in texts  # while it ran
    assert w.message == f"demo/file-info: done · prediction {created['prediction_id']}"  # and after
    w.close()
