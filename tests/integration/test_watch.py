"""Runs you can watch and come back to: progress while the model runs, wait=False, predictions by id,
timeout=, and a prediction picked up again from another process or after a kernel restart."""

import os
import subprocess
import sys
import time

import httpx
import pytest

import replicate_widget as rw

SLOW = "demo/slow-echo"


@pytest.fixture
def client(server):
    with rw.Client(api_token=server.token, base_url=server.base_url) as c:
        yield c


def server_status(server, prediction_id):
    answer = httpx.get(
        f"{server.base_url}/v1/predictions/{prediction_id}",
        headers={"authorization": f"Bearer {server.token}"},
        trust_env=False,
    )
    return answer.json()["status"]


def wait_for_status(server, prediction_id, wanted, timeout=30.0):
    deadline = time.monotonic() + timeout
    while (status := server_status(server, prediction_id)) not in wanted:
        assert time.monotonic() < deadline, f"still {status}"
        time.sleep(0.1)
    return status


# ---- a kernel's display ----------------------------------------------------------------------------------
_CELL = """
import replicate_widget as rw
out = rw.run("demo/slow-echo", {"text": "hi", "seconds": 5, "steps": 5})
"""


def _kernel(server):
    jupyter_client = pytest.importorskip("jupyter_client")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    env = {**os.environ, "REPLICATE_BASE_URL": server.base_url, "REPLICATE_API_TOKEN": server.token}
    manager.start_kernel(env=env, independent=False)
    kernel = manager.client()
    kernel.start_channels()
    kernel.wait_for_ready(timeout=60)
    return manager, kernel


def test_a_notebook_sees_processing_while_the_model_runs_in_one_display_updated_in_place(client, server):
    client.run(SLOW, {"text": "warm", "seconds": 0})  # the worker is up: the 5 s are the model's own
    manager, kernel = _kernel(server)
    try:
        kernel.execute_interactive("import replicate_widget", timeout=60)
        messages = []  # (seconds since the cell started, message type, content)
        started = time.monotonic()
        reply = kernel.execute_interactive(
            _CELL,
            timeout=30,  # hang guard
            output_hook=lambda msg: messages.append(
                (time.monotonic() - started, msg["msg_type"], msg["content"])
            ),
        )
        ended = time.monotonic() - started
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    displays = [(at, kind, c) for at, kind, c in messages if kind in ("display_data", "update_display_data")]
    created = [c for _, kind, c in displays if kind == "display_data"]
    assert len(created) == 1, "one output, updated in place"
    (display_id,) = {c["transient"]["display_id"] for _, _, c in displays}
    assert display_id
    processing = [at for at, _, c in displays if ": processing" in c["data"]["text/plain"]]
    assert processing, [c["data"]["text/plain"] for _, _, c in displays]
    assert processing[0] < ended - 2.5, f"processing shown at {processing[0]:.1f} s of {ended:.1f} s"
    # The prediction is announced with its id and a link to its page, and keeps it in the last line.
    (prediction,) = [p for p in client.predictions(limit=10) if p.input.get("text") == "hi"][:1]
    last = displays[-1][2]["data"]
    assert f"prediction {prediction.id} on {SLOW}" in last["text/plain"]
    assert last["text/plain"].startswith(f"✓ {SLOW} succeeded in ")
    assert f'href="{prediction.urls["web"]}"' in last["text/html"]


# ---- wait=False, and predictions by id ------------------------------------------------------------------
def test_wait_false_returns_at_once_and_the_prediction_is_picked_up_by_id_here_and_elsewhere(client, server):
    started = time.monotonic()
    p = client.predict(SLOW, {"text": "later", "seconds": 5, "steps": 2}, wait=False)
    assert isinstance(p, rw.Prediction)
    assert p.status in ("starting", "processing")
    assert server_status(server, p.id) in ("starting", "processing"), "returned before the model finished"
    assert time.monotonic() - started < 4
    # another process, as after a kernel restart: only the id and the environment
    code = (
        "import sys, replicate_widget as rw; p = rw.prediction(sys.argv[1]).wait(); print(p.status, p.output)"
    )
    env = {**os.environ, "REPLICATE_BASE_URL": server.base_url, "REPLICATE_API_TOKEN": server.token}
    other = subprocess.run(
        [sys.executable, "-c", code, p.id], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert other.stdout.strip() == "succeeded later", other.stderr
    again = client.prediction(p.id)
    assert again.wait(timeout=30) is again
    assert (again.status, again.output, again.model) == ("succeeded", "later", SLOW)
    assert p.reload().status == "succeeded"


def test_a_reloaded_prediction_converts_its_output_as_run_does(client, server, tmp_path):
    from PIL import Image

    picture = tmp_path / "in.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(picture)
    p = client.predict("demo/grayscale", {"image": picture})
    again = rw.prediction(p.id, client=client)
    assert isinstance(again.output, rw.FileOutput)
    assert again.output.read() == p.output.read()
    assert again.output.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_timeout_raises_prediction_timeout_naming_the_id_and_leaves_it_running(client, server):
    with pytest.raises(rw.PredictionTimeout) as caught:
        client.run(SLOW, {"text": "patience", "seconds": 4, "steps": 2}, timeout=1, progress=False)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error, rw.ReplicateWidgetError)
    assert error.prediction.id in str(error)
    assert server_status(server, error.prediction.id) in ("starting", "processing")
    assert not server.log.find("POST", f"/v1/predictions/{error.prediction.id}/cancel")
    handle = client.prediction(error.prediction.id)
    with pytest.raises(rw.PredictionTimeout) as again:
        handle.wait(timeout=0.3, progress=False)
    assert again.value.prediction is handle
    assert handle.wait(progress=False).output == "patience"


