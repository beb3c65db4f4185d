"""Files over 100 MiB through the user's own bucket: moto in server mode as S3, the local server as Replicate.

What is checked is what arrived: the model's sha256 of each input, the local server's request log (how each
input came in, and that nothing was posted to /v1/files), and the bucket's contents as moto lists them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from _bucket_runs import creates, files_posts, write

import replicate_widget as rw
from replicate_widget.core.storage import object_store

BIG = 150 * 1024 * 1024
MODEL = "test/two-files"  # served by two_files_server (tests/integration/conftest.py)


@pytest.fixture
def client(server2):
    return rw.Client(api_token=server2.token, base_url=server2.base_url)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(BIG // (1 << 20)):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


def objects(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


# The run under test, in a fresh interpreter so that its peak memory is its own.
_CHILD = r"""
import json, sys, threading, time
import psutil
import replicate_widget as rw
import obstore  # imported before the baseline: a fixed cost, not the upload's

big, small, storage = sys.argv[1:4]
client = rw.Client()
process = psutil.Process()
baseline = peak = process.memory_info().rss
done = threading.Event()

def sample():
    global peak
    while not done.is_set():
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.005)

threading.Thread(target=sample, daemon=True).start()
events = []
output = client.run(
    "test/two-files",
    {"big": rw.LocalFile(big), "small": rw.LocalFile(small)},
    storage=storage,
    delete_uploads=True,
    progress=lambda e: events.append((e.kind, e.file, e.sent, e.total)),
)
done.set()
uploads = [e for e in events if e[0] == "upload"]
print(json.dumps({"output": output, "growth": peak - baseline, "uploads": uploads}))
"""


def test_150_mib_reaches_the_model_through_a_signed_url(server2, s3_bucket, big_file, tmp_path, moto_server):
    bucket, s3 = s3_bucket
    big, big_sha = big_file
    small, small_sha = write(tmp_path, "small.bin", 200_000)
    env = {**os.environ, "REPLICATE_API_TOKEN": server2.token, "REPLICATE_BASE_URL": server2.base_url}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(big), str(small), f"s3://{bucket}/runs"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    # the model read the very bytes of both files
    assert result["output"]["big"] == {"size": BIG, "sha256": big_sha}
    assert result["output"]["small"] == {"size": 200_000, "sha256": small_sha}
    # the big one came as a signed URL on the store's host, the small one inline; the Files API untouched
    (create,) = creates(server2)
    sent = create["inputs"]
    assert sent["small"]["kind"] == "data-uri"
    assert sent["small"]["sha256"] == small_sha
    assert sent["big"]["kind"] == "url"
    url = urlsplit(sent["big"]["url"])
    assert f"{url.scheme}://{url.netloc}" == moto_server
    # delete_uploads: under a key of this call's own (runs/<sha256>/<random>/big.bin), shared with no one
    assert re.fullmatch(rf"/{bucket}/runs/{big_sha}/[0-9a-f]{{16}}/big\.bin", url.path), url.path
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-Signature"]
    assert files_posts(server2) == []
    # progress was reported up to the whole file
    big_events = [e for e in result["uploads"] if e[1] == "big.bin"]
    assert big_events[-1][2:] == [BIG, BIG]
    assert len(big_events) > 10
    # delete_uploads: nothing left behind, no multipart upload pending
    assert objects(s3, bucket) == []
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    # flat memory: the upload holds a few parts, never the file
    assert result["growth"] < 64 * 1024 * 1024, f"peak grew {result['growth'] / 2**20:.0f} MiB"


def test_same_bytes_go_up_once_per_client_and_stay_without_delete_uploads(
    server2, client, s3_bucket, tmp_path, monkeypatch
):
    bucket, s3 = s3_bucket
    one, one_sha = write(tmp_path, "one.bin", 1_500_000)
    small, _ = write(tmp_path, "s.bin", 10)
    puts = []
    real = object_store.stream_put
    monkeypatch.setattr(object_store, "stream_put", lambda *a, **k: puts.append(a[1]) or real(*a, **k))
    for _ in range(2):
        out = client.run(MODEL, {"big": one, "small": small}, storage=f"s3://{bucket}/p/", strategy="storage")
        assert out["big"]["sha256"] == one_sha
    # strategy="storage": every local file went to the bucket, each once
    assert sorted(objects(s3, bucket)) == sorted(
        [f"p/{one_sha}/one.bin", f"p/{hashlib.sha256(small.read_bytes()).hexdigest()}/s.bin"]
    )
    assert len(puts) == 2
    assert files_posts(server2) == []
    assert all(v["kind"] == "url" for c in creates(server2) for v in c["inputs"].values())


def test_an_object_deleted_behind_the_clients_back_is_uploaded_again(server2, client, s3_bucket, tmp_path):
    """The client remembers its uploads; a lifecycle rule or another person may still delete one. The next
    call that reuses it looks first, and uploads again rather than hand the model a dead URL."""
    bucket, s3 = s3_bucket
    one, one_sha = write(tmp_path, "one.bin", 300_000)
    small, small_sha = write(tmp_path, "s.bin", 10)
    storage, key = f"s3://{bucket}/gone", f"gone/{one_sha}/one.bin"
    client.run(MODEL, {"big": one, "small": small}, storage=storage, strategy="storage")
    s3.delete_object(Bucket=bucket, Key=key)
    assert key not in objects(s3, bucket)
    out = client.run(MODEL, {"big": one, "small": small}, storage=storage, strategy="storage")
    assert (out["big"]["sha256"], out["small"]["sha256"]) == (one_sha, small_sha)
    assert key in objects(s3, bucket)
    # an object of the wrong size under the same key is replaced too
    s3.put_object(Bucket=bucket, Key=key, Body=b"truncated")
    out = client.run(MODEL, {"big": one, "small": small}, storage=storage, strategy="storage")
    assert out["big"]["sha256"] == one_sha
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 300_000


def test_each_part_carries_its_sha256_for_the_store_to_check(server2, client, s3_bucket, tmp_path):
    """S3 refuses a part whose bytes don't match its x-amz-checksum-sha256; the object then holds the
    SHA-256 of the parts' SHA-256s (S3 multipart objects have no whole-object SHA-256)."""
    import base64

    from replicate_widget.core.limits import STORAGE_PART_SIZE

    bucket, s3 = s3_bucket
    data = os.urandom(2 * STORAGE_PART_SIZE + 1000)
    path = tmp_path / "three-parts.bin"
    path.write_bytes(data)
    small, _ = write(tmp_path, "s.bin", 10)
    client.run(MODEL, {"big": path, "small": small}, storage=f"s3://{bucket}/c", strategy="storage")
    key = f"c/{hashlib.sha256(data).hexdigest()}/three-parts.bin"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    parts = [data[i : i + STORAGE_PART_SIZE] for i in range(0, len(data), STORAGE_PART_SIZE)]
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    # S3 appends the part count ("-3"); moto does not
    assert head["ChecksumSHA256"].removesuffix("-3") == base64.b64encode(composite).decode()


