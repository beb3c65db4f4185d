"""Against the real Replicate API; skipped unless REPLICATE_API_TOKEN is set and the base URL is Replicate's.

Free calls only (account, model records, Files API upload and delete) unless REPLICATE_LIVE_RUNS=1 is set
too, which runs one small official model (billed to the token's account).
"""

import hashlib
import os

import pytest

import replicate_widget as rw

pytestmark = [
    pytest.mark.replicate,
    pytest.mark.skipif(not os.environ.get("REPLICATE_API_TOKEN"), reason="REPLICATE_API_TOKEN is not set"),
    pytest.mark.skipif(
        os.environ.get("REPLICATE_BASE_URL", "https://api.replicate.com").rstrip("/")
        != "https://api.replicate.com",
        reason="REPLICATE_BASE_URL points elsewhere",
    ),
]
runs = pytest.mark.skipif(
    os.environ.get("REPLICATE_LIVE_RUNS") != "1", reason="set REPLICATE_LIVE_RUNS=1 to run models"
)


@pytest.fixture
def client():
    return rw.Client()


def test_token_is_accepted(capsys):
    account = rw.login(os.environ["REPLICATE_API_TOKEN"])
    assert account["username"]
    assert os.environ["REPLICATE_API_TOKEN"] not in capsys.readouterr().out


def test_published_schemas_read(client):
    schema = client.schema("stability-ai/sdxl")
    assert [f.name for f in schema.file_fields][:2] == ["image", "mask"]
    assert schema.field("scheduler").enum


def test_upload_checks_sha256_and_deletes(client, tmp_path):
    path = tmp_path / "live.bin"
    path.write_bytes(os.urandom(1_100_000))
    local = rw.LocalFile(path)
    url = client.upload(local)
    assert url.startswith("https://api.replicate.com/v1/files/")
    assert client.uploaded(local).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert client.upload(local) == url  # cached: not sent twice
    client.delete_upload(local)
    assert client.uploaded(local) is None


@runs
def test_streaming_language_model(client):
    chunks = list(
        client.stream(
            "meta/meta-llama-3-8b-instruct", {"prompt": "Say hello in three words.", "max_tokens": 16}
        )
    )
    assert "".join(chunks).strip()
