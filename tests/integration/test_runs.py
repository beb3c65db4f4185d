"""Runs against the local server: retries, Ctrl-C, final statuses, validation, streaming, outputs, batch."""

import _thread
import asyncio
import io
import logging
import threading
import time

import httpx
import pytest
from PIL import Image

import replicate_widget as rw


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def requests(server, method, suffix):
    return [e for e in server.log.entries if e["method"] == method and e["path"].endswith(suffix)]


def final_status(client, prediction_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        prediction = client.drive(_get(client, prediction_id))
        if prediction.done or time.monotonic() > deadline:
            return prediction.status
        time.sleep(0.1)


def _get(client, prediction_id):
    from replicate_widget.core.network.http import Call, send

    response = yield from send(Call("GET", f"{client.base_url}/v1/predictions/{prediction_id}"))
    return rw.Prediction.from_json(response.json())


def test_success_under_429_and_503(server, client):
    server.faults.fail(route="GET /v1/models/demo/slow-echo", status=503, times=2)
    server.faults.rate_limit(route="POST /v1/models/demo/slow-echo/predictions", times=2, retry_after=0.2)
    # wait=60: the create holds until the end even when the worker starts cold, so the log is just these
    assert client.run("demo/slow-echo", {"text": "hi", "seconds": 0}, wait=60) == "hi"
    statuses = [e["status"] for e in server.log.entries]
    assert statuses == [503, 503, 200, 429, 429, 201]


def test_create_is_not_retried_on_503(server, client):
    server.faults.fail(route="POST /v1/models/demo/slow-echo/predictions", status=503, times=1)
    with pytest.raises(rw.APIError) as info:
        client.run("demo/slow-echo", {"text": "hi", "seconds": 0})
    assert info.value.status == 503
    assert len(requests(server, "POST", "/predictions")) == 1


def test_upload_retried_after_a_dropped_connection(server, client, tmp_path):
    path = tmp_path / "drop.bin"
    path.write_bytes(b"x" * 1_200_000)
    server.faults.drop(route="POST /v1/files", times=1)
    assert client.run("demo/file-info", {"file": path})["size"] == 1_200_000
    assert len(requests(server, "POST", "/v1/files")) >= 1
    assert requests(server, "POST", "/v1/files")[-1]["status"] == 201


def test_ctrl_c_from_the_progress_callback_cancels(server, client):
    def stop(event):
        if event.kind == "progress":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.run("demo/slow-echo", {"text": "x", "seconds": 20, "steps": 20}, wait=1, progress=stop)
    (cancel,) = requests(server, "POST", "/cancel")
    prediction_id = cancel["path"].split("/")[3]
    assert final_status(client, prediction_id) == "canceled"


def test_ctrl_c_while_the_create_is_still_waiting_cancels(server, client):
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.run("demo/slow-echo", {"text": "waiting", "seconds": 30})
    assert time.monotonic() - started < 10  # not the 30 s the model would take
    (create,) = requests(server, "POST", "/predictions")
    assert create["headers"]["prefer"] == "wait=1"  # a short hold: the id comes back within a second
    (cancel,) = requests(server, "POST", "/cancel")
    assert cancel["path"] == f"/v1/predictions/{create['prediction_id']}/cancel"
    assert final_status(client, create["prediction_id"]) == "canceled"


def test_failed_carries_error_and_logs(server, client):
    with pytest.raises(rw.ModelError) as info:
        client.run("demo/slow-echo", {"text": "x", "seconds": 0.1, "steps": 2, "fail": "kaboom"})
    assert info.value.prediction.status == "failed"
    assert "kaboom" in info.value.prediction.error
    assert "Prediction failed" not in info.value.prediction.error  # Cog's own prefix is not passed on
    assert "kaboom" in str(info.value)
    assert "2/2" in info.value.prediction.logs
    assert not isinstance(info.value, rw.PredictionCanceled)


def test_cancel_after_while_running_is_canceled(server, client):
    with pytest.raises(rw.PredictionCanceled) as info:
        client.run("demo/slow-echo", {"text": "x", "seconds": 10}, cancel_after=0.5)
    assert info.value.prediction.status == "canceled"
    assert requests(server, "POST", "/predictions")[0]["headers"]["cancel-after"] == "0.5s"


def test_deadline_before_start_is_aborted(server, client):
    # demo/story runs one prediction at a time: the second waits in the queue past its deadline.
    blocker = httpx.post(
        f"{server.base_url}/v1/models/demo/story/predictions",
        json={"input": {"sentences": 50, "delay": 0.2}},
        headers={"authorization": f"Bearer {server.token}"},
    ).json()
    try:
        with pytest.raises(rw.PredictionAborted) as info:
            client.run("demo/story", {"sentences": 1}, cancel_after=0.5)
        assert info.value.prediction.status == "aborted"
        assert "deadline" in str(info.value)
    finally:
        client.cancel(blocker["id"])


def test_schema_problems_are_listed_before_any_create(server, client):
    with pytest.raises(rw.InputError) as info:
        client.run("demo/slow-echo", {"seconds": -1, "steps": "many", "colour": "red"})
    problems = info.value.problems
    assert len(problems) == 4, problems
    joined = "\n".join(problems)
    for needle in (
        "'text' is required",
        "'seconds' must be at least 0",
        "'steps' must be an integer",
        "'colour'",
    ):
        assert needle in joined
    assert requests(server, "POST", "/predictions") == []


def test_streamed_text_arrives_in_chunks(server, client):
    chunks = list(client.stream("demo/story", {"prompt": "a test", "sentences": 2, "delay": 0.01}))
    assert len(chunks) > 5
    assert "".join(chunks).startswith("Once upon a time, a test.")
    assert client.run("demo/story", {"prompt": "a test", "sentences": 2, "delay": 0}) == "".join(chunks)


def test_leaving_a_stream_early_cancels(server, client):
    stream = client.stream("demo/story", {"sentences": 40, "delay": 0.1})
    next(stream)
    stream.close()
    assert len(requests(server, "POST", "/cancel")) == 1


def image_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 50).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


