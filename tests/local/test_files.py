"""The local server's Files API over real HTTP: shapes, hashes, limits, malformed bodies, disconnects."""

from __future__ import annotations

import hashlib
import json
import socket

import httpx
import pytest
from _server_helpers import api, png_bytes, sha256, upload, wait_until

LIMIT = 100 * 1024 * 1024


def test_upload_returns_replicate_file_object(server):
    data = png_bytes()
    with api(server) as client:
        response = client.post(
            "/v1/files",
            files={"content": ("red dot.png", data, "image/png")},
            data={"metadata": json.dumps({"purpose": "test"})},
        )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == set(
        [
            "id",
            "name",
            "content_type",
            "size",
            "etag",
            "checksums",
            "metadata",
            "created_at",
            "expires_at",
            "urls",
        ]
    )
    assert body["name"] == "red dot.png"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(data)
    assert body["checksums"] == {"sha256": sha256(data), "md5": hashlib.md5(data).hexdigest()}
    assert body["etag"] == body["checksums"]["md5"]
    assert body["metadata"] == {"purpose": "test"}
    assert body["urls"]["get"] == f"{server.base_url}/v1/files/{body['id']}"
    assert body["created_at"].endswith("Z")
    assert body["expires_at"] > body["created_at"]
    [entry] = server.log.find("POST", "/v1/files")
    assert entry["status"] == 201
    assert entry["upload"] == {
        "sha256": sha256(data), "md5": hashlib.md5(data).hexdigest(), "filename": "red dot.png",
        "content_type": "image/png", "size": len(data), "file_id": body["id"],
    }  # fmt: skip
    assert entry["headers"]["authorization"] == "present"
    assert server.token not in json.dumps(server.log.entries)


def test_get_list_delete(server):
    with api(server) as client:
        first = upload(client, b"one", "one.txt", "text/plain")
        second = upload(client, b"two", "two.txt", "text/plain")
        assert client.get(f"/v1/files/{first['id']}").json() == first
        listed = client.get("/v1/files").json()
        ids = [f["id"] for f in listed["results"]]
        assert ids.index(second["id"]) < ids.index(first["id"])  # newest first
        assert client.delete(f"/v1/files/{first['id']}").status_code == 204
        gone = client.get(f"/v1/files/{first['id']}")
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"
        assert gone.json()["status"] == 404
        assert client.delete(f"/v1/files/{first['id']}").status_code == 404
        assert first["id"] not in [f["id"] for f in client.get("/v1/files").json()["results"]]


def test_list_is_paginated(server):
    with api(server) as client:
        made = {upload(client, f"file {i}".encode(), f"f{i}.txt", "text/plain")["id"] for i in range(101)}
        seen: list[str] = []
        url: str | None = "/v1/files"
        pages = 0
        while url:
            page = client.get(url).json()
            seen.extend(f["id"] for f in page["results"])
            url = page["next"]
            pages += 1
        assert pages >= 2
        assert made <= set(seen)
        assert len(seen) == len(set(seen))


def test_unicode_filename_reaches_the_model(server):
    name = "café ☕ notes.txt"
    with api(server) as client:
        stored = upload(client, b"one\ntwo\n", name, "text/plain")
        assert stored["name"] == name
        info = client.post(
            "/v1/models/demo/file-info/predictions",
            json={"input": {"file": stored["urls"]["get"]}},
            headers={"Prefer": "wait"},
        ).json()
    assert info["output"]["name"] == name
    assert server.log.find("POST", "/v1/models")[0]["inputs"]["file"]["filename"] == name


def test_content_type_is_guessed_when_missing(server):
    with api(server) as client:
        response = client.post("/v1/files", files={"content": ("notes.txt", b"hello")})
    assert response.json()["content_type"] == "text/plain"


@pytest.fixture(scope="module")
def sparse_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    exact, over = folder / "exact.bin", folder / "over.bin"
    for path, size in ((exact, LIMIT), (over, LIMIT + 1)):
        with path.open("wb") as handle:
            handle.truncate(size)  # zeros, without writing 100 MiB
    return exact, over


def test_100_mib_is_accepted_and_one_byte_more_is_413(server, sparse_files):
    exact, over = sparse_files
    expected = hashlib.sha256()
    zeros = bytes(1 << 20)
    for _ in range(100):
        expected.update(zeros)
    with api(server) as client:
        with exact.open("rb") as handle:
            ok = client.post(
                "/v1/files", files={"content": ("exact.bin", handle, "application/octet-stream")}
            )
        assert ok.status_code == 201
        assert ok.json()["size"] == LIMIT
        assert ok.json()["checksums"]["sha256"] == expected.hexdigest()
        with over.open("rb") as handle:
            refused = client.post(
                "/v1/files", files={"content": ("over.bin", handle, "application/octet-stream")}
            )
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"
        assert "100 MiB" in refused.json()["detail"]
        names = [f["name"] for f in client.get("/v1/files").json()["results"]]
        assert "over.bin" not in names
        client.delete(f"/v1/files/{ok.json()['id']}")


def _part(name: str, body: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--XYZ\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + body + b"\r\n"


_XYZ = "multipart/form-data; boundary=XYZ"


@pytest.mark.parametrize(
    ("content_type", "body", "fragment"),
    [
        ("application/json", b'{"content": "x"}', "multipart/form-data"),
        ("multipart/form-data", b"whatever", "boundary"),
        (_XYZ, _part("metadata", b"{}") + b"--XYZ--\r\n", "content"),
        (_XYZ, _part("content", b"abc", "a")[:-2], "closing boundary"),
        (_XYZ, b"garbage without any boundary at all", "parse"),
        (_XYZ, _part("content", b"abc", "a") + _part("metadata", b"[1]") + b"--XYZ--\r\n", "metadata"),
        (_XYZ, b"--XYZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XYZ--\r\n", "Content-Disposition"),
    ],
)
def test_malformed_multipart_is_400_problem(server, content_type, body, fragment):
    with api(server) as client:
        before = {f["id"] for f in client.get("/v1/files").json()["results"]}
        response = client.post("/v1/files", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400
        assert problem["title"]
        assert fragment in problem["detail"]
        assert {f["id"] for f in client.get("/v1/files").json()["results"]} == before
        assert list(server._state.files.spool.iterdir()) == []
        assert client.get("/v1/account").status_code == 200  # still serving


def test_client_disconnecting_mid_upload_leaves_nothing(server):
    host, port = server.base_url.removeprefix("http://").split(":")
    head = (
        b'--B\r\nContent-Disposition: form-data; name="content"; filename="cut.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    request = (
        f"POST /v1/files HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request + head + b"x" * (2 * 1024 * 1024))
    entry = wait_until(
        lambda: next((e for e in server.log.find("POST", "/v1/files") if e["status"]), None),
        what="the server to notice the disconnect",
    )
    assert entry["status"] == "client disconnected"
    assert "upload" not in entry
    with api(server) as client:
        assert "cut.bin" not in [f["name"] for f in client.get("/v1/files").json()["results"]]
    assert list(server._state.files.spool.iterdir()) == []  # no partial spool file left behind


def test_download_link_needs_no_token_but_must_be_exact(server):
    data = b"private bytes"
    with api(server) as client:
        stored = upload(client, data, "secret.txt", "text/plain")
    path = server._state.files.download_path(server._state.files.get(stored["id"]))
    with httpx.Client(base_url=server.base_url, trust_env=False) as plain:
        assert plain.get(path).content == data
        assert plain.get(path.replace(path.split("/")[3], "0" * 32)).status_code == 404
        assert plain.get(f"/v1/files/{stored['id']}").status_code == 401