def test_precedence_call_then_client_then_variable(server2, s3_bucket, tmp_path, monkeypatch):
    bucket, s3 = s3_bucket
    s3.create_bucket(Bucket=f"{bucket}-env")
    a, _ = write(tmp_path, "a.bin", 2_000)
    b, _ = write(tmp_path, "b.bin", 3_000)
    monkeypatch.setenv("REPLICATE_WIDGET_STORAGE", f"s3://{bucket}-env/from-env")
    plain = rw.Client(api_token=server2.token, base_url=server2.base_url)
    plain.run(MODEL, {"big": a, "small": b}, strategy="storage")
    assert all(k.startswith("from-env/") for k in objects(s3, f"{bucket}-env"))
    configured = rw.Client(
        api_token=server2.token, base_url=server2.base_url, storage=f"s3://{bucket}/client"
    )
    configured.run(MODEL, {"big": a, "small": b}, strategy="storage")
    configured.run(MODEL, {"big": a, "small": b}, strategy="storage", storage=f"s3://{bucket}/call")
    prefixes = {k.split("/")[0] for k in objects(s3, bucket)}
    assert prefixes == {"client", "call"}
    for key in objects(s3, f"{bucket}-env"):
        s3.delete_object(Bucket=f"{bucket}-env", Key=key)


