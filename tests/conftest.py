"""Shared fixtures: one local Replicate-compatible server per test session.

`local_server` (session): the server with the demo models; Cog workers start when a model is first used.
`server` (function): the same handle with its request log and faults cleared, for tests that assert on them.
`front` (function): ``front(widget)`` plays a widget's front end (FileInput, Playground) in the kernel.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

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


# ---- an S3-compatible server for the storage tests: moto in server mode, in its own process
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def _run_moto(extra_env: dict[str, str]) -> Iterator[str]:
    """`python -m moto.server` on 127.0.0.1 and a free port; its endpoint URL. Objects live in its memory."""
    import subprocess
    import sys

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **extra_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_until_answering(f"{endpoint}/moto-api/", process, "moto's server")
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    import uuid

    import boto3

    for name, value in {**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": moto_server}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    s3 = boto3.client("s3", endpoint_url=moto_server, **_boto3_keys())
    bucket = f"rw-{uuid.uuid4().hex[:12]}"
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
    import subprocess
    from pathlib import Path

    binary = Path(__file__).parents[1] / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `npm ci` (azurite is a devDependency)")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
         "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"],
        cwd=tmp_path_factory.mktemp("azurite"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_until_answering(f"{url}/{AZURITE_ACCOUNT}?comp=list", process, "Azurite")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def az_container(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """A fresh, empty container on Azurite with the standard AZURE_STORAGE_* variables pointing at it, as a
    real account would be set up (name, key, and the endpoint); (name, azure-storage-blob ContainerClient)."""
    import uuid

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
    container = service.create_container(f"rw-{uuid.uuid4().hex[:12]}")
    yield container.container_name, container
    container.delete_container()  # Azurite holds blobs in memory: free them


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
