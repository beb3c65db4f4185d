"""Ctrl-C cancels only what this process created, also when another process runs the very same input."""

import base64
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import replicate_widget as rw

WORKER = Path(__file__).with_name("interrupt_worker.py")
SLOTS = 4  # pairs of processes side by side (demo/slow-echo runs 8 predictions at once)
TRIES = 20


def api(server):
    return httpx.Client(
        base_url=server.base_url, headers={"authorization": f"Bearer {server.token}"}, trust_env=False
    )


def predictions_with(http, text):
    """The server's predictions of this input, oldest first."""
    found = [p for p in http.get("/v1/predictions").json()["results"] if p["input"].get("text") == text]
    return sorted(found, key=lambda p: p["created_at"])


def wait_until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return result


class Worker:
    def __init__(self, server, seconds, model="demo/slow-echo"):
        env = {**os.environ, "REPLICATE_API_TOKEN": server.token, "REPLICATE_BASE_URL": server.base_url}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(seconds), model],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.answer() == "ready"

    def run(self, text):
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def answer(self):
        return self.process.stdout.readline().strip()

    def interrupt(self):
        self.process.send_signal(signal.SIGINT)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def twin_tries(server, slot, tries):
    """In each try A runs an input; B runs the same input a moment later and is interrupted."""
    http = api(server)
    # long enough that the cancel lands before the model ends on a machine under heavy load
    a, b = Worker(server, seconds=6), Worker(server, seconds=6)
    outcomes = []
    try:
        for i in range(tries):
            # Text that looks like a data URI: the old matcher skipped such values and so matched anything.
            text = "data:text/plain;base64," + base64.b64encode(f"twin {slot}-{i}".encode()).decode()
            a.run(text)
            wait_until(lambda t=text: len(predictions_with(http, t)) == 1)
            b.run(text)
            wait_until(lambda t=text: len(predictions_with(http, t)) == 2)
            time.sleep(0.2)  # B's create is in flight, held open by `Prefer: wait`
            b.interrupt()
            said = (a.answer(), b.answer())
            first, second = predictions_with(http, text)
            statuses = [
                wait_until(
                    lambda p=p: (
                        (s := http.get(f"/v1/predictions/{p['id']}").json()["status"])
                        in ("succeeded", "failed", "canceled")
                        and s
                    )
                )
                for p in (first, second)
            ]
            outcomes.append((said, statuses))
    finally:
        a.close()
        b.close()
        http.close()
    return outcomes


def test_an_interrupt_cancels_only_its_own_prediction_among_identical_twins(server):
    per_slot = TRIES // SLOTS
    with concurrent.futures.ThreadPoolExecutor(SLOTS) as pool:
        slots = list(pool.map(lambda s: twin_tries(server, s, per_slot), range(SLOTS)))
    outcomes = [o for slot in slots for o in slot]
    assert len(outcomes) == TRIES
    expected = (("ok", "interrupted"), ["succeeded", "canceled"])
    wrong = [o for o in outcomes if (o[0][0].split(" ")[0], o[0][1]) != expected[0] or o[1] != expected[1]]
    assert wrong == [], f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


def test_with_an_identical_twin_it_waits_for_the_answer_and_cancels_by_id(server, capfd):
    # B's create goes out first, then an identical one from "elsewhere": nothing but the id says which is
    # B's. B waits for its create's answer (held up to wait=3 s) and cancels by that id.
    b_client = rw.Client(api_token=server.token, base_url=server.base_url)
    other = rw.Client(api_token=server.token, base_url=server.base_url)
    http = api(server)
    text = "the same input twice"
    abort = threading.Event()
    outcome = {}

    def b_run():
        try:
            b_client.run("demo/slow-echo", {"text": text, "seconds": 6, "steps": 4}, wait=3, abort=abort)
        except KeyboardInterrupt:
            outcome["b"] = "interrupted"

    b = threading.Thread(target=b_run)
    b.start()
    wait_until(lambda: len(predictions_with(http, text)) == 1)
    a = concurrent.futures.ThreadPoolExecutor(1).submit(
        other.run, "demo/slow-echo", {"text": text, "seconds": 6, "steps": 4}
    )
    wait_until(lambda: len(predictions_with(http, text)) == 2)
    started = time.monotonic()
    abort.set()
    b.join(timeout=30)
    assert outcome == {"b": "interrupted"}
    assert time.monotonic() - started < 10
    assert a.result(timeout=30) == text
    first, second = predictions_with(http, text)
    assert http.get(f"/v1/predictions/{first['id']}").json()["status"] == "canceled"
    assert http.get(f"/v1/predictions/{second['id']}").json()["status"] == "succeeded"
    # the wait left of the create's 3 s, in whole seconds
    printed = capfd.readouterr().err
    assert re.search(r"waiting up to [123] s to cancel; Ctrl-C again leaves it running", printed)