def test_storage_expiry_sets_the_signed_urls_lifetime(server2, client, s3_bucket, tmp_path):
    bucket, _ = s3_bucket
    a, _ = write(tmp_path, "a.bin", 100)
    b, _ = write(tmp_path, "b.bin", 100)
    prediction = client.predict(
        MODEL, {"big": a, "small": b}, storage=f"s3://{bucket}", strategy="storage", storage_expiry=120
    )
    assert prediction.status == "succeeded"
    assert parse_qs(urlsplit(prediction.input["big"]).query)["X-Amz-Expires"] == ["120"]


def test_batch_deletes_after_the_whole_batch(server2, client, s3_bucket, tmp_path):
    bucket, s3 = s3_bucket
    shared, shared_sha = write(tmp_path, "shared.bin", 50_000)
    items = [{"big": shared, "small": write(tmp_path, f"s{i}.bin", 10)[0]} for i in range(3)]
    seen: set[str] = set()

    def look(_event) -> None:  # the bucket while the batch runs
        seen.update(objects(s3, bucket))

    # one at a time: a deletion after the first item would leave the next with a dead URL
    results = client.run_batch(
        MODEL,
        items,
        concurrency=1,
        storage=f"s3://{bucket}",
        strategy="storage",
        delete_uploads=True,
        progress=look,
    )
    assert [r["big"]["sha256"] for r in results] == [shared_sha] * 3
    # the batch's own key (delete_uploads): one object for the file the items share, not one per item
    assert len([k for k in seen if k.startswith(f"{shared_sha}/")]) == 1, seen
    assert objects(s3, bucket) == []


def test_an_aborted_upload_leaves_nothing_and_creates_no_prediction(server2, client, s3_bucket, tmp_path):
    bucket, s3 = s3_bucket
    big, _ = write(tmp_path, "cut.bin", 40 * 1024 * 1024)
    small, _ = write(tmp_path, "s.bin", 10)
    abort = threading.Event()

    def progress(event):
        if event.kind == "upload" and event.sent > 20 * 1024 * 1024:
            abort.set()  # what a Stop button does; Ctrl-C raises in the same place

    with pytest.raises(KeyboardInterrupt):
        client.run(
            MODEL,
            {"big": big, "small": small},
            storage=f"s3://{bucket}",
            strategy="storage",
            progress=progress,
            abort=abort,
        )
    assert objects(s3, bucket) == []
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    assert creates(server2) == []


def test_bytes_that_differ_from_their_sha256_are_deleted_and_refused(server2, client, s3_bucket, tmp_path):
    bucket, s3 = s3_bucket
    path, _ = write(tmp_path, "changed.bin", 30_000)
    small, _ = write(tmp_path, "s.bin", 10)
    stale = rw.LocalFile(path, sha256="0" * 64)  # as if the file changed after it was hashed
    with pytest.raises(rw.StorageError, match="changed while it was uploading"):
        client.run(MODEL, {"big": stale, "small": small}, storage=f"s3://{bucket}", strategy="storage")
    assert objects(s3, bucket) == []
    assert creates(server2) == []


def test_a_missing_bucket_is_a_storage_error_before_any_prediction(server2, client, s3_bucket, tmp_path):
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(rw.StorageError, match="does not exist") as caught:
        client.run(MODEL, {"big": a, "small": a}, storage="s3://no-such-bucket-here/x", strategy="storage")
    assert "REPLICATE_WIDGET_STORAGE" in str(caught.value)
    assert caught.value.location == "s3://no-such-bucket-here/x"
    assert creates(server2) == []


