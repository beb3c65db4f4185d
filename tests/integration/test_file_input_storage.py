"""FileInput with a bucket for big files: the cap it states, the eager upload to the bucket as soon as the
file has arrived, the run that passes a signed URL, and removal that deletes the object. Files are fed through
the widget's own protocol (no browser); the bucket is moto in server mode, the API the local server."""

from __future__ import annotations

import hashlib
import os
import time
from urllib.parse import urlsplit

import pytest

import replicate_widget as rw
from replicate_widget.core.limits import FILES_API_LIMIT, WIDGET_STORAGE_MAX_BYTES

OVER = FILES_API_LIMIT + 1  # the smallest file that must go to the bucket


def feed(front, widget, entry_id: str, name: str, data: bytes) -> list[dict]:
    """Send one file as the front end does: begin, then 1 MiB chunks (each answered once); the replies."""
    f = front(widget)
    if not f.request("begin", id=entry_id, name=name, size=len(data), type="video/mp4")["ok"]:
        return f.replies
    view = memoryview(data)
    for offset in range(0, len(data), 1 << 20):
        f.request("chunk", [view[offset : offset + (1 << 20)]], id=entry_id, offset=offset)
    return f.replies


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def client(server):
    c = rw.Client(api_token=server.token, base_url=server.base_url)
    yield c
    c.close()


def test_the_cap_is_100_mib_without_a_bucket_and_says_how_to_raise_it(client, monkeypatch, front):
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    w = rw.FileInput(client=client, upload="on-run")
    assert w.max_bytes == FILES_API_LIMIT
    replies = feed(front, w, "e1", "movie.mp4", b"x" * 0)  # an empty file is fine
    assert replies[-1]["ok"]
    replies = [front(w).request("begin", id="e2", name="big.mov", size=OVER, type="video/quicktime")]
    assert not replies[-1]["ok"]
    assert replies[-1]["error"]["code"] == "too-large"
    assert "storage=" in replies[-1]["error"]["message"]
    w.close()


def test_with_a_bucket_the_cap_is_5_gib_from_the_widget_the_client_or_the_variable(client, monkeypatch):
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    assert rw.FileInput(client=client, storage="s3://bkt/p").max_bytes == WIDGET_STORAGE_MAX_BYTES
    other = rw.Client(api_token="x", base_url=client.base_url, storage="s3://bkt/p")
    assert rw.FileInput(client=other).max_bytes == WIDGET_STORAGE_MAX_BYTES
    monkeypatch.setenv("REPLICATE_WIDGET_STORAGE", "gs://bkt")
    assert rw.FileInput(client=client).max_bytes == WIDGET_STORAGE_MAX_BYTES
    assert rw.FileInput(client=client, max_bytes=1000).max_bytes == 1000  # an explicit cap stays


def test_a_big_file_goes_to_the_bucket_on_arrival_runs_as_a_signed_url_and_leaves_on_removal(
    server, client, s3_bucket, moto_server, front
):
    bucket, s3 = s3_bucket
    w = rw.FileInput(client=client, storage=f"s3://{bucket}/widget", upload="eager")
    data = os.urandom(OVER)
    digest = hashlib.sha256(data).hexdigest()
    replies = feed(front, w, "e1", "clip.mp4", data)
    assert replies[-1]["complete"]
    del data
    # eager: the object is there before any run
    wait_for(lambda: w.entries[0]["state"] == "uploaded")
    key = f"widget/{digest}/clip.mp4"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]

    out = w.run("demo/file-info")
    assert out["sha256"] == digest
    assert out["size"] == OVER
    (create,) = [e for e in server.log.entries if e["path"].endswith("/predictions")]
    sent = urlsplit(create["inputs"]["file"]["url"])
    assert f"{sent.scheme}://{sent.netloc}" == moto_server
    assert sent.path == f"/{bucket}/{key}"
    assert server.log.find("POST", "/v1/files") == []

    w.remove("e1")
    wait_for(lambda: "Contents" not in s3.list_objects_v2(Bucket=bucket))
    w.close()


def test_a_handles_bucket_beats_the_widgets_and_the_calls_beats_both(client, s3_bucket, front):
    """storage= precedence through FileInput.run: the call, then the model handle, then the widget (before
    options.merge, the widget's bucket beat the handle's). What landed in which bucket says who won."""
    bucket, s3 = s3_bucket
    widget_bucket, call_bucket = bucket + "w", bucket + "c"
    for name in (widget_bucket, call_bucket):
        s3.create_bucket(Bucket=name)
    w = rw.FileInput(client=client, upload="on-run", storage=f"s3://{widget_bucket}/w")
    feed(front, w, "e1", "clip.bin", b"precedence" * 100)
    wait_for(lambda: bool(w.files))
    handle = client.model("demo/file-info", storage=f"s3://{bucket}/h")

    def keys(name: str) -> list[str]:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]

    try:
        w.run(handle, strategy="storage", progress=False)
        assert [k.split("/")[0] for k in keys(bucket)] == ["h"]
        assert keys(widget_bucket) == []
        w.run(handle, strategy="storage", storage=f"s3://{call_bucket}/c", progress=False)
        assert [k.split("/")[0] for k in keys(call_bucket)] == ["c"]
        w.run("demo/file-info", strategy="storage", progress=False)  # no handle: the widget's
        assert [k.split("/")[0] for k in keys(widget_bucket)] == ["w"]
    finally:
        w.close()
        for name in (widget_bucket, call_bucket):
            for key in keys(name):
                s3.delete_object(Bucket=name, Key=key)
            s3.delete_bucket(Bucket=name)
