"""Which files go to the user's bucket, which bucket (precedence), and what is refused before any request.
Base install only: none of this imports obstore."""

import subprocess
import sys
from pathlib import Path

import pytest

from replicate_widget import InputError, LocalFile
from replicate_widget.core.inputs.normalize import plan
from replicate_widget.core.limits import FILES_API_LIMIT as MAX_UPLOAD
from replicate_widget.core.limits import STORAGE_LIMIT as MAX_OBJECT
from replicate_widget.core.storage.location import STORAGE_ENV, StorageLocation, check_expiry, resolve_storage


def sized(tmp_path: Path, name: str, size: int) -> LocalFile:
    path = tmp_path / name
    with path.open("wb") as f:
        f.truncate(size)  # sparse: costs no disk
    return LocalFile(path)


def test_with_a_store_only_files_over_the_limit_go_there(tmp_path):
    small, mid, limit, big = (
        sized(tmp_path, "s", 10),
        sized(tmp_path, "m", 2_000_000),
        sized(tmp_path, "l", MAX_UPLOAD),
        sized(tmp_path, "b", MAX_UPLOAD + 1),
    )
    forms = plan([small, mid, limit, big], "auto", storage=True)
    assert forms == {small: "data-uri", mid: "upload", limit: "upload", big: "storage"}


def test_without_a_store_a_big_file_is_refused_saying_how_to_set_one(tmp_path):
    with pytest.raises(InputError, match=STORAGE_ENV):
        plan([sized(tmp_path, "b", MAX_UPLOAD + 1)], "auto")


def test_strategy_upload_over_the_limit_stays_refused_even_with_a_store(tmp_path):
    with pytest.raises(InputError, match="100 MiB"):
        plan([sized(tmp_path, "b", MAX_UPLOAD + 1)], "upload", storage=True)


def test_strategy_storage_sends_every_file_and_needs_a_store(tmp_path):
    small = sized(tmp_path, "s", 10)
    assert plan([small], "storage", storage=True) == {small: "storage"}
    with pytest.raises(InputError, match="needs a bucket"):
        plan([small], "storage")


def test_the_bucket_has_a_cap_too(tmp_path):
    with pytest.raises(InputError, match="parts"):
        plan([sized(tmp_path, "huge", MAX_OBJECT + 1)], "auto", storage=True)


def test_locations_and_keys(tmp_path):
    where = StorageLocation.parse("s3://bucket/some/prefix/")
    assert (where.scheme, where.bucket, where.prefix) == ("s3", "bucket", "some/prefix")
    assert str(where) == "s3://bucket/some/prefix"
    file = sized(tmp_path, "clip.mp4", 3)
    assert where.key_for(file) == f"some/prefix/{file.sha256}/clip.mp4"
    assert StorageLocation.parse("gs://bkt").key_for(file) == f"{file.sha256}/clip.mp4"
    assert StorageLocation.parse("az://container/p").bucket == "container"


@pytest.mark.parametrize("text", ["ftp://bucket/x", "bucket/prefix", "https://example.com/b"])
def test_unsupported_schemes_are_input_errors(text):
    with pytest.raises(InputError, match="not supported"):
        StorageLocation.parse(text)


def test_a_key_in_the_url_is_refused_and_never_echoed():
    with pytest.raises(InputError) as caught:
        StorageLocation.parse("s3://AKIDEXAMPLE:topsecret@bucket/x")
    assert "topsecret" not in str(caught.value)
    assert "AKIDEXAMPLE" not in str(caught.value)


def test_precedence_and_the_variable_read_at_each_call(monkeypatch):
    monkeypatch.delenv(STORAGE_ENV, raising=False)
    assert resolve_storage(None, None) is None
    monkeypatch.setenv(STORAGE_ENV, "s3://from-env/p")
    assert str(resolve_storage(None, None)) == "s3://from-env/p"
    monkeypatch.setenv(STORAGE_ENV, "gs://changed")
    assert str(resolve_storage(None, None)) == "gs://changed"
    assert str(resolve_storage(None, "s3://client")) == "s3://client"
    assert str(resolve_storage("s3://call", "s3://widget", "s3://client")) == "s3://call"
    assert resolve_storage(False, "s3://client") is None  # a call may opt out


def test_expiry_bounds():
    assert check_expiry(3600) == 3600
    for bad in (0, -5, 604_801, 1.5, True, "60"):
        with pytest.raises(InputError, match="storage_expiry"):
            check_expiry(bad)


def test_the_base_install_never_imports_obstore():
    code = (
        "import sys, replicate_widget as rw\n"
        "from replicate_widget.core.storage import location, object_store, stores\n"
        "rw.Client(storage='s3://bkt/p')\n"
        "assert 'obstore' not in sys.modules and 'boto3' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
