"""What a Client holds (connections, waiting threads) is started on first need and released by close()."""

import threading

import pytest

import replicate_widget as rw
from replicate_widget.core import client as client_module


def waiting_threads():
    return [t for t in threading.enumerate() if t.name.startswith("replicate-widget-wait")]


def test_no_threads_until_needed_and_none_after_close(server):
    before = len(waiting_threads())
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    client.schema("demo/slow-echo")  # plain requests need no waiting thread
    assert len(waiting_threads()) == before
    assert client.run("demo/slow-echo", {"text": "hi", "seconds": 0}) == "hi"  # main thread: one waits
    started = [t for t in waiting_threads() if t.is_alive()]
    assert 1 <= len(started) - before <= 8
    client.close()
    for thread in started:
        thread.join(timeout=5)
    assert len(waiting_threads()) == before
    with pytest.raises(RuntimeError, match="closed"):
        client.run("demo/slow-echo", {"text": "hi", "seconds": 0})


def test_runs_from_many_threads_are_not_throttled_by_the_waiting_threads(server):
    # Threads other than the main one cannot receive Ctrl-C: they make their requests themselves.
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    results = [None] * 12
    barrier = threading.Barrier(12)

    def one(i):
        barrier.wait()
        results[i] = client.run("demo/slow-echo", {"text": f"t{i}", "seconds": 1, "steps": 1})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [f"t{i}" for i in range(12)]
    client.close()


def test_replacing_the_default_client_closes_the_old_one(server, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    client_module.forget_default_client()
    old = client_module.default_client()
    assert old.run("demo/slow-echo", {"text": "a", "seconds": 0}) == "a"
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url + "/v1")  # the environment changed
    new = client_module.default_client()
    assert new is not old
    with pytest.raises(RuntimeError, match="closed"):
        old.run("demo/slow-echo", {"text": "a", "seconds": 0})
    assert rw.run("demo/slow-echo", {"text": "b", "seconds": 0}) == "b"
    client_module.forget_default_client()


def test_stream_deletes_its_uploads_once_it_ends(server, tmp_path):
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x01" * 1_200_000)  # over the data-URI limit: uploaded
    chunks = list(client.stream("demo/file-info", {"file": path}, delete_uploads=True))
    assert chunks
    assert chunks[-1]["size"] == 1_200_000
    (upload,) = server.log.find("POST", "/v1/files")
    (delete,) = server.log.find("DELETE", "/v1/files/")
    assert delete["path"] == f"/v1/files/{upload['upload']['file_id']}"
    assert delete["status"] == 204


def test_stream_refuses_wait_instead_of_dropping_it(server):
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    with pytest.raises(TypeError, match="wait"):
        client.stream("demo/story", {"sentences": 1}, wait=5)
    assert server.log.entries == []  # refused before any request
