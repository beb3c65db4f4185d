"""Prediction lifecycle on the local server: waits, cancel, deadlines, streaming, concurrency, crashes."""

from __future__ import annotations

import json
import os
import signal

import httpx
import psutil
from _server_helpers import api, finished, wait_until
from httpx_sse import connect_sse

ECHO = "/v1/models/demo/slow-echo/predictions"


def _echo(client: httpx.Client, seconds: float, text: str = "hi", **headers: str) -> httpx.Response:
    return client.post(ECHO, json={"input": {"text": text, "seconds": seconds}}, headers=headers)


def test_wait_that_ends_early_is_202_and_polling_finishes(server):
    with api(server) as client:
        response = _echo(client, 3, Prefer="wait=1")
        assert response.status_code == 202
        prediction = response.json()
        assert prediction["status"] in ("starting", "processing")
        assert prediction["output"] is None
        assert prediction["metrics"] == {}
        done = finished(client, prediction["id"])
    assert done["status"] == "succeeded"
    assert done["output"] == "hi"
    assert "100%|██████████| 10/10" in done["logs"]
    assert done["started_at"] >= done["created_at"]
    assert done["completed_at"] >= done["started_at"]
    assert done["metrics"]["total_time"] >= done["metrics"]["predict_time"] > 0


def test_without_prefer_the_create_answers_at_once(server):
    with api(server) as client:
        response = _echo(client, 0.2)
        assert response.status_code == 201
        assert response.json()["status"] == "starting"
        assert finished(client, response.json()["id"])["status"] == "succeeded"


def test_live_logs_while_processing(server):
    with api(server) as client:
        prediction = client.post(ECHO, json={"input": {"text": "x", "seconds": 3, "steps": 30}}).json()
        partial = wait_until(
            lambda: (
                (p := client.get(f"/v1/predictions/{prediction['id']}").json())["status"] == "processing"
                and "/30" in p["logs"]
                and p
            ),
            what="progress logs while processing",
        )
        assert partial["completed_at"] is None
        client.post(f"/v1/predictions/{prediction['id']}/cancel")
        assert finished(client, prediction["id"])["status"] == "canceled"


def test_cancel_running_prediction(server):
    with api(server) as client:
        prediction = _echo(client, 30).json()
        wait_until(lambda: client.get(f"/v1/predictions/{prediction['id']}").json()["status"] == "processing")
        response = client.post(f"/v1/predictions/{prediction['id']}/cancel")
        assert response.status_code == 200
        assert response.json()["id"] == prediction["id"]
        done = finished(client, prediction["id"], timeout=5)  # short sleeps inside: the cancel lands quickly
        assert done["status"] == "canceled"
        assert done["output"] is None
        again = client.post(f"/v1/predictions/{prediction['id']}/cancel")
        assert again.json()["status"] == "canceled"
        assert client.post("/v1/predictions/nope/cancel").status_code == 404


def test_cancel_after_aborts_a_queued_prediction_and_cancels_a_running_one(server):
    with api(server) as client:
        running = _echo(client, 30, **{"Cancel-After": "1.5s"}).json()
        assert running["deadline"] is not None
        done = finished(client, running["id"])
        assert done["status"] == "canceled"
        assert done["started_at"] is not None
    # a deadline that passes while the model's only slot is busy: aborted, never started
    with api(server) as client:
        busy = client.post(
            "/v1/models/demo/story/predictions", json={"input": {"sentences": 20, "delay": 0.1}}
        ).json()
        queued = client.post(
            "/v1/models/demo/story/predictions",
            json={"input": {"sentences": 1}},
            headers={"Cancel-After": "0.5"},
        ).json()
        done = finished(client, queued["id"])
        assert done["status"] == "aborted"
        assert done["started_at"] is None
        assert done["output"] is None
        client.post(f"/v1/predictions/{busy['id']}/cancel")
        assert finished(client, busy["id"])["status"] == "canceled"
        bad = _echo(client, 1, **{"Cancel-After": "soon"})
        assert bad.status_code == 422


def test_cancel_queued_prediction(server):
    with api(server) as client:
        busy = client.post(
            "/v1/models/demo/story/predictions", json={"input": {"sentences": 20, "delay": 0.1}}
        ).json()
        queued = client.post("/v1/models/demo/story/predictions", json={"input": {}}).json()
        response = client.post(f"/v1/predictions/{queued['id']}/cancel")
        assert response.json()["status"] == "canceled"
        client.post(f"/v1/predictions/{busy['id']}/cancel")
        assert finished(client, busy["id"])["status"] == "canceled"


def test_story_streams_over_sse_without_token(server):
    with api(server) as client:
        prediction = client.post(
            "/v1/models/demo/story/predictions",
            json={"input": {"prompt": "a cat", "sentences": 2, "delay": 0.01}},
        ).json()
    stream_url = prediction["urls"]["stream"]
    assert prediction["id"] in stream_url
    events = []
    with httpx.Client(trust_env=False, timeout=30) as plain, connect_sse(plain, "GET", stream_url) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = [(e.event, e.data) for e in source.iter_sse()]
    text = "".join(data for kind, data in events if kind == "output")
    assert text.startswith("Once upon a time, a cat.")
    assert any(kind == "logs" and "telling a story of" in data for kind, data in events)
    assert events[-1] == ("done", "{}")
    with api(server) as client:
        final = finished(client, prediction["id"])
    assert "".join(final["output"]) == text
    with httpx.Client(trust_env=False) as plain:
        assert plain.get(stream_url[:-4] + "0000").status_code == 404
    assert "stream" not in _echo_urls(server)


