"""storage="gs://bucket/prefix": the local server as Replicate, and two servers that speak GCS's XML API.

- fake-gcs-server, a GCS emulator: the client looks objects up (HEAD), signs V4 URLs with a throwaway
  service-account key, and the model reads the object through the signed URL on the emulator's host; delete
  works too. fake-gcs-server 1.54 does not take the XML API's uploads (a PUT without a signature in the URL
  is "invalid uploadType", and there is no multipart upload), so objects are put in through its JSON API,
  as another tool would have put them there. It does not check signatures either: the test checks the V4
  signature itself, with the key's public half, over the string Google's V4 signing process defines.
- moto, for the uploads: GCS's XML API takes multipart uploads in the same requests as S3 (initiate, parts,
  complete), and moto answers them, with S3's error codes, which GCS's XML API shares. This shows obstore's
  GCS client uploading part by part, delete_uploads emptying the bucket and a missing bucket's error; it
  does not show a GCS server accepting them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from _bucket_runs import creates, files_posts, fresh_bucket_name, write

import replicate_widget as rw
from replicate_widget.core.limits import STORAGE_PART_SIZE
from replicate_widget.core.storage import object_store
from replicate_widget.core.storage.location import StorageLocation

MODEL = "test/two-files"  # served by two_files_server (tests/integration/conftest.py)


@pytest.fixture
def client(server2):
    return rw.Client(api_token=server2.token, base_url=server2.base_url)


def fake_gcs_objects(fake_gcs: str, bucket: str) -> list[str]:
    listing = httpx.get(f"{fake_gcs}/storage/v1/b/{bucket}/o", trust_env=False).json()
    return [item["name"] for item in listing.get("items", [])]


def put_through_json_api(fake_gcs: str, bucket: str, key: str, path: Path) -> None:
    response = httpx.post(
        f"{fake_gcs}/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "media", "name": key},
        content=path.read_bytes(),
        trust_env=False,
    )
    response.raise_for_status()


def check_v4_signature(url: str, public_key) -> None:
    """Raises unless the URL carries a GOOG4-RSA-SHA256 signature of itself made with the key's private half
    (https://cloud.google.com/storage/docs/authentication/signatures: canonical request, string to sign)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    parts = urlsplit(url)
    pairs = [p.split("=", 1) for p in parts.query.split("&")]
    signature = dict(pairs)["X-Goog-Signature"]
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs) if k != "X-Goog-Signature")
    # obstore signs for GCS's own host whatever the base URL (an emulator's here): a string, never looked up
    canonical = "\n".join(
        ["GET", parts.path, query, "host:storage.googleapis.com", "", "host", "UNSIGNED-PAYLOAD"]
    )
    fields = {k: unquote(v) for k, v in pairs}
    scope = fields["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", fields["X-Goog-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    public_key.verify(bytes.fromhex(signature), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_an_object_in_the_bucket_reaches_the_model_through_a_v4_signed_url(
    server2, client, gs_bucket, fake_gcs, gcs_service_account, tmp_path
):
    a, a_sha = write(tmp_path, "clip.bin", 3 * 1024 * 1024)
    key = f"runs/{a_sha}/clip.bin"  # where the client looks for these bytes
    put_through_json_api(fake_gcs, gs_bucket, key, a)
    out = client.run(
        MODEL,
        {"big": a, "small": a},
        storage=f"gs://{gs_bucket}/runs",
        strategy="storage",
        delete_uploads=True,
    )
    assert out["big"] == out["small"] == {"size": 3 * 1024 * 1024, "sha256": a_sha}
    (create,) = creates(server2)
    url = create["inputs"]["big"]["url"]
    assert create["inputs"]["big"]["kind"] == "url"
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == fake_gcs
    assert parts.path == f"/{gs_bucket}/{key}"
    query = parse_qs(parts.query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["3600"]
    assert query["X-Goog-Credential"][0].startswith("uploader@rw-test.iam.gserviceaccount.com/")
    check_v4_signature(url, gcs_service_account[1])
    assert files_posts(server2) == []
    # found in the bucket, not uploaded by this client: delete_uploads leaves it alone
    assert fake_gcs_objects(fake_gcs, gs_bucket) == [key]


def test_a_tampered_url_fails_the_signature_check(
    server2, client, gs_bucket, fake_gcs, gcs_service_account, tmp_path
):
    """The check above can fail: the same URL for another object does not verify."""
    from cryptography.exceptions import InvalidSignature

    a, a_sha = write(tmp_path, "a.bin", 1000)
    put_through_json_api(fake_gcs, gs_bucket, f"{a_sha}/a.bin", a)
    prediction = client.predict(
        MODEL, {"big": a, "small": a}, storage=f"gs://{gs_bucket}", strategy="storage"
    )
    url = prediction.input["big"]
    check_v4_signature(url, gcs_service_account[1])
    with pytest.raises(InvalidSignature):
        check_v4_signature(url.replace("/a.bin?", "/b.bin?"), gcs_service_account[1])


def test_head_and_delete_on_the_emulator(gs_bucket, fake_gcs, tmp_path):
    a, a_sha = write(tmp_path, "a.bin", 12_345)
    key = f"p/{a_sha}/a.bin"
    put_through_json_api(fake_gcs, gs_bucket, key, a)
    location = StorageLocation.parse(f"gs://{gs_bucket}/p")
    store = object_store.open_store(location)
    assert object_store.head_size(store, key, location) == 12_345
    object_store.delete(store, key, location)
    assert fake_gcs_objects(fake_gcs, gs_bucket) == []
    assert object_store.head_size(store, key, location) is None
    object_store.delete(store, key, location)  # already gone is fine


# ---- uploads through the XML API, as moto answers it (see the module's docstring)
def test_a_file_of_several_parts_goes_up_through_the_xml_api_and_is_deleted_after(
    server2, client, gs_bucket_on_moto, moto_server, gcs_service_account, tmp_path
):
    bucket, s3 = gs_bucket_on_moto
    big, big_sha = write(tmp_path, "three-parts.bin", 2 * STORAGE_PART_SIZE + 1000)
    small, small_sha = write(tmp_path, "s.bin", 1_000)
    seen: list[str] = []

    def look(_event) -> None:  # the object while the call runs: uploaded whole, before the prediction
        seen[:] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    out = client.run(
        MODEL,
        {"big": big, "small": small},
        storage=f"gs://{bucket}/up",
        strategy="storage",
        delete_uploads=True,
        progress=look,
    )
    assert out["big"] == {"size": 2 * STORAGE_PART_SIZE + 1000, "sha256": big_sha}
    assert out["small"]["sha256"] == small_sha
    # delete_uploads: under a key of this call's own, up/<sha256>/<random>/<name>
    [key] = [k for k in seen if k.startswith(f"up/{big_sha}/")]
    assert re.fullmatch(rf"up/{big_sha}/[0-9a-f]{{16}}/three-parts\.bin", key), key
    (create,) = creates(server2)
    url = create["inputs"]["big"]["url"]
    assert urlsplit(url).path == f"/{bucket}/{key}"
    check_v4_signature(url, gcs_service_account[1])
    assert files_posts(server2) == []
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []  # delete_uploads
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_a_missing_bucket_is_a_storage_error_saying_what_to_set(
    server2, client, gs_bucket_on_moto, gcs_service_account, tmp_path
):
    a, _ = write(tmp_path, "a.bin", 100)
    with pytest.raises(rw.StorageError, match="bucket of gs://no-such-bucket/x does not exist") as caught:
        client.run(MODEL, {"big": a, "small": a}, storage="gs://no-such-bucket/x", strategy="storage")
    message = str(caught.value)
    assert "REPLICATE_WIDGET_STORAGE" in message
    assert "PRIVATE KEY" not in message
    assert "local-test-token" not in message
    assert caught.value.location == "gs://no-such-bucket/x"
    assert creates(server2) == []


def test_a_hyphenated_bucket_is_found_or_the_error_names_the_encoding(
    server2, client, gs_bucket_on_moto, tmp_path
):
    """obstore percent-encodes '-' in a GCS bucket's name; an endpoint that looks the name up verbatim
    (moto 5.2.5) then says NoSuchBucket for a bucket that exists. Either the file goes up, or the error says
    why, and does not merely tell the user to create a bucket they have."""
    _, s3 = gs_bucket_on_moto
    bucket = "rw-hyphen-" + fresh_bucket_name()[2:]
    s3.create_bucket(Bucket=bucket)
    big, big_sha = write(tmp_path, "b.bin", 1_000)
    where = f"gs://{bucket}/x"
    outcome: object
    try:
        outcome = client.run(MODEL, {"big": big, "small": big}, storage=where, strategy="storage")
    except rw.StorageError as exc:
        outcome = exc
    try:
        if isinstance(outcome, rw.StorageError):
            assert "percent-encoded" in str(outcome)
            assert "lowercase letters and digits" in str(outcome)
        else:
            assert outcome["big"]["sha256"] == big_sha
    finally:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
