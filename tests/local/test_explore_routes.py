"""The local server's exploring endpoints: search, QUERY /v1/models, collections, deployments, covers."""

from __future__ import annotations

import base64
import subprocess
import sys
import xml.etree.ElementTree as ET

import httpx
import pytest
from _server_helpers import api, finished, png_bytes

from replicate_widget.local import serve


def test_search_is_shaped_like_replicates(server):
    with api(server) as client:
        body = client.get("/v1/search", params={"query": "text", "limit": 5}).json()
    assert body["query"] == "text"
    assert set(body) == {"query", "models", "collections", "pages"}
    refs = [f"{m['model']['owner']}/{m['model']['name']}" for m in body["models"]]
    assert refs[:2] == ["demo/slow-echo", "demo/story"]
    first = body["models"][0]
    assert set(first["metadata"]) == {"generated_description", "score", "tags"}
    assert first["metadata"]["score"] > 0
    assert first["model"]["latest_version"]["openapi_schema"] == {}  # as Replicate's search leaves it out
    assert first["model"]["cover_image_url"].startswith(server.base_url + "/_covers/")
    assert [c["slug"] for c in body["collections"]] == ["text-generation"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [({}, '"query" is required'), ({"query": "  "}, '"query" is required'),
     ({"query": "x", "limit": "0"}, "1 to 50"), ({"query": "x", "limit": "many"}, "1 to 50")],
)  # fmt: skip
def test_search_refuses_a_missing_query_or_bad_limit(server, params, detail):
    with api(server) as client:
        response = client.get("/v1/search", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_search_limit_and_no_match(server):
    with api(server) as client:
        assert len(client.get("/v1/search", params={"query": "demo", "limit": 2}).json()["models"]) == 2
        assert client.get("/v1/search", params={"query": "zzzz"}).json()["models"] == []


def test_query_models_takes_the_query_as_text(server):
    with api(server) as client:
        response = client.request(
            "QUERY", "/v1/models", content=b"story", headers={"content-type": "text/plain"}
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["name"] for r in results] == ["story"]
        assert results[0]["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"]
        assert client.request("QUERY", "/v1/models", content=b"").status_code == 400
        assert client.get("/v1/models").status_code == 200  # the GET listing is still there


def test_collections(server):
    with api(server) as client:
        listed = client.get("/v1/collections").json()
        assert [c["slug"] for c in listed["results"]] == ["image-tools", "text-generation", "file-utilities"]
        one = client.get("/v1/collections/image-tools").json()
        assert one["name"] == "Image tools"
        assert [m["name"] for m in one["models"]] == ["grayscale", "contact-sheet"]
        missing = client.get("/v1/collections/nope")
    assert missing.status_code == 404
    assert "image-tools, text-generation, file-utilities" in missing.json()["detail"]


def test_the_demo_deployment_and_its_predictions(server):
    with api(server) as client:
        record = client.get("/v1/deployments/demo/grayscale-prod").json()
        release = record["current_release"]
        assert (record["owner"], record["name"], release["model"], release["number"]) == (
            "demo", "grayscale-prod", "demo/grayscale", 1,
        )  # fmt: skip
        model = client.get("/v1/models/demo/grayscale").json()
        assert release["version"] == model["latest_version"]["id"]
        assert [d["name"] for d in client.get("/v1/deployments").json()["results"]] == ["grayscale-prod"]
        png = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
        url = "/v1/deployments/demo/grayscale-prod/predictions"
        created = client.post(url, json={"input": {"image": png}})
        assert created.status_code == 201
        done = finished(client, created.json()["id"])
        assert done["status"] == "succeeded"
        assert done["version"] == release["version"]
        refused = client.post(
            "/v1/deployments/demo/grayscale-prod/predictions", json={"version": "x", "input": {}}
        )
        assert refused.status_code == 422  # same body as the official-model endpoint: no version
        missing = client.get("/v1/deployments/demo/nope")
    assert missing.status_code == 404
    assert "demo/grayscale-prod" in missing.json()["detail"]
    entry = next(e for e in server.log.entries if e["method"] == "POST")
    assert entry["path"] == "/v1/deployments/demo/grayscale-prod/predictions"


def test_covers_and_model_pages_need_no_token(server):
    with httpx.Client(base_url=server.base_url, trust_env=False) as browser:  # no Authorization header
        svg = browser.get("/_covers/demo/story.svg")
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(svg.text)
        assert root.tag.endswith("svg")
        assert root.attrib["width"] == "640"
        assert "story" in svg.text
        assert browser.get("/_covers/demo/story.svg").text == svg.text  # the same picture every time
        assert browser.get("/_covers/demo/slow-echo.svg").text != svg.text
        page = browser.get("/models/demo/story")
        assert page.status_code == 200
        assert "rw.model('demo/story').playground()" in page.text
        assert browser.get("/models/demo/nope").status_code == 404
    with api(server) as client:
        record = client.get("/v1/models/demo/story").json()
    assert record["url"] == f"{server.base_url}/models/demo/story"


def test_more_deployments_and_a_bad_one():
    with serve(deployments=["team/echo=demo/slow-echo"]) as srv, api(srv) as client:
        assert srv.deployments == {"demo/grayscale-prod": "demo/grayscale", "team/echo": "demo/slow-echo"}
        release = client.get("/v1/deployments/team/echo").json()["current_release"]
        assert release["model"] == "demo/slow-echo"
    with pytest.raises(ValueError, match="no model demo/missing here"):
        serve(deployments=["team/x=demo/missing"])
    with pytest.raises(ValueError, match="expected owner/name=model-owner/model-name"):
        serve(deployments=["just-a-name"])


def test_the_cli_refuses_a_bad_deployment():
    result = subprocess.run(
        [sys.executable, "-m", "replicate_widget.cli", "serve", "--deployment", "team/x=demo/missing"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no model demo/missing here" in result.stdout