def _echo_urls(server) -> dict:
    with api(server) as client:
        urls: dict = _echo(client, 0).json()["urls"]
        return urls


def test_failed_prediction_reports_its_error_and_logs(server):
    with api(server) as client:
        response = client.post(
            ECHO,
            json={"input": {"text": "x", "seconds": 0, "fail": "the model gave up"}},
            headers={"Prefer": "wait"},
        )
    prediction = response.json()
    assert prediction["status"] == "failed"
    assert "the model gave up" in prediction["error"]
    assert "100%" in prediction["logs"]


def test_slow_echo_runs_several_at_once(server):
    with api(server) as client:
        ids = [_echo(client, 1.5, text=f"t{i}").json()["id"] for i in range(3)]
        results = [finished(client, i) for i in ids]
    assert [r["output"] for r in results] == ["t0", "t1", "t2"]
    # they overlapped: each started before any of the others completed
    assert max(r["started_at"] for r in results) < min(r["completed_at"] for r in results)


def test_get_and_list_predictions(server):
    with api(server) as client:
        created = _echo(client, 0, Prefer="wait").json()
        assert client.get(f"/v1/predictions/{created['id']}").json()["id"] == created["id"]
        missing = client.get("/v1/predictions/doesnotexist")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        listed = client.get("/v1/predictions").json()
        assert listed["results"][0]["id"] == created["id"]
        assert set(listed) == {"next", "previous", "results"}
    with httpx.Client(trust_env=False) as plain:  # the page needs the token (test_hostile_requests.py)
        page = plain.get(created["urls"]["web"], headers={"Authorization": f"Bearer {server.token}"})
        assert page.status_code == 200
        assert created["id"] in page.text


def test_list_filters_by_creation_time_as_replicate_does(server):
    with api(server) as client:
        first = _echo(client, 0, text="first", Prefer="wait").json()
        second = _echo(client, 0, text="second", Prefer="wait").json()
        third = _echo(client, 0, text="third", Prefer="wait").json()

        def listed(**params: str) -> list[str]:
            answer = client.get("/v1/predictions", params=params)
            assert answer.status_code == 200, answer.text
            return [p["id"] for p in answer.json()["results"]]

        assert listed(created_after=first["created_at"])[:2] == [third["id"], second["id"]]
        assert first["id"] not in listed(created_after=first["created_at"])
        assert listed(created_after=first["created_at"], created_before=third["created_at"]) == [second["id"]]
        assert listed(created_after=third["created_at"]) == []
        offset = listed(created_after=second["created_at"].replace("Z", "+00:00"))
        assert offset == [third["id"]]
        bad = client.get("/v1/predictions", params={"created_after": "yesterday"})
        assert bad.status_code == 400
        assert "ISO 8601" in bad.json()["detail"]


def test_worker_killed_mid_prediction_fails_clearly_and_server_recovers(server):
    with api(server) as client:
        victim = _echo(client, 30, text="doomed").json()
        wait_until(lambda: client.get(f"/v1/predictions/{victim['id']}").json()["status"] == "processing")
        [worker] = [w for w in server.workers() if w["model"] == "demo/slow-echo"]
        os.kill(worker["pid"], signal.SIGKILL)  # the Cog server itself (its Python child goes with it)
        done = finished(client, victim["id"])
        assert done["status"] == "failed"
        assert "demo/slow-echo" in done["error"]
        assert "exited unexpectedly" in done["error"]
        # coglet's Python child dying is reported too, and the model works again afterwards
        second = _echo(client, 30, text="doomed too").json()
        wait_until(lambda: client.get(f"/v1/predictions/{second['id']}").json()["status"] == "processing")
        [worker] = [w for w in server.workers() if w["model"] == "demo/slow-echo"]
        [child] = psutil.Process(worker["pid"]).children()
        child.kill()
        done = finished(client, second["id"])
        assert done["status"] == "failed"
        assert "crashed" in done["error"]
        after = _echo(client, 0, text="alive", Prefer="wait")
        assert after.json()["status"] == "succeeded"
        assert after.json()["output"] == "alive"
        assert json.loads(client.get("/v1/account").text)["username"] == "local"


def test_stream_reports_a_crash_as_error_then_done(server):
    with api(server) as client:
        prediction = client.post(
            "/v1/models/demo/story/predictions", json={"input": {"sentences": 30, "delay": 0.1}}
        ).json()
    events = []
    with (
        httpx.Client(trust_env=False, timeout=30) as plain,
        connect_sse(plain, "GET", prediction["urls"]["stream"]) as source,
    ):
        for event in source.iter_sse():
            events.append((event.event, event.data))
            if event.event == "output" and len(events) == 3:
                [worker] = [w for w in server.workers() if w["model"] == "demo/story"]
                os.kill(worker["pid"], signal.SIGKILL)
    kinds = [kind for kind, _ in events]
    assert "output" in kinds
    assert kinds[-2:] == ["error", "done"]
    assert "demo/story" in events[-2][1]
    assert json.loads(events[-1][1]) == {"reason": "failed"}
