"""The local server's surface: auth, account, models, faults, controls, loopback only, clean stop, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import psutil
import pytest
from _server_helpers import api, png_bytes, upload, wait_until

from replicate_widget.local import demo_models, parse_model_arg, serve

DEMOS = {"demo/grayscale", "demo/file-info", "demo/contact-sheet", "demo/slow-echo", "demo/story"}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Bearer", "Basic abc", "local_token_without_scheme"]
)
def test_bad_or_missing_token_is_401_problem(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(base_url=server.base_url, trust_env=False) as plain:
        for method, path in [("GET", "/v1/account"), ("GET", "/v1/models"), ("POST", "/v1/files"),
                             ("GET", "/v1/predictions/x"), ("GET", "/_local/log")]:  # fmt: skip
            response = plain.request(method, path, headers=headers)
            assert response.status_code == 401, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json() == {
                "title": "Unauthenticated",
                "detail": "You did not pass a valid authentication token",
                "status": 401,
            }
    logged = server.log.entries
    assert {e["status"] for e in logged} == {401}
    assert {e["headers"]["authorization"] for e in logged} == {"present" if authorization else "absent"}


def test_token_scheme_and_account(server):
    assert server.token.startswith("local_")
    with httpx.Client(base_url=server.base_url, trust_env=False) as plain:
        account = plain.get("/v1/account", headers={"Authorization": f"Token {server.token}"})
    assert account.status_code == 200
    assert account.json()["type"] == "user"
    assert account.json()["username"] == "local"
    assert server.token not in repr(server)


def test_models_versions_and_schemas(server):
    with api(server) as client:
        listed = client.get("/v1/models").json()
        assert {f"{m['owner']}/{m['name']}" for m in listed["results"]} == DEMOS
        for model in listed["results"]:
            assert model["is_official"] is True
            version = model["latest_version"]
            assert len(version["id"]) == 64
            schema = version["openapi_schema"]["components"]["schemas"]
            assert schema["Input"]["type"] == "object"
            orders = [p["x-order"] for p in schema["Input"]["properties"].values()]
            assert orders == sorted(orders)
            path = f"/v1/models/{model['owner']}/{model['name']}"
            assert client.get(path).json()["latest_version"]["id"] == version["id"]
            assert client.get(f"{path}/versions").json()["results"] == [version]
            assert client.get(f"{path}/versions/{version['id']}").json() == version
            assert client.get(f"{path}/versions/{'f' * 64}").status_code == 404
        story = client.get("/v1/models/demo/story").json()["latest_version"]["openapi_schema"]
        assert story["paths"]["/predictions"]["post"]["x-cog-streaming"] is True
        assert story["components"]["schemas"]["Output"]["x-cog-array-display"] == "concatenate"
        image = client.get("/v1/models/demo/grayscale").json()["latest_version"]["openapi_schema"]
        assert image["components"]["schemas"]["Input"]["properties"]["image"]["format"] == "uri"


def test_version_ids_are_stable_across_restarts(server):
    assert {s.ref: s.version_id for s in demo_models()} == {s.ref: s.version_id for s in server.models}


def test_unknown_route_and_method_are_problems(server):
    with api(server) as client:
        unknown = client.get("/v1/nothing-here")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        wrong = client.put("/v1/files")
        assert wrong.status_code == 405
        assert wrong.headers["content-type"] == "application/problem+json"


def test_fault_fail_and_rate_limit(server):
    server.faults.fail("POST /v1/files", status=503, times=2)
    server.faults.rate_limit("GET /v1/account", times=1, retry_after=2)
    with api(server) as client:
        for _ in range(2):
            failed = client.post("/v1/files", files={"content": ("a.txt", b"abc", "text/plain")})
            assert failed.status_code == 503
            assert failed.headers["content-type"] == "application/problem+json"
            assert failed.json()["title"] == "Service Unavailable"
        assert upload(client, b"abc", "a.txt", "text/plain")["size"] == 3
        limited = client.get("/v1/account")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"
        assert "throttled" in limited.json()["detail"]
        assert client.get("/v1/account").status_code == 200
    assert [e["status"] for e in server.log.entries] == [503, 503, 201, 429, 200]


def test_fault_drop_and_delay(server):
    server.faults.drop("GET /v1/models", times=1)
    server.faults.delay("GET /v1/account", seconds=0.2, times=1)
    with api(server) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/v1/models")
        assert client.get("/v1/models").status_code == 200
        assert client.get("/v1/account").status_code == 200  # held a moment, then served
    assert [e["status"] for e in server.log.entries] == ["dropped", 200, 200]
    assert server.faults.armed == []


def test_faults_match_route_prefix_and_method(server):
    server.faults.fail("POST /v1/models/demo/grayscale", status=500)
    with api(server) as client:
        assert client.get("/v1/models/demo/grayscale").status_code == 200  # other method
        response = client.post("/v1/models/demo/grayscale/predictions", json={"input": {}})
        assert response.status_code == 500
    with pytest.raises(ValueError, match="must start with"):
        server.faults.fail("POST v1/files")


def test_controls_over_http(server):
    with api(server) as client:
        client.get("/v1/account")
        log = client.get("/_local/log").json()["entries"]
        assert [(e["method"], e["path"], e["status"]) for e in log] == [("GET", "/v1/account", 200)]
        armed = client.post(
            "/_local/faults", json={"kind": "rate_limit", "route": "GET /v1/account", "retry_after": 3}
        )
        assert armed.status_code == 201
        assert client.get("/v1/account").headers["retry-after"] == "3"
        client.post(
            "/_local/faults", json={"kind": "fail", "route": "GET /v1/account", "status": 502, "times": 5}
        )
        assert client.delete("/_local/faults").status_code == 204
        assert client.get("/v1/account").status_code == 200
        bad = client.post("/_local/faults", json={"kind": "explode", "route": "GET /v1/account"})
        assert bad.status_code == 422
        assert client.delete("/_local/log").status_code == 204
        assert client.get("/_local/log").json()["entries"] == []
        workers = client.get("/_local/workers").json()["workers"]
        assert all({"model", "pid", "running", "queued"} <= w.keys() for w in workers)


def _listening(pids: set[int]) -> list[tuple[int, str]]:
    return [
        (c.pid, c.laddr.ip)
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    ]


SHOUT = """
from cog import BaseRunner, Input