class _Recording(httpx.HTTPTransport):
    """The network, noting each request: what a client built on it sent, downloads included."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return super().handle_request(request)


def test_file_output_read_save_and_display(server, tmp_path):
    recording = _Recording()
    client = rw.Client(api_token=server.token, base_url=server.base_url, transport=recording)
    out = client.run("demo/grayscale", {"image": rw.LocalFile.from_bytes(image_bytes(), "pic.png")})
    assert isinstance(out, rw.FileOutput)
    assert str(out) == out.url
    assert out.url.startswith("http://127.0.0.1")
    data = out.read()
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (64, 48)
        assert image.mode in ("L", "LA")
    saved = out.save(tmp_path)
    assert saved.read_bytes() == data
    assert saved.parent == tmp_path
    assert b"".join(out) == data
    bundle = out._repr_mimebundle_()
    assert out.content_type == "image/png"
    assert "data:image/png;base64," in bundle["text/html"]  # embedded: a saved notebook still shows it
    # Output files are fetched through the client's own transport, and without the token (capabilities);
    # its API calls carry it.
    seen = [r for r in recording.seen if str(r.url) == out.url]
    assert {r.method for r in seen} >= {"GET"}
    assert all("authorization" not in r.headers for r in seen)
    api = [r for r in recording.seen if r.url.path.startswith("/v1/")]
    assert api
    assert all(r.headers["authorization"] == f"Bearer {server.token}" for r in api)
    client.close()


def test_batch_keeps_order_and_failures(server, client):
    inputs = [{"text": str(i), "seconds": 0.1} for i in range(6)]
    inputs[3] = {"text": "bad", "seconds": 0, "fail": "nope"}
    results = client.run_batch("demo/slow-echo", inputs, concurrency=3)
    assert results[:3] == ["0", "1", "2"]
    assert results[4:] == ["4", "5"]
    assert isinstance(results[3], rw.ModelError)


def test_batch_of_files_displays_as_a_gallery(server, client):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    results = client.run_batch(
        "demo/grayscale", [{"image": png.getvalue()}] * 2 + [{"image": b"not an image"}]
    )
    assert isinstance(results[0], rw.FileOutput)
    assert isinstance(results[2], rw.ModelError)
    bundle = results._repr_mimebundle_()
    assert bundle["text/html"].count("<img") == 2  # the two gray images, side by side
    assert "ModelError" in bundle["text/html"]  # the failed item is shown in place


async def test_async_run_and_batch(server, client):
    assert await client.async_run("demo/slow-echo", {"text": "a", "seconds": 0}) == "a"
    results = await client.async_run_batch(
        "demo/slow-echo", [{"text": str(i), "seconds": 0.2} for i in range(4)]
    )
    assert results == ["0", "1", "2", "3"]


async def test_async_cancellation_cancels_remotely(server, client):
    task = asyncio.ensure_future(client.async_run("demo/slow-echo", {"text": "x", "seconds": 30}))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (create,) = requests(server, "POST", "/predictions")
    assert len(requests(server, "POST", "/cancel")) == 1
    assert final_status(client, create["prediction_id"]) == "canceled"


def test_module_level_api_uses_the_environment(server, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    assert rw.run("demo/slow-echo", {"text": "env", "seconds": 0}) == "env"
    prediction = rw.predict("demo/slow-echo", {"text": "p", "seconds": 0, "fail": "x"})
    assert prediction.status == "failed"
    assert prediction.error


def test_login_checks_and_keeps_the_token(server, monkeypatch, capsys):
    from replicate_widget.core import client as _client

    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.setattr(_client, "_login_token", None)
    with pytest.raises(rw.AuthenticationError):
        rw.login("local_wrong", base_url=server.base_url)
    assert _client._login_token is None
    account = rw.login(server.token, base_url=server.base_url)
    assert account["username"]
    assert _client._login_token == server.token
    assert server.token not in capsys.readouterr().out


def test_token_never_in_errors_reprs_or_logs(server, client, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    bad = rw.Client(api_token="local_not_the_token_123", base_url=server.base_url)
    with pytest.raises(rw.AuthenticationError) as info:
        bad.run("demo/slow-echo", {"text": "x"})
    prediction = client.predict("demo/slow-echo", {"text": "x", "seconds": 0})
    texts = [str(info.value), repr(info.value), repr(bad), repr(client), repr(prediction), caplog.text]
    texts += list(capsys.readouterr())
    for text in texts:
        assert server.token not in text
        assert "local_not_the_token_123" not in text


def test_ctrl_c_during_a_batch_cancels_every_running_prediction(server, client):
    timer = threading.Timer(1.5, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    inputs = [{"text": str(i), "seconds": 30} for i in range(6)]
    with pytest.raises(KeyboardInterrupt):
        client.run_batch("demo/slow-echo", inputs, concurrency=3)
    assert time.monotonic() - started < 15
    created = [e["prediction_id"] for e in requests(server, "POST", "/predictions")]
    assert len(created) == 3  # the other three never started
    for prediction_id in created:
        assert final_status(client, prediction_id) == "canceled"


def test_cli_run_saves_files(server, monkeypatch, tmp_path, capsys):
    from replicate_widget import cli

    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    picture = tmp_path / "cat.png"
    picture.write_bytes(image_bytes())
    out_dir = tmp_path / "out"
    code = cli.main(
        ["run", "demo/grayscale", "-i", f"image=@{picture}", "-i", "invert=true", "-o", str(out_dir)]
    )
    assert code == 0
    (saved,) = out_dir.iterdir()
    with Image.open(saved) as image:
        assert image.size == (64, 48)
    assert str(saved) in capsys.readouterr().out
    (create,) = requests(server, "POST", "/predictions")
    assert create["inputs"]["image"]["kind"] == "data-uri"
    code = cli.main(["run", "demo/slow-echo", "-i", "text=hello", "-i", "seconds=0"])
    assert code == 0
    assert capsys.readouterr().out.strip() == "hello"
    assert cli.main(["run", "demo/slow-echo", "-i", "seconds=-1"]) == 1
    assert "'text' is required" in capsys.readouterr().err


def test_abort_event_from_another_thread_cancels(server, client):
    abort = threading.Event()
    threading.Timer(1.0, abort.set).start()
    with pytest.raises(KeyboardInterrupt):
        client.run("demo/slow-echo", {"text": "stop me", "seconds": 30, "fail": None}, abort=abort)
    (create,) = requests(server, "POST", "/predictions")
    assert final_status(client, create["prediction_id"]) == "canceled"
    stored = client.drive(_get(client, create["prediction_id"]))
    assert stored.input == {"text": "stop me", "seconds": 30}  # None means "leave it out"
