"""Files become inputs, checked against what the local server received (its request log)."""

import hashlib
import os
from pathlib import Path

import pytest

import replicate_widget as rw


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def creates(server):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]


def uploads(server):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"] == "/v1/files"]


def write(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_small_file_goes_inline_with_its_exact_bytes(server, client, tmp_path):
    path = write(tmp_path, "small.bin", 999_999)
    out = client.run("demo/file-info", {"file": path})
    (entry,) = creates(server)
    sent = entry["inputs"]["file"]
    assert sent["kind"] == "data-uri"
    assert (sent["sha256"], sent["size"]) == (sha(path), 999_999)
    assert out["sha256"] == sha(path)
    assert uploads(server) == []


def test_larger_file_is_uploaded_once_and_passed_as_its_url(server, client, tmp_path):
    path = write(tmp_path, "large.bin", 1_000_000)
    events = []
    prediction = client.predict("demo/file-info", {"file": path}, progress=events.append)
    (upload,) = uploads(server)
    assert upload["upload"]["sha256"] == sha(path)
    assert upload["upload"]["size"] == 1_000_000
    assert upload["upload"]["filename"] == "large.bin"
    (entry,) = creates(server)
    assert entry["inputs"]["file"]["kind"] == "file"
    assert entry["inputs"]["file"]["sha256"] == sha(path)
    record = client.uploaded(rw.LocalFile(path))
    assert prediction.input["file"] == record.url  # urls.get, untouched
    assert prediction.output["sha256"] == sha(path)
    sent = [e for e in events if e.kind == "upload"]
    assert sent[-1].sent == sent[-1].total == 1_000_000
    assert sent[-1].file == "large.bin"


def test_same_file_twice_uploads_once(server, client, tmp_path):
    path = write(tmp_path, "twice.bin", 1_500_000)
    client.run("demo/file-info", {"file": path})
    client.run("demo/file-info", {"file": rw.LocalFile(path, name="renamed.bin")})
    assert len(uploads(server)) == 1
    assert len(creates(server)) == 2


def test_delete_uploads_after_the_run(server, client, tmp_path):
    path = write(tmp_path, "gone.bin", 1_200_000)
    client.run("demo/file-info", {"file": path}, delete_uploads=True)
    (upload,) = uploads(server)
    deletes = [e for e in server.log.entries if e["method"] == "DELETE"]
    assert [e["path"] for e in deletes] == [f"/v1/files/{upload['upload']['file_id']}"]
    assert client.uploaded(rw.LocalFile(path)) is None


def test_url_passes_through_untouched(server, client, tmp_path):
    path = write(tmp_path, "src.bin", 1_100_000)
    url = client.upload(rw.LocalFile(path))
    server.log.clear()
    prediction = client.predict("demo/file-info", {"file": url})
    assert prediction.input["file"] == url
    assert uploads(server) == []
    assert creates(server)[0]["inputs"]["file"]["sha256"] == sha(path)


def test_too_large_is_refused_before_any_request(server, tmp_path):
    path = tmp_path / "huge.bin"
    with path.open("wb") as f:
        f.truncate(150 * 1024 * 1024)
    fresh = rw.Client(api_token=server.token, base_url=server.base_url)  # nothing cached: a lookup would show
    with pytest.raises(rw.InputError, match="104,857,600"):
        fresh.run("demo/file-info", {"file": path})
    assert server.log.entries == []


def test_plain_string_path_is_a_file_only_for_file_fields(server, client, tmp_path):
    path = write(tmp_path, "named.txt", 100)
    out = client.run("demo/slow-echo", {"text": str(path), "seconds": 0})
    assert out == str(path)
    info = client.run("demo/file-info", {"file": str(path)})
    assert info["sha256"] == sha(path)


def test_list_of_files_with_mixed_forms(server, client, tmp_path):
    from PIL import Image

    paths = []
    for i, size in enumerate([(32, 32), (900, 900)]):
        p = tmp_path / f"img{i}.png"
        Image.effect_noise(size, 60 + i).convert("RGB").save(p)
        paths.append(p)
    assert paths[1].stat().st_size >= 1_000_000
    out = client.run("demo/contact-sheet", {"images": paths, "columns": 2})
    kinds = [i["kind"] for i in creates(server)[0]["inputs"]["images"]]
    assert kinds == ["data-uri", "file"]
    assert isinstance(out, rw.FileOutput)
    assert out.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_concurrent_uploads_of_the_same_bytes_share_one(server, client, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    path = write(tmp_path, "shared.bin", 3_000_000)
    copy = tmp_path / "copy.bin"
    copy.write_bytes(path.read_bytes())  # same bytes, another file
    server.faults.delay(route="POST /v1/files", seconds=0.5, times=1)
    with ThreadPoolExecutor(4) as pool:
        urls = list(pool.map(lambda p: client.upload(rw.LocalFile(p)), [path, copy, path, copy]))
    assert len(set(urls)) == 1
    assert len(uploads(server)) == 1


async def test_async_uploads_share_too(server, client, tmp_path):
    import asyncio

    path = write(tmp_path, "async.bin", 2_000_000)
    urls = await asyncio.gather(*(client.async_upload(rw.LocalFile(path)) for _ in range(3)))
    assert len(set(urls)) == 1
    assert len(uploads(server)) == 1


def test_upload_retried_after_429(server, client, tmp_path):
    path = write(tmp_path, "throttled.bin", 1_300_000)
    server.faults.rate_limit(route="POST /v1/files", times=1, retry_after=0.2)
    client.upload(rw.LocalFile(path))
    assert [e["status"] for e in uploads(server)] == [429, 201]
    assert uploads(server)[-1]["upload"]["sha256"] == sha(path)
