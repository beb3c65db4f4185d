"""FileInput with a bucket for big files, in a real JupyterLab: a 150 MiB pick goes to the bucket (moto in
server mode) as soon as it has arrived, and the model reads it through a signed URL."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import urlsplit

import pytest
from test_widget_transfer import pick, wait_rows

pytestmark = pytest.mark.browser

SIZE = 150 * 1024 * 1024


def test_a_150_mib_pick_with_a_bucket_reaches_the_model(notebook, tmp_path, server, moto_server, s3_bucket):
    bucket, s3 = s3_bucket
    path = tmp_path / "big-clip.bin"
    digest = hashlib.sha256()
    with path.open("wb") as f:
        for _ in range(SIZE // (1 << 20)):
            block = os.urandom(1 << 20)
            digest.update(block)
            f.write(block)
    # What a user puts in the environment (here in the kernel itself: the lab started before this test).
    setup = (
        "import os, resource\n"
        "os.environ.update(AWS_ACCESS_KEY_ID='testing', AWS_SECRET_ACCESS_KEY='testing', "
        f"AWS_REGION='us-east-1', AWS_ENDPOINT_URL={moto_server!r})\n"
        "import obstore  # loaded before the baseline: a fixed cost, not the transfer's\n"
        "import replicate_widget as rw\n"
        f"w = rw.FileInput(storage='s3://{bucket}/lab')\n"
        "w"
    )
    peak_mib = "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    run = "out = w.run('demo/file-info')\nprint(out['sha256'], out['size'])"
    nb = notebook("storage.ipynb", [setup, peak_mib, run, peak_mib], run=False)
    nb.run_cell(0)
    hint = nb.widget().locator(".rw-zone-hint")
    assert "5 GiB" in hint.inner_text()  # the cap it states with a bucket
    nb.run_cell(1)
    before = int(nb.cell_output(1).strip())

    pick(nb, str(path))
    # eager: in the bucket once it has arrived, before any run
    wait_rows(nb, 1, states=("uploaded",), timeout=600_000)
    key = f"lab/{digest.hexdigest()}/big-clip.bin"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]

    nb.run_cell(2, timeout=600)
    assert nb.cell_output(2).split() == [digest.hexdigest(), str(SIZE)]
    (create,) = [e for e in server.log.entries if e["path"].endswith("/predictions")]
    sent = urlsplit(create["inputs"]["file"]["url"])
    assert f"{sent.scheme}://{sent.netloc}" == moto_server
    assert sent.path == f"/{bucket}/{key}"
    assert server.log.find("POST", "/v1/files") == []

    nb.run_cell(3)
    grown = int(nb.cell_output(3).strip()) - before
    # the transfer spools to disk and the upload holds a few parts: far less than the file
    assert grown < 96, f"the kernel's peak memory grew {grown} MiB for a {SIZE >> 20} MiB file"
    saved = nb.save()
    assert "X-Amz-Signature" not in str(saved)  # the signed URL stays out of the saved notebook