class Predictor(BaseRunner):
    def run(self, text: str = Input(description="what to shout")) -> str:
        return text.upper()
"""
SHOUT_SCHEMA = {
    "openapi": "3.0.2",
    "info": {"title": "Cog", "version": "0.1.0"},
    "paths": {},
    "components": {
        "schemas": {
            "Input": {"type": "object", "title": "Input", "required": ["text"],
                      "properties": {"text": {"type": "string", "title": "Text", "x-order": 0}}},
            "Output": {"type": "string", "title": "Output"},
        }
    },
}  # fmt: skip


@pytest.fixture
def own_models(tmp_path):
    with_schema = tmp_path / "shout"
    (with_schema / ".cog").mkdir(parents=True)
    (with_schema / "predict.py").write_text(SHOUT)
    (with_schema / ".cog" / "openapi_schema.json").write_text(json.dumps(SHOUT_SCHEMA))
    without_schema = tmp_path / "loose"
    without_schema.mkdir()
    (without_schema / "predict.py").write_text(SHOUT.replace("Predictor", "Runner"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "predict.py").write_text("import no_such_module_here\n" + SHOUT)
    return [
        f"me/shout={with_schema / 'predict.py'}:Predictor",
        f"me/loose={without_schema / 'predict.py'}:Runner",
        f"me/broken={broken / 'predict.py'}:Predictor",
    ]


def test_own_models_loopback_only_and_no_process_left_after_stop(own_models):
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    with serve(models=own_models) as srv, api(srv) as client:
        # canceled while its worker boots (nothing reached Cog yet): canceled at once
        booting = client.post("/v1/models/me/shout/predictions", json={"input": {"text": "x"}}).json()
        assert client.post(f"/v1/predictions/{booting['id']}/cancel").json()["status"] == "canceled"
        url = upload(client, png_bytes(), "x.png", "image/png")["urls"]["get"]
        gray = client.post(
            "/v1/models/demo/grayscale/predictions",
            json={"input": {"image": url}},
            headers={"Prefer": "wait"},
        )
        assert gray.json()["status"] == "succeeded"
        shout = client.post(
            "/v1/models/me/shout/predictions", json={"input": {"text": "hey"}}, headers={"Prefer": "wait"}
        )
        assert shout.json()["output"] == "HEY"
        refused = client.post("/v1/models/me/shout/predictions", json={"input": {"txt": "hey"}})
        assert {f["type"] for f in refused.json()["invalid_fields"]} == {
            "required",
            "additional_property_not_allowed",
        }
        loose_model = client.get("/v1/models/me/loose").json()
        assert (
            loose_model["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"]["properties"]
            == {}
        )
        loose = client.post(
            "/v1/models/me/loose/predictions", json={"input": {"text": "ok"}}, headers={"Prefer": "wait"}
        )
        assert loose.json()["output"] == "OK"
        broken = client.post(
            "/v1/models/me/broken/predictions", json={"input": {"text": "x"}}, headers={"Prefer": "wait"}
        )
        assert broken.json()["status"] == "failed"
        assert "me/broken: the predictor failed to start" in broken.json()["error"]
        assert "no_such_module_here" in broken.json()["error"]
        started = {p.pid for p in me.children(recursive=True)} - before
        assert len(started) >= 3  # three Cog servers (and their Python workers)
        sockets = _listening({me.pid, *started})
        assert sockets, "expected listening sockets"
        assert {ip for _, ip in sockets} == {"127.0.0.1"}
    assert not srv.running
    left = {p.pid for p in me.children(recursive=True)} - before
    assert left == set()
    for pid in started:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_model_argument_errors():
    with pytest.raises(ValueError, match="owner/name="):
        parse_model_arg("just-a-name")
    with pytest.raises(ValueError, match="is not a file"):
        parse_model_arg("me/x=/nonexistent/predict.py:Predictor")


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"]
)
def test_cli_serve_prints_exports_and_stops_cleanly_on_a_signal(tmp_path, sig):
    """Ctrl-C, SIGTERM (a service manager) and SIGHUP (a closed terminal) all stop the server the same way:
    workers stopped, and its temporary folder, uploads and Cog's own downloads included, removed."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "XDG_STATE_HOME": str(tmp_path / "state")}
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate_widget.cli", "serve", "--token", "local_cli_test"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    cli_env = [sys.executable, "-m", "replicate_widget.cli", "env"]
    try:
        lines: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                lines[name] = value
            if len(lines) == 2:
                break
        assert lines["REPLICATE_API_TOKEN"] == "local_cli_test"
        base_url = lines["REPLICATE_BASE_URL"]
        assert base_url.startswith("http://127.0.0.1:")
        # `replicate-widget env` finds the running server and prints the same two lines
        printed = subprocess.run(cli_env, env=env, capture_output=True, text=True, timeout=30, check=True)
        assert (
            printed.stdout
            == f"export REPLICATE_BASE_URL={base_url}\nexport REPLICATE_API_TOKEN=local_cli_test\n"
        )
        with httpx.Client(
            base_url=base_url, headers={"Authorization": "Bearer local_cli_test"}, trust_env=False
        ) as c:
            assert c.get("/v1/account").status_code == 200
            stored = upload(c, png_bytes(), "kept.png", "image/png")
            # the model downloads its input and writes its output in temporary folders of its own
            gray = c.post(
                "/v1/models/demo/grayscale/predictions",
                json={"input": {"image": stored["urls"]["get"]}},
                headers={"Prefer": "wait"},
            )
            assert c.get(gray.json()["output"]).content.startswith(b"\x89PNG")
        assert "kept.png" not in [p.name for p in tmpdir.rglob("*")]  # stored under its id
        assert any(p.is_file() for p in tmpdir.rglob("*"))
        children = psutil.Process(process.pid).children(recursive=True)
        assert children
        os.kill(process.pid, sig)
        assert process.wait(timeout=30) == 0
        wait_until(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children))
        assert sorted(tmpdir.rglob("*")) == []
        assert sorted((tmp_path / "state").rglob("*.json")) == []  # its note for `env` went with it
        assert subprocess.run(cli_env, env=env, capture_output=True, timeout=30, check=False).returncode == 1
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_serve_in_a_process_killed_by_sigterm_leaves_nothing(tmp_path):
    """A notebook kernel (or any program) that started serve() and is sent SIGTERM, which runs no exit
    handler: the server's folder goes all the same, and the process still dies of the signal."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    code = (
        "import time; from replicate_widget.local import serve\n"
        "srv = serve()\nprint(srv.base_url, srv.token, flush=True)\ntime.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    try:
        assert process.stdout is not None
        base_url, token = process.stdout.readline().split()
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, trust_env=False
        ) as c:
            upload(c, b"x" * 1000, "x.bin", "application/octet-stream")
        assert any(p.is_file() for p in tmpdir.rglob("*"))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == -signal.SIGTERM
        assert sorted(tmpdir.rglob("*")) == []
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
