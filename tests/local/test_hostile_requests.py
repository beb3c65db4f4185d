"""Requests a hostile or careless client sends: non-finite numbers, absurd deadlines, oversized bodies,
path tricks in file names, prediction pages opened without the token. Each is refused before anything is
stored (or handled correctly), with a problem+json answer, and the server keeps serving."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from _isolated import Child
from _server_helpers import api, finished, sha256, upload

ECHO = "/v1/models/demo/slow-echo/predictions"
MIB = 1024 * 1024


def _prediction_ids(client: httpx.Client) -> set[str]:
    listed = client.get("/v1/predictions")
    assert listed.status_code == 200, listed.text
    return {p["id"] for p in listed.json()["results"]}


def _file_ids(client: httpx.Client) -> set[str]:
    listed = client.get("/v1/files")
    assert listed.status_code == 200, listed.text
    return {f["id"] for f in listed.json()["results"]}


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    return problem


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_number_in_a_prediction_is_422_and_nothing_is_created(server, number):
    body = '{"input": {"text": "x", "seconds": ' + number + "}}"
    with api(server) as client:
        before = _prediction_ids(client)
        response = client.post(ECHO, content=body, headers={"Content-Type": "application/json"})
        problem = _assert_problem(response, 422)
        assert problem["invalid_fields"] == [
            {
                "type": "number_finite",
                "field": "input.seconds",
                "description": "seconds must be a finite number (JSON has no NaN or Infinity)",
            }
        ]
        assert _prediction_ids(client) == before  # the list still answers, and holds nothing new
        nested = '{"version": "demo/slow-echo", "input": {"text": "x", "extra": [1, {"deep": NaN}]}}'
        problem = _assert_problem(
            client.post("/v1/predictions", content=nested, headers={"Content-Type": "application/json"}),
            422,
        )
        assert [f["field"] for f in problem["invalid_fields"]] == ["input.extra.1.deep"]
    assert "prediction_id" not in server.log.find("POST", ECHO)[0]


def test_non_finite_metadata_refuses_the_upload_and_keeps_nothing(server):
    spool = server._state.files.spool
    others = set(spool.iterdir())  # an earlier test's upload may still be finishing on a loaded machine
    with api(server) as client:
        before = _file_ids(client)
        response = client.post(
            "/v1/files",
            files={"content": ("n.txt", b"numbers", "text/plain")},
            data={"metadata": '{"a": NaN, "b": {"c": -Infinity}}'},
        )
        problem = _assert_problem(response, 422)
        assert [f["field"] for f in problem["invalid_fields"]] == ["metadata.a", "metadata.b.c"]
        assert _file_ids(client) == before
    assert set(spool.iterdir()) - others == set()


@pytest.mark.parametrize("header", ["nan", "inf", "-inf", "1e12", "-5", "99999999999h", "25h", "1e400s"])
def test_cancel_after_must_be_finite_and_bounded(server, header):
    with api(server) as client:
        before = _prediction_ids(client)
        response = client.post(
            ECHO, json={"input": {"text": "x", "seconds": 0}}, headers={"Cancel-After": header}
        )
        problem = _assert_problem(response, 422)
        assert "Cancel-After" in problem["detail"]
        assert _prediction_ids(client) == before


def test_cancel_after_at_the_bound_is_accepted(server):
    with api(server) as client:
        created = client.post(
            ECHO, json={"input": {"text": "x", "seconds": 0}}, headers={"Cancel-After": "24h"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["deadline"] is not None
        assert finished(client, created.json()["id"])["status"] == "succeeded"


def _padded_body(size: int) -> bytes:
    """A JSON prediction body of exactly `size` bytes that the server refuses as an unknown version."""
    head, tail = b'{"version": "nobody/nothing", "input": {"text": "', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def _chunks(total: int, piece: int = MIB) -> Iterator[bytes]:
    yield b'{"version": "demo/slow-echo", "input": {"text": "'
    sent = 0
    while sent < total:
        yield b"x" * min(piece, total - sent)
        sent += piece
    yield b'"}}'


def test_json_bodies_are_capped_at_8_mib(server):
    with api(server) as client:
        before = _prediction_ids(client)
        at_limit = client.post(
            "/v1/predictions", content=_padded_body(8 * MIB), headers={"Content-Type": "application/json"}
        )
        assert _assert_problem(at_limit, 422)["title"] == "Invalid version or not permitted"
        over = client.post(
            "/v1/predictions",
            content=_padded_body(8 * MIB + 1),
            headers={"Content-Type": "application/json"},
        )
        assert "8 MiB" in _assert_problem(over, 413)["detail"]
        # Chunked, so no Content-Length tells the size up front: refused while reading, never held whole.
        streamed = client.post(
            "/v1/predictions", content=_chunks(40 * MIB), headers={"Content-Type": "application/json"}
        )
        _assert_problem(streamed, 413)
        assert _prediction_ids(client) == before
        # the older search takes its query as a text body: capped the same way
        search = client.request("QUERY", "/v1/models", content=(b"x" * MIB for _ in range(20)))
        _assert_problem(search, 413)
        assert client.get("/v1/account").status_code == 200


def _multipart(parts: list[tuple[str, bytes]]) -> Iterator[bytes]:
    for name, value in parts:
        disposition = f'form-data; name="{name}"'
        if name == "content":
            disposition += '; filename="f.txt"'
        yield f"--B\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    yield b"--B--\r\n"


@pytest.mark.parametrize(
    ("parts", "fragment"),
    [
        ([("content", b"abc")] + [(f"extra{i}", b"v" * 10) for i in range(4000)], "fields"),
        ([("content", b"abc")] + [(f"extra{i}", b"v" * 60_000) for i in range(40)], "fields"),
        ([("content", b"abc")] + [("metadata", b"v" * 60_000) for i in range(40)], "fields"),
    ],
    ids=["4000-small-fields", "40-fields-of-60-kB", "one-field-repeated"],
)
def test_multipart_fields_are_capped(server, parts, fragment):
    with api(server) as client:
        before = _file_ids(client)
        response = client.post(
            "/v1/files",
            content=_multipart(parts),  # a generator: sent chunked
            headers={"Content-Type": "multipart/form-data; boundary=B"},
        )
        assert fragment in _assert_problem(response, 413)["detail"]
        assert _file_ids(client) == before
        assert client.get("/v1/account").status_code == 200
    assert list(server._state.files.spool.iterdir()) == []


_MALFORMED = """
import httpx
from replicate_widget.local import serve
with serve() as srv:
    response = httpx.post(
        f"{srv.base_url}/v1/files",
        content=b"x",
        headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "multipart/form-data; boundary=B"},
        trust_env=False,
    )
    print(response.status_code, response.json()["detail"], flush=True)
