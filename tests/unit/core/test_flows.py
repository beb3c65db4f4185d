"""The flows end to end through the real drivers and transports, on a scripted httpx transport and a fake
clock: no server, no real waits. Each test asserts on the requests that went out (method, URL, token, body),
not only on what came back."""

from __future__ import annotations

import asyncio
import threading

import pytest

import replicate_widget as rw
from replicate_widget.core.context import ApiContext
from replicate_widget.core.network import transport as _transport
from replicate_widget.core.network.drive import adrive, drive
from replicate_widget.core.network.transport import AsyncHttpTransport, Credentials, HttpTransport
from replicate_widget.core.run import predict_flow, run_flow
from tests.unit.core.scripted import FakeClock, Scripted, Step

TOKEN = "r8_SCRIPTEDSCRIPTED"
BASE = "https://api.test"
V = "a" * 64
REF = f"o/n:{V}"
VERSION_PATH = f"/v1/models/o/n/versions/{V}"
ID = "p1"


def version(output: dict | None = None) -> dict:
    schemas = {
        "Input": {"type": "object", "properties": {"prompt": {"type": "string"}}},
        "Output": output or {"type": "string"},
    }
    return {"id": V, "openapi_schema": {"components": {"schemas": schemas}}}


def prediction(status: str, output: object = None, **urls: str) -> dict:
    return {
        "id": ID,
        "status": status,
        "output": output,
        "urls": {
            "get": f"{BASE}/v1/predictions/{ID}",
            "cancel": f"{BASE}/v1/predictions/{ID}/cancel",
            **urls,
        },
    }


def with_token(sent) -> bool:
    return sent.headers.get("authorization") == f"Bearer {TOKEN}"


def sync_transport(script: Scripted) -> HttpTransport:
    return HttpTransport(Credentials(BASE, TOKEN), script)


# ---- (a) run: the create holds, and answers with the output ----------------------------------------------
def test_run_answered_by_the_create():
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        Step("POST", "/v1/predictions", status=201, json=prediction("succeeded", "hello")),
    )
    with rw.Client(TOKEN, BASE, transport=script) as client:
        assert client.run(REF, {"prompt": "hi"}, progress=False) == "hello"
    script.check()
    lookup, create = script.sent
    assert (lookup.method, lookup.url) == ("GET", f"{BASE}{VERSION_PATH}")
    assert (create.method, create.url) == ("POST", f"{BASE}/v1/predictions")
    assert create.json == {"input": {"prompt": "hi"}, "version": V}
    assert create.headers["prefer"] == "wait=1"
    assert all(with_token(s) for s in script.sent)


def test_async_run_answered_by_the_create():
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        Step("POST", "/v1/predictions", status=201, json=prediction("succeeded", "hello")),
    )
    client = rw.Client(TOKEN, BASE, transport=script)
    assert asyncio.run(client.async_run(REF, {"prompt": "hi"}, progress=False)) == "hello"
    script.check()
    assert script.sent[1].json == {"input": {"prompt": "hi"}, "version": V}
    assert all(with_token(s) for s in script.sent)


def test_api_calls_never_follow_a_redirect():
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        Step("POST", "/v1/predictions", status=307, headers={"location": "https://elsewhere.test/v1/p"}),
    )
    client = rw.Client(TOKEN, BASE, transport=script)
    with pytest.raises(rw.APIError, match="Redirected"):
        client.run(REF, {"prompt": "hi"}, progress=False)
    script.check()  # and nothing went to elsewhere.test


