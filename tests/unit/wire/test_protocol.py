"""Validation of incoming widget messages, and the host's chunk size."""

from __future__ import annotations

import sys

import pytest

from replicate_widget.core.limits import STORAGE_LIMIT
from replicate_widget.wire.protocol import (
    LIMITS,
    PROTOCOL_VERSION,
    ErrorCode,
    Kind,
    ProtocolError,
    error_reply,
    host_tuning,
    ok_reply,
    parse_request,
    version_problem,
)


def msg(kind, **fields):
    return {"kind": kind, "rid": 7, "session": "s", **fields}


def test_begin_without_what_recognises_the_file_after_a_reload_gets_empty_values():
    req = parse_request(msg("begin", id="e1", name="a.png", size=10, type="image/png"))
    assert req == {"kind": "begin", "rid": 7, "session": "s", "id": "e1", "name": "a.png", "size": 10,
                   "type": "image/png", "last_modified": 0, "head_sha256": ""}  # fmt: skip
    assert req["kind"] is Kind.BEGIN


def test_begin_with_last_modified_and_head_hash_parses():
    head = "0123456789abcdef" * 4
    req = parse_request(msg("begin", id="e1", name="a", size=1, type="", last_modified=17, head_sha256=head))
    assert (req["last_modified"], req["head_sha256"]) == (17, head)


@pytest.mark.parametrize(
    "content",
    [
        None,
        [],
        {"kind": "begin"},
        msg("nonsense"),
        msg("begin", id="e1", name="a", size="10", type=""),
        msg("begin", id="e1", name="a", size=True, type=""),
        msg("begin", id="e1", name="a", size=-1, type=""),
        msg("begin", id="e1", name="a", size=1, type="", head_sha256="not a hash"),
        msg("begin", id="e1", name="a", size=1, type="", head_sha256="AB" * 32),
        msg("begin", id="e1", name="a", size=1, type="", last_modified="yesterday"),
        msg("url", id="e1", url="file:///etc/passwd"),
        msg("url", id="e1", url="javascript:alert(1)"),
        {"kind": "ping", "rid": "1", "session": "s"},
        msg("hello", version="2"),
        msg("secret", name="api_key"),
    ],
)
def test_bad_messages_are_refused_with_bad_message(content):
    with pytest.raises(ProtocolError) as err:
        parse_request(content)
    assert err.value.code == ErrorCode.BAD_MESSAGE


def test_chunk_needs_exactly_one_buffer():
    with pytest.raises(ProtocolError):
        parse_request(msg("chunk", id="e", offset=0), [])
    assert parse_request(msg("chunk", id="e", offset=0), [b"x"])["offset"] == 0


def test_begin_past_what_any_widget_takes_is_too_large():
    # 100 MiB is each widget's own limit without a bucket (tests/unit/widgets); with one, files may be larger
    assert parse_request(msg("begin", id="e", name="a", size=LIMITS["MAX_FILE_BYTES"] + 1, type=""))
    assert parse_request(msg("begin", id="e", name="a", size=STORAGE_LIMIT, type=""))
    with pytest.raises(ProtocolError) as err:
        parse_request(msg("begin", id="e", name="big.mov", size=STORAGE_LIMIT + 1, type=""))
    assert err.value.code == ErrorCode.TOO_LARGE
    assert "big.mov" in str(err.value)


def test_url_is_trimmed():
    assert parse_request(msg("url", id="e", url="  https://x.test/a.png "))["url"] == "https://x.test/a.png"


def test_replies_have_one_shape():
    assert ok_reply(3, a=1) == {"kind": "reply", "rid": 3, "ok": True, "a": 1}
    err = error_reply(4, ErrorCode.IO, "disk full")
    assert err["ok"] is False
    assert err["error"] == {"code": "io", "message": "disk full"}


def test_jupyter_gets_4_mib_chunks_under_the_10_mib_message_limit():
    t = host_tuning()
    assert t.host == "jupyter"
    assert t.chunk_size == 4 * 1024 * 1024
    assert t.chunk_size * 1 < 10 * 1024 * 1024


@pytest.mark.parametrize("module", ["google.colab", "marimo"])
def test_colab_and_marimo_get_512_kib_chunks(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, object())
    t = host_tuning()
    assert t.chunk_size <= 512 * 1024


def test_the_playground_commands_are_requests_too():
    assert parse_request(msg("run"))["kind"] is Kind.RUN
    assert parse_request(msg("secret", name="api_key", value="sk"))["value"] == "sk"


def test_same_version_is_no_problem_and_another_says_reload_the_page():
    assert version_problem(PROTOCOL_VERSION) is None
    for other in (PROTOCOL_VERSION - 1, PROTOCOL_VERSION + 1):
        problem = version_problem(other)
        assert problem is not None
        assert "reload the page" in problem
        assert str(other) in problem


def test_enum_members_format_as_their_values():
    assert f"{Kind.HELLO}" == "hello" == str(Kind.HELLO)
    assert ok_reply(1)["kind"] == "reply"
