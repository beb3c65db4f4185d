"""Predictions on the local server over real HTTP, run by real Cog workers."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import threading
from urllib.parse import quote

import httpx
import pytest
from _server_helpers import (
    api,
    pdf_bytes,
    png_bytes,
    sha256,
    upload,
    wav_bytes,
    zip_bytes,
)
from PIL import Image, ImageOps


def _gray_of(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.grayscale(image).tobytes()


def _data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


@pytest.fixture(scope="module")
def http_origin(tmp_path_factory):
    """A plain static file server on loopback, for URL inputs that are not this server's."""
    folder = tmp_path_factory.mktemp("www")
    (folder / "blue.png").write_bytes(png_bytes(color=(0, 0, 250)))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_grayscale_from_upload_data_uri_and_url(server, http_origin):
    red = png_bytes()
    with api(server) as client:
        file_url = upload(client, red, "red.png", "image/png")["urls"]["get"]
        cases = [
            (file_url, "file", red),
            (_data_uri(red, "image/png"), "data-uri", red),
            (f"{http_origin}/blue.png", "url", png_bytes(color=(0, 0, 250))),
        ]
        for value, kind, source in cases:
            server.log.clear()
            response = client.post(
                "/v1/models/demo/grayscale/predictions",
                json={"input": {"image": value}},
                headers={"Prefer": "wait"},
            )
            assert response.status_code == 201, response.text
            prediction = response.json()
            assert prediction["status"] == "succeeded", prediction["error"]
            assert prediction["version"] == "hidden"
            assert prediction["model"] == "demo/grayscale"
            assert prediction["input"] == {"image": value}
            assert "converted 40x30 image" in prediction["logs"]
            assert prediction["metrics"]["predict_time"] > 0
            assert response.headers["location"] == prediction["urls"]["get"]
            output = prediction["output"]
            assert output.startswith(f"{server.base_url}/_outputs/")  # served over HTTP, not inlined
            with httpx.Client(trust_env=False) as plain:  # output URLs need no token
                delivered = plain.get(output)
            assert delivered.status_code == 200
            assert delivered.headers["content-type"] == "image/png"
            assert _gray_of(delivered.content) == _gray_of(source)
            [entry] = server.log.find("POST", "/v1/models/demo/grayscale/predictions")
            record = entry["inputs"]["image"]
            assert record["kind"] == kind
            assert entry["prediction_id"] == prediction["id"]
            assert entry["headers"]["prefer"] == "wait"
            if kind != "url":
                assert record["sha256"] == sha256(red)
                assert record["size"] == len(red)
                assert record["content_type"] == "image/png"
            if kind == "file":
                assert record["filename"] == "red.png"


def test_outputs_are_named_after_their_input_and_never_collide(server, http_origin):
    """An input with a name gives `<stem>-gray.png`; a data URI has none, so plain `gray.png`. Each prediction
    writes to a folder of its own, so two outputs of the same name keep their own bytes and URLs."""
    red, green = png_bytes(color=(200, 30, 10)), png_bytes(color=(10, 200, 30))
    with api(server) as client, httpx.Client(trust_env=False) as plain:

        def output_of(model: str, input: dict) -> str:
            response = client.post(
                f"/v1/models/{model}/predictions", json={"input": input}, headers={"Prefer": "wait"}
            )
            assert response.json()["status"] == "succeeded", response.text
            return response.json()["output"]

        odd_name = "sunset photo +ü.png"  # spaces, a plus and non-ASCII survive Cog's PUT and our route
        uploaded = upload(client, red, odd_name, "image/png")["urls"]["get"]
        named = output_of("demo/grayscale", {"image": uploaded})
        assert named.endswith("/" + quote("sunset photo +ü-gray.png")), named
        by_url = output_of("demo/grayscale", {"image": f"{http_origin}/blue.png", "output_format": "jpeg"})
        assert by_url.endswith("/blue-gray.jpeg"), by_url

        first = output_of("demo/grayscale", {"image": _data_uri(red, "image/png")})
        second = output_of("demo/grayscale", {"image": _data_uri(green, "image/png")})
        assert first.endswith("/gray.png")
        assert second.endswith("/gray.png")
        assert first != second
        assert _gray_of(plain.get(first).content) == _gray_of(red)  # the second run did not overwrite it
        assert _gray_of(plain.get(second).content) == _gray_of(green)

        sheet = output_of("demo/contact-sheet", {"images": [uploaded, _data_uri(green, "image/png")]})
        assert sheet.endswith("/contact-sheet.png"), sheet


def test_version_forms(server):
    data_uri = _data_uri(png_bytes(), "image/png")
    with api(server) as client:
        model = client.get("/v1/models/demo/grayscale").json()
        version = model["latest_version"]["id"]
        for ref, reported in [
            (version, version),
            (f"demo/grayscale:{version}", version),
            ("demo/grayscale", "hidden"),
        ]:
            response = client.post(
                "/v1/predictions",
                json={"version": ref, "input": {"image": data_uri}},
                headers={"Prefer": "wait"},
            )
            assert response.status_code == 201, response.text
            assert response.json()["version"] == reported
            assert response.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    "ref", ["0" * 64, "demo/nope", "demo/story:" + "0" * 64, "other/grayscale", "demo/grayscale:notahexid"]
)
def test_unknown_version_is_422_problem(server, ref):
    with api(server) as client:
        response = client.post("/v1/predictions", json={"version": ref, "input": {}})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Invalid version or not permitted"