def test_a_bad_timeout_or_id_says_what_to_give(client):
    with pytest.raises(rw.InputError, match="timeout must be"):
        client.run(SLOW, {"text": "x"}, timeout=-1)
    with pytest.raises(rw.InputError, match="prediction id"):
        client.prediction("../models")
    with pytest.raises(rw.APIError) as missing:
        client.prediction("nosuchprediction")
    assert missing.value.status == 404


def test_cancel_by_handle(client, server):
    p = client.predict(SLOW, {"text": "stop", "seconds": 20, "steps": 20}, wait=False)
    assert p.cancel().id == p.id
    assert wait_for_status(server, p.id, ("canceled",)) == "canceled"
    assert p.wait(timeout=30, progress=False).status == "canceled"


def test_predictions_lists_recent_ones_newest_first_as_handles(client, server):
    first = client.predict(SLOW, {"text": "one", "seconds": 0})
    time.sleep(0.05)
    second = client.predict(SLOW, {"text": "two", "seconds": 0})
    listed = client.predictions(limit=2)
    assert [p.id for p in listed] == [second.id, first.id]
    assert all(isinstance(p, rw.Prediction) for p in listed)
    since = rw.predictions(since=first.created_at, client=client)
    assert [p.id for p in since] == [second.id]
    table = listed._repr_html_()
    assert table.count("<tr>") == 3
    assert "succeeded" in table
    assert SLOW in table
    assert second.urls["web"] in table
    assert "two" in table


def test_a_text_model_streams_from_its_handle(client):
    p = client.predict("demo/story", {"prompt": "a cat", "sentences": 2}, wait=False)
    chunks = list(p.stream())
    assert len(chunks) > 1
    assert p.status == "succeeded"
    assert "".join(chunks) == p.output


# ---- a kernel's interrupt cancels; a kernel's restart (which interrupts first) does not -------------------
def _start_in_kernel(kernel, text):
    code = f'import replicate_widget as rw\nrw.run("demo/slow-echo", {{"text": "{text}", "seconds": 20}})'
    return kernel.execute(code)


def _reply(kernel, msg_id):
    while (reply := kernel.get_shell_msg(timeout=30))["parent_header"].get("msg_id") != msg_id:
        pass
    return reply["content"]


def _created(server, text, timeout=30.0):
    deadline = time.monotonic() + timeout
    http = httpx.Client(base_url=server.base_url, headers={"authorization": f"Bearer {server.token}"})
    with http:
        while True:
            found = [
                p for p in http.get("/v1/predictions").json()["results"] if p["input"].get("text") == text
            ]
            if found and found[0]["status"] == "processing":
                return found[0]["id"]
            assert time.monotonic() < deadline, "no prediction"
            time.sleep(0.1)


def test_a_kernel_interrupt_cancels_the_run_but_a_restart_leaves_it_running(client, server):
    client.run(SLOW, {"text": "warm", "seconds": 0})
    manager, kernel = _kernel(server)
    try:
        running = _start_in_kernel(kernel, "interrupted in a kernel")
        interrupted = _created(server, "interrupted in a kernel")
        manager.interrupt_kernel()  # the ■ button
        assert _reply(kernel, running)["ename"] == "KeyboardInterrupt"
        assert wait_for_status(server, interrupted, ("succeeded", "canceled")) == "canceled"

        _start_in_kernel(kernel, "outlives its kernel")
        survivor = _created(server, "outlives its kernel")
        manager.restart_kernel(now=False)  # jupyter_client interrupts, then asks for the shutdown
        kernel.wait_for_ready(timeout=60)
        assert server_status(server, survivor) == "processing"
        assert not server.log.find("POST", f"/v1/predictions/{survivor}/cancel")
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    assert client.prediction(survivor).wait(timeout=40, progress=False).output == "outlives its kernel"


def test_a_live_prediction_s_display_is_updated_in_place_until_it_ends(client, server):
    client.run(SLOW, {"text": "warm", "seconds": 0})
    p = client.predict(SLOW, {"text": "shown live", "seconds": 3, "steps": 3}, wait=False)
    manager, kernel = _kernel(server)
    messages = []
    try:
        code = f'import replicate_widget as rw, time\np = rw.prediction("{p.id}")\ndisplay(p)\ntime.sleep(6)'
        reply = kernel.execute_interactive(code, timeout=30, output_hook=messages.append)
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    shown = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    assert [m["msg_type"] for m in shown].count("display_data") == 1
    assert len({m["content"]["transient"]["display_id"] for m in shown}) == 1
    first, last = shown[0]["content"]["data"]["text/html"], shown[-1]["content"]["data"]["text/html"]
    assert "succeeded" not in first
    assert "✓ succeeded" in last
    assert "shown live" in last  # the output, once there


def test_a_streaming_model_s_text_reaches_the_progress_as_it_is_written(client):
    events = []
    story = client.run("demo/story", {"sentences": 4, "delay": 0.05}, progress=events.append)
    texts = [e.text for e in events if e.kind == "output" and e.status == "processing"]
    assert len(texts) >= 2, [e.kind for e in events]
    assert all(story.startswith(t) for t in texts)
    assert len(texts[0]) < len(texts[-1]) <= len(story)
    assert events[-1].status == "succeeded"


def test_async_wait(client):
    import asyncio

    async def main():
        p = await client.async_predict(SLOW, {"text": "async", "seconds": 1, "steps": 2}, wait=False)
        assert p.status in ("starting", "processing")
        return await client.prediction(p.id).async_wait(timeout=30, progress=False)

    done = asyncio.run(main())
    assert isinstance(done, rw.Prediction)
    assert (done.status, done.output) == ("succeeded", "async")