# ---- output files and streams go through the client's transport, never with the token -----------------
def test_output_files_fetch_through_the_clients_transport_without_the_token():
    on_api = f"{BASE}/outputs/{ID}/out.png"  # the local server's outputs are on the API's origin
    script = Scripted(
        Step("GET", VERSION_PATH, json=version({"type": "string", "format": "uri"})),
        Step("POST", "/v1/predictions", status=201, json=prediction("succeeded", on_api)),
        Step("GET", f"/outputs/{ID}/out.png", status=302, headers={"location": "https://cdn.test/x.png"}),
        Step("GET", "/x.png", content=b"\x89PNG-bytes", headers={"content-type": "image/png"}),
    )
    client = rw.Client(TOKEN, BASE, transport=script)
    out = client.run(REF, {"prompt": "hi"}, progress=False)
    assert isinstance(out, rw.FileOutput)
    assert out.read() == b"\x89PNG-bytes"
    script.check()
    api, downloads = script.sent[:2], script.sent[2:]
    assert all(with_token(s) for s in api)
    assert [s.url for s in downloads] == [on_api, "https://cdn.test/x.png"]  # redirects followed
    assert not any("authorization" in s.headers for s in downloads)


def test_outputs_outlive_their_client(monkeypatch):
    # `with rw.Client() as c: out = c.run(...)`, then out.save(): the closed client's pool hands over to the
    # process's shared one.
    shared = Scripted(Step("GET", "/x.png", content=b"bytes"))
    monkeypatch.setattr(_transport, "_shared", HttpTransport(Credentials("", None), shared))
    own = sync_transport(Scripted())
    out = rw.FileOutput("https://cdn.test/x.png", downloads=own)
    own.close()
    assert out.read() == b"bytes"
    shared.check()
    assert "authorization" not in shared.sent[0].headers


def test_stream_reads_through_the_clients_transport_without_the_token():
    events = b"event: output\ndata: Hel\n\nevent: output\ndata: lo\n\nevent: done\ndata: {}\n\n"
    stream_url = f"{BASE}/v1/streams/{ID}"
    script = Scripted(
        Step("GET", VERSION_PATH, json=version({"type": "array", "items": {"type": "string"}})),
        Step("POST", "/v1/predictions", status=201, json=prediction("starting", stream=stream_url)),
        Step("GET", f"/v1/streams/{ID}", content=events, headers={"content-type": "text/event-stream"}),
        Step("GET", f"/v1/predictions/{ID}", json=prediction("succeeded", ["Hel", "lo"])),
    )
    client = rw.Client(TOKEN, BASE, transport=script)
    assert list(client.stream(REF, {"prompt": "hi"}, progress=False)) == ["Hel", "lo"]
    script.check()
    create, stream = script.sent[1], script.sent[2]
    assert create.json == {"input": {"prompt": "hi"}, "version": V, "stream": True}
    assert stream.url == stream_url
    assert stream.headers["accept"] == "text/event-stream"
    assert "authorization" not in stream.headers  # a capability, even on the API's origin
    assert with_token(script.sent[3])


# ---- (b) waiting: polls with backoff, on the fake clock ---------------------------------------------------
def test_wait_polls_until_done_with_backoff():
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        Step("POST", "/v1/predictions", status=201, json=prediction("starting")),
        Step("GET", f"/v1/predictions/{ID}", json=prediction("processing")),
        Step("GET", f"/v1/predictions/{ID}", json=prediction("succeeded", "done")),
    )
    clock = FakeClock()
    transport = sync_transport(script)
    assert drive(transport, run_flow(ApiContext(BASE), REF, {"prompt": "hi"}), clock=clock) == "done"
    script.check()
    assert clock.slept == pytest.approx([0.1, 0.15])  # one wait before each poll, backing off
    assert [s.method for s in script.sent] == ["GET", "POST", "GET", "GET"]
    assert script.sent[1].headers["prefer"] == "wait=1"
    assert all(s.url == f"{BASE}/v1/predictions/{ID}" for s in script.sent[2:])
    assert all(with_token(s) for s in script.sent)


def test_a_timeout_is_measured_on_the_flows_clock():
    # The deadline runs out on the fake clock after 2 s of requested sleeps, none of them real.
    polls = [Step("GET", f"/v1/predictions/{ID}", json=prediction("processing")) for _ in range(7)]
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        Step("POST", "/v1/predictions", status=201, json=prediction("starting")),
        *polls,
    )
    clock = FakeClock()
    flow = run_flow(ApiContext(BASE), REF, {"prompt": "hi"}, timeout=2)
    with pytest.raises(rw.PredictionTimeout):
        drive(sync_transport(script), flow, clock=clock)
    script.check()  # exactly 7 polls, and no cancel: a timeout leaves the prediction running
    assert clock.slept == pytest.approx([0.1, 0.15, 0.225, 0.3375, 0.5, 0.5, 0.1875])
    assert clock.monotonic() == 2.0