"""


def test_malformed_multipart_prints_nothing_but_our_answer(tmp_path):
    # In a process of its own: pytest's log capture would hide what Python prints when logging is unset.
    child = Child(_MALFORMED, tmp_path)
    assert child.wait_for("400").startswith("400 Could not parse the body")
    assert child.finish() == 0
    assert child.stderr() == ""
    assert child.left_behind() == []


def test_a_huge_part_header_is_refused(server):
    # python-multipart refuses a header line over 4 KiB itself: this guards that it stays so.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="content"; filename="'
        + b"n" * (2 * MIB)
        + b'"\r\n\r\nabc\r\n--B--\r\n'
    )
    with api(server) as client:
        response = client.post(
            "/v1/files", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
        )
        assert "header" in _assert_problem(response, 400)["detail"]
        assert client.get("/v1/account").status_code == 200
    assert list(server._state.files.spool.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "seen"),
    # the model sees the base name; `..` alone has none, so the URL says "file", which file-info reports
    # as no name (as for a data URI)
    [("../../x.txt", "x.txt"), ("..", None), ("a/b/../c d#?.txt", "c d#?.txt"), ("%2e%2e/y.txt", "y.txt")],
)
def test_an_upload_with_a_path_in_its_name_reaches_the_model(server, name, seen):
    data = f"bytes of {name}".encode()
    with api(server) as client:
        stored = upload(client, data, name, "text/plain")
        assert stored["name"] == name  # the record keeps the name as given, as Replicate does
        done = client.post(
            "/v1/models/demo/file-info/predictions",
            json={"input": {"file": stored["urls"]["get"]}},
            headers={"Prefer": "wait"},
        ).json()
    assert done["status"] == "succeeded", done["error"]
    assert done["output"]["sha256"] == sha256(data)
    assert done["output"]["size"] == len(data)
    assert done["output"]["name"] == seen


def test_prediction_page_needs_the_token(server):
    with api(server) as client:
        created = client.post(
            ECHO, json={"input": {"text": "private words", "seconds": 0}}, headers={"Prefer": "wait"}
        ).json()
    web = created["urls"]["web"]
    assert created["output"] == "private words"
    with httpx.Client(trust_env=False) as plain:
        anonymous = plain.get(web)
        # A browser can't send a bearer header: it gets a page that asks for the token, and nothing else.
        assert anonymous.status_code == 200
        assert anonymous.headers["content-type"].startswith("text/html")
        assert "private words" not in anonymous.text
        assert "token" in anonymous.text.lower()
        assert anonymous.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in anonymous.headers["content-security-policy"]
        # The same page for any id: without the token it doesn't even tell whether a prediction exists.
        assert plain.get(web.replace(created["id"], "nosuchprediction")).status_code == 200
        wrong = plain.get(web, headers={"Authorization": "Bearer local_wrong"})
        _assert_problem(wrong, 401)
        shown = plain.get(web, headers={"Authorization": f"Bearer {server.token}"})
    assert shown.status_code == 200
    assert "private words" in shown.text
    assert server.token not in shown.text
    assert server.token not in anonymous.text


def test_error_answers_are_problem_json_and_the_lists_keep_answering(server):
    with api(server) as client:
        for method, path, kwargs in [
            ("POST", ECHO, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
            ("POST", ECHO, {"content": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}),
            ("POST", ECHO, {"content": b"1" * 5000, "headers": {"Content-Type": "application/json"}}),
            ("POST", ECHO, {"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}}),
        ]:
            response = client.request(method, path, **kwargs)
            assert response.status_code in (400, 422), (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "Traceback" not in response.text
        assert client.get("/v1/predictions").status_code == 200
        assert client.get("/v1/files").status_code == 200
        assert json.loads(client.get("/v1/account").text)["username"] == "local"
