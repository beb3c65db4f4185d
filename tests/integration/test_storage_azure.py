"""storage="az://container/prefix" against Azurite (Microsoft's Azure Storage emulator, from npm), the local
server as Replicate.

Azurite checks every request's Shared Key signature and every SAS, so a model that reads the file through its
signed URL proves the SAS is valid; a tampered one is refused. What is checked is what arrived: the model's
sha256, the local server's request log, and the container's blobs as Azure's own SDK lists them.
"""

from __future__ import annotations

import hashlib
import os
import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from _bucket_runs import creates, files_posts, write

import replicate_widget as rw
from replicate_widget.core.limits import STORAGE_PART_SIZE

MODEL = "test/two-files"  # served by two_files_server (tests/integration/conftest.py)


@pytest.fixture
def client(server2):
    return rw.Client(api_token=server2.token, base_url=server2.base_url)


def blobs(container) -> list[str]:
    return [b.name for b in container.list_blobs()]


def test_a_file_of_several_parts_reaches_the_model_through_a_sas_url(
    server2, client, az_container, azurite, tmp_path
):
    name, container = az_container
    big, big_sha = write(tmp_path, "three-parts.bin", 2 * STORAGE_PART_SIZE + 1000)  # 3 blocks of 8 MiB
    small, small_sha = write(tmp_path, "s.bin", 1_000)
    out = client.run(
        MODEL,
        {"big": big, "small": small},
        storage=f"az://{name}/runs",
        strategy="storage",
        delete_uploads=True,
    )
    assert out["big"] == {"size": 2 * STORAGE_PART_SIZE + 1000, "sha256": big_sha}
    assert out["small"] == {"size": 1_000, "sha256": small_sha}
    (create,) = creates(server2)
    assert {v["kind"] for v in create["inputs"].values()} == {"url"}  # strategy="storage": both to the store
    url = urlsplit(create["inputs"]["big"]["url"])
    assert f"{url.scheme}://{url.netloc}" == azurite
    # delete_uploads: a key of this call's own (runs/<sha256>/<random>/<name>)
    assert re.fullmatch(rf"/devstoreaccount1/{name}/runs/{big_sha}/[0-9a-f]{{16}}/three-parts\.bin", url.path)
    query = parse_qs(url.query)
    assert query["sp"] == ["r"]  # read only
    assert query["sr"] == ["b"]  # this blob only
    assert query["sig"]
    assert files_posts(server2) == []
    assert blobs(container) == []  # delete_uploads


def test_the_sas_reads_the_blob_and_a_tampered_one_is_refused(server2, client, az_container, tmp_path):
    name, container = az_container
    a, a_sha = write(tmp_path, "a.bin", 300_000)
    prediction = client.predict(
        MODEL, {"big": a, "small": a}, storage=f"az://{name}", strategy="storage", storage_expiry=120
    )
    assert prediction.status == "succeeded"
    assert blobs(container) == [f"{a_sha}/a.bin"]  # without delete_uploads the blob stays
    signed = urlsplit(prediction.input["big"])
    assert hashlib.sha256(httpx.get(signed.geturl(), trust_env=False).content).hexdigest() == a_sha
    query = parse_qs(signed.query)
    query["sp"] = ["rw"]  # asks for more than was signed
    tampered = urlunsplit(signed._replace(query=urlencode(query, doseq=True)))
    assert httpx.get(tampered, trust_env=False).status_code == 403


def test_the_emulator_variables_work_too(server2, client, az_container, azurite, tmp_path, monkeypatch):
    """AZURE_STORAGE_USE_EMULATOR (obstore's standard variable) with Azurite's URL, and no account given."""
    name, container = az_container
    for variable in ("AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_ENDPOINT"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", azurite)
    a, a_sha = write(tmp_path, "a.bin", 5_000)
    out = client.run(MODEL, {"big": a, "small": a}, storage=f"az://{name}/emu", strategy="storage")
    assert out["big"]["sha256"] == a_sha
    assert blobs(container) == [f"emu/{a_sha}/a.bin"]


def test_a_missing_container_is_a_storage_error_before_any_prediction(
    server2, client, az_container, tmp_path
):
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(
        rw.StorageError, match="container of az://no-such-container/x does not exist"
    ) as caught:
        client.run(MODEL, {"big": a, "small": a}, storage="az://no-such-container/x", strategy="storage")
    message = str(caught.value)
    assert "REPLICATE_WIDGET_STORAGE" in message
    assert os.environ["AZURE_STORAGE_ACCOUNT_KEY"] not in message
    assert caught.value.location == "az://no-such-container/x"
    assert creates(server2) == []


def test_a_wrong_key_is_refused_without_showing_it(server2, client, az_container, tmp_path, monkeypatch):
    import base64

    name, container = az_container
    wrong = base64.b64encode(b"not the account's key, 64 bytes long as Azure's keys are.........").decode()
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", wrong)
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(rw.StorageError, match="refused access") as caught:
        client.run(MODEL, {"big": a, "small": a}, storage=f"az://{name}", strategy="storage")
    message = str(caught.value)
    assert "AZURE_STORAGE_ACCOUNT_KEY" in message
    assert wrong not in message
    assert wrong not in repr(client)
    assert blobs(container) == []
    assert creates(server2) == []
