"""Prediction parsing, tqdm progress, and FileOutput on data URIs (no network)."""

import base64
import io

import pytest

from replicate_widget import FileOutput, Prediction
from replicate_widget.core.outputs.file_output import FileOutputList, galleries
from replicate_widget.core.predictions.record import parse_progress


def test_progress_reads_the_newest_tqdm_line():
    logs = "loading\n 10%|█         | 1/10 [00:01<00:09]\r 40%|████      | 4/10 [00:02<00:03]\n"
    step = parse_progress(logs)
    assert (step.current, step.total, step.fraction) == (4, 10, 0.4)
    assert parse_progress("no bars here") is None
    assert parse_progress(None) is None


def test_prediction_from_json_tolerates_aborted_and_missing_fields():
    p = Prediction.from_json({"id": "abc", "status": "aborted", "urls": {"get": "u", "stream": None}})
    assert p.done
    assert p.status == "aborted"
    assert p.urls == {"get": "u"}
    assert p.logs == ""
    assert repr(p) == "Prediction(id='abc', model='', status='aborted')"
    assert Prediction.from_json({"id": "x", "status": "failed", "error": {"detail": "boom"}}).error == "boom"


def png_bytes(size=(8, 8)) -> bytes:
    # Pillow comes with the [local] extra only; the base install (this tier's) may not have it.
    image = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    image.new("RGB", size, (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def test_data_uri_output_reads_saves_and_displays(tmp_path):
    data = png_bytes()
    out = FileOutput("data:image/png;base64," + base64.b64encode(data).decode())
    assert out.read() == data
    assert b"".join(out) == data
    assert (out.content_type, out.filename) == ("image/png", "output.png")
    saved = out.save(tmp_path)
    assert saved == tmp_path / "output.png"
    assert saved.read_bytes() == data
    bundle = out._repr_mimebundle_()
    assert f'<img src="{out.url}"' in bundle["text/html"]
    assert "image/png" not in bundle  # the HTML holds the image; a second copy would double a saved notebook
    assert str(out).startswith("data:image/png")
    assert len(repr(out)) < 100


def test_text_output_shows_its_text():
    out = FileOutput("data:text/plain,hello%20there")
    assert out.read() == b"hello there"
    bundle = out._repr_mimebundle_()
    assert bundle["text/plain"] == "hello there"
    assert "<pre" in bundle["text/html"]


def test_lists_of_files_display_as_a_gallery():
    a = FileOutput("data:text/plain,a")
    value = galleries({"images": [a, a], "n": [1, 2]})
    assert isinstance(value["images"], FileOutputList)
    assert not isinstance(value["n"], FileOutputList)
    html = value["images"]._repr_mimebundle_()["text/html"]
    assert html.count("<figure") == 2
    assert "flex-wrap" in html
    assert value["images"] == [a, a]


def test_a_gallery_shows_its_images_small_enough_to_sit_several_to_a_row():
    pixel = (  # a 1x1 gray PNG
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UBGAAAAABJ"
        "RU5ErkJggg=="
    )
    one = FileOutput(pixel)
    assert "max-height:512px" in one._repr_mimebundle_()["text/html"]  # on its own: large
    gallery = FileOutputList([one, one])
    html = gallery._repr_mimebundle_()["text/html"]
    assert html.count("max-height:240px") == 2, html
    assert html.count('src="data:image/png') == 2  # embedded, so a saved notebook still shows them


@pytest.mark.parametrize(
    ("url", "name"), [("https://h/x/out%20put.wav", "out put.wav"), ("https://h/", "output")]
)
def test_filename_from_url(url, name):
    assert FileOutput(url).filename == name


def test_a_batch_output_is_captioned_with_the_input_it_came_from(tmp_path):
    """Models often name every output alike (`output.png`): the caption says which input each is from."""
    from replicate_widget.core.batches.async_run import name_sources

    png = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    result = name_sources(
        [FileOutput(png), {"mask": FileOutput(png)}], {"image": tmp_path / "sunset.jpg", "n": 2}
    )
    assert [result[0].source, result[1]["mask"].source] == ["sunset.jpg", "sunset.jpg"]
    assert "<figcaption>sunset.jpg → output.png</figcaption>" in result[0]._repr_mimebundle_()["text/html"]
    unnamed = name_sources(FileOutput(png), {"image": b"bytes have no name", "prompt": "a cat"})
    assert unnamed.source is None
    assert "<figcaption>output.png</figcaption>" in unnamed._repr_mimebundle_()["text/html"]
