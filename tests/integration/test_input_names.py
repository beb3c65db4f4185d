"""A file's name goes with it to the model, also as a data URI (under 1 MB), and a batch's outputs say which
input each came from. Through the local server's real Cog predictors: demo/file-info reports the name Cog
gave its Path."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

import replicate_widget as rw

SAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "samples"


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def _sent(server):
    """The file input of the last prediction the server created, as the request log recorded it."""
    created = [e for e in server.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")]
    return created[-1]["inputs"]["file"]


@pytest.mark.parametrize(
    "name",
    ["notes.txt", "field notes; v2,final+1%.txt", "résumé.txt"],
    ids=["plain", "reserved", "non-ascii"],
)
def test_a_small_files_name_reaches_the_model_in_its_data_uri(client, server, tmp_path, name):
    path = tmp_path / name
    shutil.copy(SAMPLES / "notes.txt", path)
    prediction = client.predict("demo/file-info", {"file": path}, progress=False)
    sent = _sent(server)
    assert sent["kind"] == "data-uri"  # under 1 MB: inline, not uploaded
    assert sent["filename"] == rw.LocalFile(path).name
    assert prediction.output["name"] == rw.LocalFile(path).name
    assert prediction.output["sha256"] == sent["sha256"]


def test_a_picked_file_keeps_the_name_it_was_picked_under(client, server, tmp_path):
    spooled = tmp_path / "upload-7f3a"  # how a widget's received file may sit on disk
    shutil.copy(SAMPLES / "notes.txt", spooled)
    out = client.run("demo/file-info", {"file": rw.LocalFile(spooled, name="minutes.txt")}, progress=False)
    assert out["name"] == "minutes.txt"


def test_bytes_have_no_name_to_pass_on(client, server):
    prediction = client.predict("demo/file-info", {"file": b"three words here"}, progress=False)
    assert prediction.input["file"].startswith("data:text/plain;base64,")  # no name= parameter
    assert prediction.output["name"] is None
    assert _sent(server)["filename"] is None


def _jpeg(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_batchs_outputs_are_captioned_with_the_input_each_came_from(client, tmp_path):
    paths = []
    for color in ("red", "green", "blue"):
        paths.append(tmp_path / f"{color}.jpg")
        paths[-1].write_bytes(_jpeg(color))
    grays = client.run_batch("demo/grayscale", [{"image": p} for p in paths], progress=False)
    # the names reached the model (data URIs), which names its outputs after them: no more three `gray.png`
    assert [g.filename for g in grays] == ["red-gray.png", "green-gray.png", "blue-gray.png"]
    assert [g.source for g in grays] == ["red.jpg", "green.jpg", "blue.jpg"]
    gallery = grays._repr_mimebundle_()["text/html"]
    captions = [part.split("</figcaption>")[0] for part in gallery.split("<figcaption>")[1:]]
    assert [c.split(" → ")[0] for c in captions] == ["red.jpg", "green.jpg", "blue.jpg"]
    assert all(c.endswith(f"{g.filename}</a>") for c, g in zip(captions, grays, strict=True))
