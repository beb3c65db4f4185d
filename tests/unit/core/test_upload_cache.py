"""The upload cache: the same bytes go up once; a file of a size not seen yet goes without hashing first."""

import concurrent.futures
import hashlib
import os
import threading
import time

import httpx
import pytest

from replicate_widget.core.inputs.files_api import UploadedFile, upload_flow
from replicate_widget.core.inputs.local_file import LocalFile
from replicate_widget.core.inputs.uploaded import UploadCache
from replicate_widget.core.network.http import Call


def write(path, data):
    path.write_bytes(data)
    return LocalFile(path)


def record(data: bytes) -> UploadedFile:
    return UploadedFile("f", "https://x/f", hashlib.sha256(data).hexdigest(), len(data), None)


def finish(flow, response):
    """The flow's answer once ``response`` is sent in."""
    with pytest.raises(StopIteration) as stop:
        flow.send(response)
    return stop.value.value


def test_a_size_not_seen_yet_goes_unhashed_and_is_filed_by_its_sha256_when_done(tmp_path):
    cache = UploadCache()
    data = os.urandom(1000)
    first = write(tmp_path / "a.bin", data)
    future, mine = cache.claim(first)
    assert mine
    assert first._known_sha256 is None  # not read before sending
    cache.settle(first, future, record(data))
    # The same bytes in another file: hashed (a size seen before), found, not uploaded again.
    again, mine = cache.claim(write(tmp_path / "b.bin", data))
    assert again is future
    assert not mine
    # Other bytes of the same size are uploaded.
    other = write(tmp_path / "c.bin", os.urandom(1000))
    _, mine = cache.claim(other)
    assert mine
    assert other._known_sha256 is not None


def test_a_claim_of_the_same_size_waits_for_the_upload_on_its_way(tmp_path):
    cache = UploadCache()
    data = os.urandom(1000)
    first = write(tmp_path / "a.bin", data)
    future, mine = cache.claim(first)
    assert mine
    second = write(tmp_path / "b.bin", data)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(cache.claim, second)
        time.sleep(0.2)
        assert not waiting.done()  # it may be these very bytes: wait, do not upload them twice
        cache.settle(first, future, record(data))
        shared, mine = waiting.result(timeout=5)
    assert shared is future
    assert not mine


def test_a_failed_unhashed_upload_lets_the_next_claim_try_again(tmp_path):
    cache = UploadCache()
    data = os.urandom(1000)
    first = write(tmp_path / "a.bin", data)
    future, _ = cache.claim(first)
    cache.settle(first, future, RuntimeError("dropped"))
    retry, mine = cache.claim(write(tmp_path / "b.bin", data))
    assert mine
    assert retry is not future


def test_the_upload_hashes_what_it_sends_and_checks_it_against_the_server(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 5)
    file = write(tmp_path / "big.bin", data)
    digest = hashlib.sha256(data).hexdigest()
    flow = upload_flow("http://api.test", file, None)
    call = next(flow)
    assert isinstance(call, Call)
    body = b"".join(call.body())
    assert data in body
    assert file._known_sha256 is None  # the flow hashed while the body was sent, and tells once answered
    answer = {"id": "f", "urls": {"get": "http://api.test/f"}, "checksums": {"sha256": digest}}
    response = httpx.Response(201, json=answer, request=httpx.Request("POST", "http://api.test/v1/files"))
    assert finish(flow, response).sha256 == digest == file._known_sha256


def test_a_retried_upload_hashes_only_its_last_attempt(tmp_path):
    data = os.urandom(2 * 1024 * 1024)
    file = write(tmp_path / "r.bin", data)
    flow = upload_flow("http://api.test", file, None)
    call = next(flow)
    partial = call.body()
    next(partial), next(partial)  # the first attempt broke off after its first chunk
    partial.close()
    b"".join(call.body())
    answer = {"id": "f", "urls": {"get": "http://api.test/f"}}
    response = httpx.Response(201, json=answer, request=httpx.Request("POST", "http://api.test/v1/files"))
    assert finish(flow, response).sha256 == hashlib.sha256(data).hexdigest()


def test_concurrent_claims_of_one_new_file_upload_it_once(tmp_path):
    cache = UploadCache()
    data = os.urandom(5000)
    files = [write(tmp_path / f"{i}.bin", data) for i in range(6)]
    start = threading.Barrier(len(files))

    def claim(file):
        start.wait()
        future, mine = cache.claim(file)
        if mine:
            time.sleep(0.1)
            cache.settle(file, future, record(data))
        return future, mine

    with concurrent.futures.ThreadPoolExecutor(len(files)) as pool:
        claims = list(pool.map(claim, files))
    assert sum(mine for _, mine in claims) == 1
    assert len({id(future) for future, _ in claims}) == 1