# ---- (c) cancel by id ------------------------------------------------------------------------------------
def test_cancel_by_id_and_through_the_handle():
    canceled = prediction("canceled")
    script = Scripted(
        Step("POST", f"/v1/predictions/{ID}/cancel", json=canceled),
        Step("GET", f"/v1/predictions/{ID}", json=prediction("processing")),
        Step("POST", f"/v1/predictions/{ID}/cancel", json=canceled),
    )
    client = rw.Client(TOKEN, BASE, transport=script)
    assert client.cancel(ID).status == "canceled"
    handle = client.prediction(ID)
    assert handle.status == "processing"
    assert handle.cancel().status == "canceled"
    script.check()
    assert script.requests() == [
        ("POST", f"{BASE}/v1/predictions/{ID}/cancel"),
        ("GET", f"{BASE}/v1/predictions/{ID}"),
        ("POST", f"{BASE}/v1/predictions/{ID}/cancel"),
    ]
    assert all(with_token(s) and s.json is None for s in script.sent)


# ---- (d) interrupted while the create is in flight --------------------------------------------------------
class OneInterrupt(threading.Event):
    """An abort event that reads as set once, as one Ctrl-C does; `fire` returns once the driver saw it."""

    def __init__(self) -> None:
        super().__init__()
        self.noticed = threading.Event()

    def is_set(self) -> bool:
        if super().is_set():
            self.clear()
            self.noticed.set()
            return True
        return False

    def fire(self) -> None:
        self.set()
        assert self.noticed.wait(10), "the driver never looked at its abort event"


def test_an_interrupt_during_the_create_waits_for_its_id_then_cancels_it(capsys):
    interrupt = OneInterrupt()
    script = Scripted(
        Step("GET", VERSION_PATH, json=version()),
        # The interrupt lands while the create is in flight; the answer (the id) comes after it.
        Step("POST", "/v1/predictions", status=201, json=prediction("starting"), during=interrupt.fire),
        Step("POST", f"/v1/predictions/{ID}/cancel", json=prediction("canceled")),
    )
    flow = predict_flow(ApiContext(BASE), REF, {"prompt": "hi"})
    with pytest.raises(KeyboardInterrupt):
        drive(sync_transport(script), flow, abort=interrupt, clock=FakeClock())
    script.check()
    assert script.requests() == [
        ("GET", f"{BASE}{VERSION_PATH}"),
        ("POST", f"{BASE}/v1/predictions"),
        ("POST", f"{BASE}/v1/predictions/{ID}/cancel"),
    ]
    assert all(with_token(s) for s in script.sent)
    assert f"canceled prediction {ID}" in capsys.readouterr().err


def test_a_cancelled_task_during_the_create_waits_for_its_id_then_cancels_it():
    async def main() -> Scripted:
        in_flight, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            in_flight.set()
            await release.wait()

        script = Scripted(
            Step("GET", VERSION_PATH, json=version()),
            Step("POST", "/v1/predictions", status=201, json=prediction("starting"), during=hold),
            Step("POST", f"/v1/predictions/{ID}/cancel", json=prediction("canceled")),
        )
        transport = AsyncHttpTransport(Credentials(BASE, TOKEN), script)
        flow = predict_flow(ApiContext(BASE), REF, {"prompt": "hi"})
        task = asyncio.ensure_future(adrive(transport, flow, FakeClock()))
        await in_flight.wait()
        task.cancel()  # as Ctrl-C is to a sync run
        await asyncio.sleep(0)
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return script

    script = asyncio.run(main())
    script.check()
    assert [s.method for s in script.sent] == ["GET", "POST", "POST"]
    assert script.sent[2].url == f"{BASE}/v1/predictions/{ID}/cancel"
