"""Cases of issue 22 about the user's own bucket (``storage=``): names a store can't take, configuration
half given, secrets in endpoints, and delete_uploads next to another client. Buckets live on moto (the
``s3_bucket`` fixture, asked for through ``ctx.fixture``); the local server is Replicate."""

from __future__ import annotations

import threading
from typing import Any

import httpx

import replicate_widget as rw

from . import Case
from .support import closed_port


def _run_stored(ctx: Any, storage: str, client: Any = None, **options: Any) -> Any:
    path = ctx.work / "notes.txt"
    if not path.exists():
        path.write_bytes(b"what the model reads")
    client = client or ctx.client
    return client.run("demo/file-info", {"file": path}, storage=storage, strategy="storage", **options)


def _env(ctx: Any, **values: str | None) -> None:
    patch = ctx.fixture("monkeypatch")  # undone when the case ends
    for name, value in values.items():
        if value is None:
            patch.delenv(name, raising=False)
        else:
            patch.setenv(name, value)


def _partial_keys(ctx: Any) -> Any:
    _env(
        ctx,
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY=None,
        AWS_PROFILE=None,
        AWS_SESSION_TOKEN=None,
    )
    return _run_stored(ctx, "s3://bucket1/runs")


def _endpoint_password(ctx: Any) -> Any:
    _env(
        ctx,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://user:hunter2pass@127.0.0.1:{closed_port()}",
    )
    try:
        return _run_stored(ctx, "s3://bucket1/runs")
    except rw.StorageError as exc:
        assert "hunter2pass" not in str(exc), str(exc)  # noqa: PT017 - the case must still raise it
        raise


def _shared_object_survives(ctx: Any) -> None:
    """Client A runs with delete_uploads=True; while its prediction runs, client B (another notebook) sends
    the same bytes to the same bucket. When A's call ends, B's object must still be there for B's model."""
    bucket, s3 = ctx.fixture("s3_bucket")
    storage = f"s3://{bucket}/runs"
    other = rw.Client(api_token=ctx.server.token, base_url=ctx.server.base_url)
    b_urls: list[str] = []
    started = threading.Event()

    def b_runs_meanwhile(event: Any) -> None:
        if event.kind == "status" and not started.is_set():
            started.set()
            _run_stored(ctx, storage, client=other)  # B's file-info reads its signed URL
            [create] = [e for e in ctx.requests("POST", "/predictions") if e.get("inputs")][-1:]
            b_urls.append(create["inputs"]["file"]["url"])

    _run_stored(ctx, storage, delete_uploads=True, progress=b_runs_meanwhile)
    assert b_urls, "client B did not run"
    # B's object, signed for B's model, is still served; only A's own key was deleted
    assert httpx.get(b_urls[0], timeout=10).status_code == 200
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert len(keys) == 1, keys
    assert b_urls[0].split("?")[0].endswith(keys[0])
    other.close()


P = "Python call"
# fmt: off
CASES = [
    Case("py-storage-bucket-space", P, "storage='s3://my bucket/x'", "InputError",
         "'my bucket' is not a valid bucket name. An S3 bucket name is 3 to 255 letters",
         lambda c: _run_stored(c, "s3://my bucket/x")),
    Case("py-storage-gcs-bucket-upper", P, "storage='gs://My_Bucket/x'", "InputError",
         "'My_Bucket' is not a valid bucket name. A Google Cloud Storage bucket name is 3 to 63 lowercase",
         lambda c: _run_stored(c, "gs://My_Bucket/x")),
    Case("py-storage-azure-container", P, "storage='az://a--b/x' (a double hyphen)", "InputError",
         "An Azure container name is 3 to 63 lowercase letters, digits and single '-'",
         lambda c: _run_stored(c, "az://a--b/x")),
    Case("py-storage-prefix-dots", P, "storage='s3://bucket1/a/../b'", "InputError",
         "has an empty, '.', '..' or control-character segment", lambda c: _run_stored(c, "s3://bucket1/a/../b")),
    Case("py-storage-prefix-empty-segment", P, "storage='s3://bucket1/a//b'", "InputError",
         "has an empty, '.', '..' or control-character segment", lambda c: _run_stored(c, "s3://bucket1/a//b")),
    Case("py-storage-partial-keys", P, "AWS_ACCESS_KEY_ID set, AWS_SECRET_ACCESS_KEY not", "StorageError",
         "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", _partial_keys),
    Case("py-storage-endpoint-password", P, "AWS_ENDPOINT_URL='http://user:password@127.0.0.1:<closed>'",
         "StorageError", "Failed checking s3://bucket1/runs", _endpoint_password, limit=60),
    Case("py-storage-delete-uploads-shared", P,
         "delete_uploads=True while another client sends the same bytes to the same bucket", "ok",
         "the call uploads under a key of its own and deletes only that; the other's object stays",
         _shared_object_survives, limit=60),
]
# fmt: on
