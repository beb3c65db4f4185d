"""A panic inside obstore (Rust) leaves the storage layer as a StorageError, never as pyo3's PanicException,
which is a BaseException that no `except Exception` handler above would catch (issue 22, defect 2).

The location is built directly, past StorageLocation.parse (which now refuses such a name), to reach the
guard itself: an S3 bucket name with a space makes obstore build an invalid URI and panic while signing."""

from __future__ import annotations

import pytest

from replicate_widget import LocalFile, StorageError
from replicate_widget.core.storage import object_store
from replicate_widget.core.storage.location import StorageLocation
from replicate_widget.core.storage.stores import Stores

pytest.importorskip("obstore")


@pytest.fixture
def unreachable_s3(monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # released: nothing listens there
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }.items():
        monkeypatch.setenv(name, value)


def test_a_panic_in_obstore_is_a_storage_error(unreachable_s3):
    location = StorageLocation("s3", "my bucket", "x")
    store = object_store.open_store(location)
    with pytest.raises(StorageError, match="the storage library stopped on an internal error") as info:
        object_store.head_size(store, "x/k", location)
    assert info.value.location == "s3://my bucket/x"


def test_an_upload_through_a_panicking_store_is_a_storage_error(unreachable_s3, tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    with pytest.raises(StorageError):
        Stores().put(StorageLocation("s3", "my bucket", "x"), LocalFile(path))