def test_missing_credentials_say_what_to_set(server2, client, s3_bucket, tmp_path, monkeypatch):
    bucket, _ = s3_bucket
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # boto3's chain must find nothing either: no files, no instance metadata (tests stay on loopback)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(rw.StorageError, match="AWS_ACCESS_KEY_ID"):
        client.run(MODEL, {"big": a, "small": a}, storage=f"s3://{bucket}", strategy="storage")
    assert creates(server2) == []


def test_a_profile_is_read_through_boto3(server2, client, s3_bucket, tmp_path, monkeypatch):
    bucket, s3 = s3_bucket
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text("[lab]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_PROFILE", "lab")
    a, a_sha = write(tmp_path, "a.bin", 100)
    out = client.run(MODEL, {"big": a, "small": a}, storage=f"s3://{bucket}", strategy="storage")
    assert out["big"]["sha256"] == a_sha
    assert objects(s3, bucket) == [f"{a_sha}/a.bin"]


def test_refused_credentials_are_a_storage_error_without_the_secret(
    server2, client, s3_bucket, moto_server_with_auth, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server_with_auth)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-secret-that-must-not-show")
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(rw.StorageError, match="refused access") as caught:
        client.run(MODEL, {"big": a, "small": a}, storage="s3://somebucket/x", strategy="storage")
    message = str(caught.value)
    assert "AWS_ACCESS_KEY_ID" in message
    assert "a-secret-that-must-not-show" not in message
    assert "a-secret-that-must-not-show" not in repr(client)
    assert creates(server2) == []


def test_strategy_upload_over_100_mib_stays_an_input_error(server2, client, s3_bucket, tmp_path):
    bucket, _ = s3_bucket
    path = tmp_path / "sparse.bin"
    with path.open("wb") as f:
        f.truncate(104_857_601)  # sparse: one byte over the Files API limit
    small, _ = write(tmp_path, "s.bin", 10)
    with pytest.raises(rw.InputError, match="100 MiB"):
        client.run(MODEL, {"big": path, "small": small}, storage=f"s3://{bucket}", strategy="upload")
    assert server2.log.entries == []


async def test_async_run_goes_through_the_bucket_too(server2, client, s3_bucket, tmp_path):
    bucket, s3 = s3_bucket
    a, a_sha = write(tmp_path, "a.bin", 5_000)
    b, b_sha = write(tmp_path, "b.bin", 6_000)
    out = await client.async_run(
        MODEL, {"big": a, "small": b}, storage=f"s3://{bucket}/async", strategy="storage", delete_uploads=True
    )
    assert (out["big"]["sha256"], out["small"]["sha256"]) == (a_sha, b_sha)
    assert objects(s3, bucket) == []


_CTRL_C_CHILD = r"""
import sys
import replicate_widget as rw

big, small, storage = sys.argv[1:4]
told = False

def progress(event):
    global told
    if event.kind == "upload" and event.sent > 8 * 1024 * 1024 and not told:
        told = True
        print("uploading", flush=True)

rw.Client().run("test/two-files", {"big": big, "small": small}, storage=storage, strategy="storage",
                progress=progress)
"""


def test_ctrl_c_mid_upload_aborts_it_and_leaves_nothing(server2, s3_bucket, tmp_path):
    import signal

    bucket, s3 = s3_bucket
    big, _ = write(tmp_path, "big.bin", 64 * 1024 * 1024)
    small, _ = write(tmp_path, "s.bin", 10)
    env = {**os.environ, "REPLICATE_API_TOKEN": server2.token, "REPLICATE_BASE_URL": server2.base_url}
    child = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_CHILD, str(big), str(small), f"s3://{bucket}/c"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "uploading"
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        child.kill()
    assert "KeyboardInterrupt" in stderr
    assert objects(s3, bucket) == []
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    assert creates(server2) == []