def test_ctrl_c_twice_leaves_the_prediction_running(server):
    http = api(server)
    worker = Worker(server, seconds=2)
    try:
        text = "interrupted twice"
        worker.run(text)
        wait_until(lambda: len(predictions_with(http, text)) == 1)
        worker.interrupt()
        time.sleep(0.1)  # the first interrupt is still looking for the prediction to cancel
        worker.interrupt()
        assert worker.answer() == "interrupted"
        (prediction,) = predictions_with(http, text)
        final = wait_until(
            lambda: (
                (s := http.get(f"/v1/predictions/{prediction['id']}").json()["status"])
                in ("succeeded", "failed", "canceled")
                and s
            )
        )
        assert final == "succeeded"
        assert not server.log.find("POST", f"/v1/predictions/{prediction['id']}/cancel")
    finally:
        worker.close()
        http.close()


def final_status(http, prediction_id):
    return wait_until(
        lambda: (
            (s := http.get(f"/v1/predictions/{prediction_id}").json()["status"])
            in ("succeeded", "failed", "canceled")
            and s
        ),
        timeout=60,
    )


@pytest.fixture(scope="module")
def deployment_server():
    from replicate_widget.local import serve

    with serve(deployments=["team/echo-prod=demo/slow-echo"]) as srv:
        yield srv


def test_ctrl_c_cancels_a_deployment_run(deployment_server):
    # A deployment's create names no model and no version: only its answer (the id) says which is ours.
    server = deployment_server
    http = api(server)
    worker = Worker(server, seconds=8, model="deployments/team/echo-prod")
    try:
        text = "deployed and interrupted"
        worker.run(text)
        (prediction,) = wait_until(lambda: predictions_with(http, text), timeout=60)
        time.sleep(0.3)  # the create is in flight, held by the server
        worker.interrupt()
        assert worker.answer() == "interrupted"
        assert server.log.find("POST", "/v1/deployments/team/echo-prod/predictions")
        assert final_status(http, prediction["id"]) == "canceled"
        assert server.log.find("POST", f"/v1/predictions/{prediction['id']}/cancel")
    finally:
        worker.close()
        http.close()


def _creates(server):
    return [e for e in server.log.find("POST", "/v1/") if e["path"].endswith("/predictions")]


def test_an_interrupt_never_cancels_a_twin_created_while_ours_was_delayed(server):
    # B's create reaches the server first but is held there (a slow network, a busy API); A's identical
    # create is made meanwhile. B is interrupted before its own prediction exists: the one prediction with
    # its input, newer than its request, is A's. B must wait for its own create's answer and cancel that.
    http = api(server)
    a, b = Worker(server, seconds=5), Worker(server, seconds=5)
    tries = 3
    try:
        for i in range(tries):
            text = f"twin held {i}"
            before = len(_creates(server))
            server.faults.delay("POST /v1/models/demo/slow-echo/predictions", seconds=2.5)
            b.run(text)
            wait_until(lambda n=before: len(_creates(server)) == n + 1)  # B's create: arrived, held
            a.run(text)
            wait_until(lambda t=text: len(predictions_with(http, t)) == 1)  # A's prediction exists
            time.sleep(0.2)
            b.interrupt()
            assert b.answer() == "interrupted"
            assert a.answer() == f"ok {text}", "A's prediction was canceled by B's interrupt"
            first, second = predictions_with(http, text)  # A's first: B's was created after its delay
            assert (final_status(http, first["id"]), final_status(http, second["id"])) == (
                "succeeded",
                "canceled",
            )
    finally:
        a.close()
        b.close()
        http.close()
