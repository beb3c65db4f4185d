"""Client configuration, where the token may go, model references and create requests (no network)."""

import logging

import httpx
import pytest

import replicate_widget as rw
from replicate_widget.cli.run import parse_inputs
from replicate_widget.core.refs import ModelRef, Target
from replicate_widget.core.run import create_call
from replicate_widget.core.schema import ModelSchema

TOKEN = "r8_SECRETSECRETSECRET"


def test_configuration_from_the_environment(monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9/v1/")
    client = rw.Client()
    assert client.base_url == "http://127.0.0.1:9"
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert TOKEN not in repr(vars(client))


def test_authorization_only_for_the_api_origin():
    client = rw.Client(api_token=TOKEN, base_url="https://api.replicate.com")
    assert (
        client.headers_for("https://api.replicate.com/v1/predictions")["authorization"] == f"Bearer {TOKEN}"
    )
    assert client.headers_for("https://api.replicate.com:443/v1/x")["authorization"]
    for url in (
        "https://replicate.delivery/x.png",
        "https://streaming.api.replicate.com/v1/predictions/x",
        "http://api.replicate.com/v1/x",
        "https://api.replicate.com.evil.com/v1/x",
    ):
        assert "authorization" not in client.headers_for(url), url


def test_no_token_says_how_to_set_one(monkeypatch):
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    with pytest.raises(rw.AuthenticationError) as info:
        rw.Client(base_url="http://127.0.0.1:9").run("a/b")
    assert "REPLICATE_API_TOKEN" in str(info.value)
    assert "replicate-widget serve" in str(info.value)
    assert "HTTP" not in str(info.value)  # no request was made, so no status code to show


def test_token_never_in_errors_or_logs(caplog):
    def answer(request):
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(
            401, json={"title": "Unauthenticated", "detail": "You did not pass a valid token"}
        )

    client = rw.Client(api_token=TOKEN, base_url="http://api.test", transport=httpx.MockTransport(answer))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(rw.AuthenticationError) as info:
        client.schema("a/b")
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("owner/name", ModelRef("owner", "name", None)),
        ("o/n:" + "a" * 64, ModelRef("o", "n", "a" * 64)),
        ("b" * 64, ModelRef(None, None, "b" * 64)),
    ],
)
def test_model_refs(ref, expected):
    assert ModelRef.parse(ref) == expected


@pytest.mark.parametrize("bad", ["owner", "o/n:short", "a/b/c", "", "o/n:" + "G" * 64])
def test_bad_model_refs(bad):
    with pytest.raises(rw.InputError, match="not understood"):
        ModelRef.parse(bad)


def test_create_requests():
    official = Target("http://h/v1/models/o/n/predictions", None, ModelSchema(None))
    call = create_call(official, {"a": 1}, True, 30, False)
    assert call.json == {"input": {"a": 1}}
    assert call.headers == {"prefer": "wait=1", "cancel-after": "30s"}  # a short hold, then polling
    assert call.retry == "create"
    assert call.interrupt_safe
    versioned = Target("http://h/v1/predictions", "v" * 64, ModelSchema(None))
    call = create_call(versioned, {}, 5, "1m", False)
    assert call.json == {"input": {}, "version": "v" * 64}
    assert call.headers == {"prefer": "wait=5", "cancel-after": "1m"}
    assert "prefer" not in create_call(versioned, {}, False, None, False).headers
    # the hold never outlasts timeout=
    assert create_call(versioned, {}, 30, None, False, timeout=2.5).headers["prefer"] == "wait=3"


def test_cli_inputs_are_typed_by_the_schema(tmp_path):
    schema = ModelSchema(
        {
            "components": {
                "schemas": {
                    "Input": {
                        "properties": {
                            "n": {"type": "integer"},
                            "flag": {"type": "boolean"},
                            "images": {"type": "array", "items": {"type": "string", "format": "uri"}},
                            "text": {"type": "string"},
                        }
                    }
                }
            }
        }
    )
    values = parse_inputs(["n=3", "flag=True", "images=@a.png", "images=@b.png", "text=42"], schema)
    assert values["n"] == 3
    assert values["flag"] is True
    assert values["text"] == "42"
    assert [p.name for p in values["images"]] == ["a.png", "b.png"]


def test_caches_are_not_public_dicts():
    # Users of the official client read `client.models.get("owner/name")` as a lookup; a dict would answer
    # None silently. The memory of models and uploads is private, used through its own methods.
    client = rw.Client(api_token=TOKEN, base_url="http://127.0.0.1:9")
    for name in ("models", "versions", "schemas"):
        assert not isinstance(getattr(client, name, None), dict), name


def test_retries_are_reported_to_progress_and_dns_failure_is_simulated():
    schema = {
        "components": {"schemas": {"Input": {"type": "object", "properties": {"text": {"type": "string"}}}}}
    }
    failures = {"left": 2}

    def answer(request):
        if failures["left"]:
            failures["left"] -= 1
            try:
                raise OSError(-2, "Name or service not known")
            except OSError as cause:
                raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from cause
        if request.method == "GET":
            return httpx.Response(
                200, json={"is_official": True, "latest_version": {"openapi_schema": schema}}
            )
        return httpx.Response(201, json={"id": "p1", "status": "succeeded", "output": "ok"})

    client = rw.Client(
        api_token=TOKEN, base_url="https://api.example.test", transport=httpx.MockTransport(answer)
    )
    events = []
    assert client.run("a/b", {"text": "x"}, progress=events.append) == "ok"
    retries = [e for e in events if e.kind == "retry"]
    assert [e.reason for e in retries] == ["host name not found"] * 2
    assert retries[0].message.startswith("retrying in 0.")
    assert retries[0].message.endswith(" s: host name not found")


def test_a_refused_connection_to_this_machine_is_not_retried():
    calls = []

    def answer(request):
        calls.append(request.url.host)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = rw.Client(api_token=TOKEN, base_url="http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    with pytest.raises(rw.APIError) as info:
        client.run("a/b", {"text": "x"})
    assert calls == ["127.0.0.1"]
    assert "Nothing is listening at http://127.0.0.1:9" in str(info.value)
    assert "replicate-widget serve" in str(info.value)