def test_unknown_model_is_404_problem(server):
    with api(server) as client:
        for path in [
            "/v1/models/demo/nope",
            "/v1/models/demo/nope/versions",
            "/v1/models/nobody/x/predictions",
        ]:
            method = "POST" if path.endswith("predictions") else "GET"
            response = client.request(method, path, json={"input": {}})
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"
            assert "demo/grayscale" in response.json()["detail"]  # says what is served


def test_body_errors(server):
    with api(server) as client:
        not_json = client.post(
            "/v1/predictions", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert not_json.status_code == 400
        assert not_json.headers["content-type"] == "application/problem+json"
        assert "JSON" in not_json.json()["detail"]
        extra = client.post("/v1/predictions", json={"version": "demo/grayscale", "input": {}, "model": "x"})
        assert extra.status_code == 422
        assert {"type": "additional_property_not_allowed", "field": "model"}.items() <= extra.json()[
            "invalid_fields"
        ][0].items()
        missing = client.post("/v1/models/demo/grayscale/predictions", json={})
        assert missing.status_code == 422
        assert "input is required" in missing.json()["detail"]
        not_object = client.post("/v1/models/demo/grayscale/predictions", json=[1, 2])
        assert not_object.status_code == 422
    assert [e["status"] for e in server.log.entries] == [400, 422, 422, 422]


def test_invalid_input_lists_every_problem(server):
    with api(server) as client:
        response = client.post(
            "/v1/models/demo/slow-echo/predictions",
            json={"input": {"seconds": 601, "steps": "many", "colour": "red", "fail": None}},
        )
        sheet = client.post(
            "/v1/models/demo/contact-sheet/predictions",
            json={"input": {"images": ["not a url"], "background": "pink", "columns": 0}},
        )
        missing_file = client.post(
            "/v1/models/demo/grayscale/predictions",
            json={"input": {"image": f"{server.base_url}/v1/files/doesnotexist"}},
        )
        broken_uri = client.post(
            "/v1/models/demo/grayscale/predictions", json={"input": {"image": "data:image/png;base64,@@@"}}
        )
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Input validation failed"
    by_field = {f["field"]: f["type"] for f in problem["invalid_fields"]}
    assert by_field == {
        "input.text": "required",
        "input.seconds": "number_lte",
        "input.steps": "type",
        "input.colour": "additional_property_not_allowed",
        "input.fail": "type",
    }
    assert problem["detail"].count("\n") == 5
    assert {(f["field"], f["type"]) for f in sheet.json()["invalid_fields"]} == {
        ("input.images.0", "format"),
        ("input.background", "enum"),
        ("input.columns", "number_gte"),
    }
    assert missing_file.status_code == 422
    assert missing_file.json()["invalid_fields"][0]["type"] == "file_not_found"
    assert broken_uri.status_code == 422
    assert "data: URI" in broken_uri.json()["invalid_fields"][0]["description"]


def test_file_info_describes_each_kind(server):
    samples = {
        "pic.png": (png_bytes(), "image/png", {"width": 40, "height": 30}),
        "tone.wav": (wav_bytes(0.5), "audio/wav", {"duration": 0.5}),
        "doc.pdf": (pdf_bytes(3), "application/pdf", {"pages": 3}),
        "bundle.zip": (zip_bytes(), "application/zip", {"entries": 2}),
        "notes.txt": (b"one\ntwo\nthree\n", "text/plain", {"lines": 3}),
    }
    with api(server) as client:
        for name, (data, content_type, expected) in samples.items():
            file_url = upload(client, data, name, content_type)["urls"]["get"]
            response = client.post(
                "/v1/models/demo/file-info/predictions",
                json={"input": {"file": file_url}},
                headers={"Prefer": "wait"},
            )
            result = response.json()
            assert result["status"] == "succeeded", result["error"]
            info = result["output"]
            assert info["sha256"] == sha256(data)
            assert info["size"] == len(data)
            assert info["type"] == content_type
            assert info["name"] == name
            assert expected.items() <= info["summary"].items(), info


def test_file_info_gives_no_name_for_a_data_uri_rather_than_cogs_placeholder(server):
    with api(server) as client:
        response = client.post(
            "/v1/models/demo/file-info/predictions",
            json={"input": {"file": _data_uri(b"one\ntwo\n", "text/plain")}},
            headers={"Prefer": "wait"},
        )
    result = response.json()
    assert result["status"] == "succeeded", result["error"]
    assert result["output"]["name"] is None  # not "file.txt", a name nobody gave it
    assert result["output"]["summary"] == {"lines": 2, "characters": 8}
    assert "a data URI: text/plain, 8 bytes" in result["logs"]


def test_contact_sheet_joins_images(server):
    images = [png_bytes(color=c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9)]]
    with api(server) as client:
        urls = [upload(client, data, f"{i}.png", "image/png")["urls"]["get"] for i, data in enumerate(images)]
        response = client.post(
            "/v1/models/demo/contact-sheet/predictions",
            json={
                "input": {
                    "images": [*urls[:3], _data_uri(images[3], "image/png")],
                    "columns": 2,
                    "thumb_size": 64,
                }
            },
            headers={"Prefer": "wait"},
        )
        result = response.json()
        assert result["status"] == "succeeded", result["error"]
        sheet = Image.open(io.BytesIO(httpx.get(result["output"], trust_env=False).content))
    assert sheet.size == (128, 128)
    assert sheet.convert("RGB").getpixel((32, 32)) == (255, 0, 0)
    assert sheet.convert("RGB").getpixel((96, 96)) == (9, 9, 9)
    [entry] = server.log.find("POST", "/v1/models/demo/contact-sheet")
    assert [r["kind"] for r in entry["inputs"]["images"]] == ["file", "file", "file", "data-uri"]
    assert [r["sha256"] for r in entry["inputs"]["images"]] == [sha256(d) for d in images]
