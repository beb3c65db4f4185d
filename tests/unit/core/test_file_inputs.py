"""LocalFile, content types, names, and the per-file choice between data URI and upload."""

import base64
import io
from pathlib import Path

import pytest

from replicate_widget import InputError, LocalFile
from replicate_widget.core.inputs.local_file import guess_content_type, sanitize_filename, sniff_content_type
from replicate_widget.core.inputs.normalize import data_uri, local_files, normalize_input, plan
from replicate_widget.core.limits import DATA_URI_LIMIT, FILES_API_LIMIT, INLINE_BUDGET
from replicate_widget.core.schema import ModelSchema

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def sized(tmp_path: Path, name: str, size: int) -> LocalFile:
    path = tmp_path / name
    with path.open("wb") as f:
        f.truncate(size)  # sparse: sizes up to 100 MiB cost nothing
    return LocalFile(path)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        (b"%PDF-1.7", "application/pdf"),
        (b"hello, world\n", "text/plain"),
        (b"\x00\x01\x02\x03", None),
    ],
)
def test_sniffing(head, expected):
    assert sniff_content_type(head) == expected


def test_name_wins_then_bytes():
    assert guess_content_type("a.jpg", PNG) == "image/jpeg"
    assert guess_content_type("noext", PNG) == "image/png"
    assert guess_content_type("noext", b"\x00\x01") == "application/octet-stream"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\cat.png", "cat.png"),
        ('bad"name;rm -rf.png', "bad_name_rm -rf.png"),
        ("...", "file"),
        ("été.png", "été.png"),
    ],
)
def test_sanitize(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = sanitize_filename("x" * 300 + ".png")
    assert name.endswith(".png")
    assert len(name.encode()) <= 200


def test_local_file_metadata(tmp_path):
    path = tmp_path / "pic"
    path.write_bytes(PNG)
    f = LocalFile(path)
    assert (f.name, f.size, f.content_type) == ("pic", len(PNG), "image/png")
    import hashlib

    assert f.sha256 == hashlib.sha256(PNG).hexdigest()
    assert f.read() == PNG
    with f.open() as handle:
        assert handle.read(4) == PNG[:4]
    assert "LocalFile('pic'" in repr(f)


def test_from_bytes_and_streams(tmp_path):
    f = LocalFile.from_bytes(b"abc", name="../x.txt")
    assert (f.name, f.read(), f.content_type) == ("x.txt", b"abc", "text/plain")
    g = normalize_input({"a": io.BytesIO(b"xyz"), "b": b"123"})
    assert g["a"].read() == b"xyz"
    assert g["b"].read() == b"123"
    path = tmp_path / "real.bin"
    path.write_bytes(b"zz")
    with path.open("rb") as handle:
        assert normalize_input({"c": handle})["c"].path == path


def test_strings_are_files_only_where_the_schema_says_so(tmp_path):
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    schema = ModelSchema(
        {
            "components": {
                "schemas": {
                    "Input": {
                        "properties": {
                            "image": {"type": "string", "format": "uri"},
                            "images": {"type": "array", "items": {"type": "string", "format": "uri"}},
                            "prompt": {"type": "string"},
                        }
                    }
                }
            }
        }
    )
    out = normalize_input({"image": str(path), "images": [str(path)], "prompt": str(path)}, schema)
    assert isinstance(out["image"], LocalFile)
    assert isinstance(out["images"][0], LocalFile)
    assert out["prompt"] == str(path)
    assert normalize_input({"image": "https://x/y.png"}, schema)["image"] == "https://x/y.png"
    with pytest.raises(InputError, match="ftp:"):
        normalize_input({"image": "ftp://x/y.png"}, schema)
    with pytest.raises(InputError, match="neither an existing file"):
        normalize_input({"image": str(tmp_path / "missing.png")}, schema)
    with pytest.raises(InputError, match="no such file"):
        normalize_input({"image": tmp_path / "missing.png"})


FILE_AND_TEXT = ModelSchema(
    {
        "components": {
            "schemas": {
                "Input": {
                    "properties": {
                        "file": {"type": "string", "format": "uri"},
                        "text": {"type": "string"},
                    }
                }
            }
        }
    }
)


@pytest.mark.parametrize("schema", [FILE_AND_TEXT, ModelSchema(None)], ids=["file-field", "no-schema"])
def test_data_uris_are_checked_where_a_file_goes(schema):
    field = "file" if schema.available else "anything"
    good = "data:text/plain;base64,aGk="
    assert normalize_input({field: good}, schema)[field] == good
    with pytest.raises(InputError, match="does not decode"):
        normalize_input({field: "data:text/plain;base64,@@@"}, schema)
    with pytest.raises(InputError, match="broken data URI"):
        normalize_input({field: "data:nonsense"}, schema)


def test_text_that_starts_with_data_is_text():
    text = "data: quarterly numbers"
    assert normalize_input({"text": text}, FILE_AND_TEXT) == {"text": text}
    assert normalize_input({"text": text}) == {"text": text}  # before the schema is known: left alone


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_input_errors(value):
    with pytest.raises(InputError, match=r"'seconds' is .*finite"):
        normalize_input({"seconds": value})
    with pytest.raises(InputError, match="'xs'"):
        normalize_input({"xs": [1.0, value]})


# Encoded in chunks of 48 KiB (a multiple of 3) into one buffer: sizes around a chunk's end and padding,
# and one past the inline budget.
@pytest.mark.parametrize("size", [0, 1, 2, 49_151, 49_152, 49_153, 1_280_000, 6_000_001])
def test_data_uri_has_the_exact_bytes(tmp_path, size):
    payload = (bytes(range(256)) * (size // 256 + 1))[:size]
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)
    uri = data_uri(LocalFile(path))
    head, _, body = uri.partition(",")
    assert head == "data:application/octet-stream;name=blob.bin;base64"
    assert base64.b64decode(body) == payload


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc")
def test_data_uri_of_a_file_longer_than_stat_says_has_all_of_it():
    # /proc files stat as 0 bytes and read as their contents; the buffer is sized from stat
    uri = data_uri(LocalFile("/proc/self/status", content_type="text/plain"))
    assert b"Name:" in base64.b64decode(uri.partition(",")[2])


def test_thresholds(tmp_path):
    small = sized(tmp_path, "small", DATA_URI_LIMIT - 1)
    edge = sized(tmp_path, "edge", DATA_URI_LIMIT)
    limit = sized(tmp_path, "limit", FILES_API_LIMIT)
    forms = plan([small, edge, limit], "auto")
    assert forms == {small: "data-uri", edge: "upload", limit: "upload"}
    with pytest.raises(InputError, match="104,857,600") as info:
        plan([sized(tmp_path, "big", FILES_API_LIMIT + 1)], "auto")
    assert len(info.value.problems) == 1


def test_inline_budget_uploads_the_largest_first(tmp_path):
    files = [sized(tmp_path, f"f{i}", DATA_URI_LIMIT - 1 - i) for i in range(7)]  # ~7 MB of small files
    forms = plan(files, "auto")
    inline = [f for f in files if forms[f] == "data-uri"]
    assert sum(f.size for f in inline) <= INLINE_BUDGET
    assert [f.name for f in files if forms[f] == "upload"] == ["f0", "f1"]  # the two largest


def test_forced_strategies(tmp_path):
    small = sized(tmp_path, "s", 10)
    assert plan([small], "upload") == {small: "upload"}
    big = sized(tmp_path, "b", 2_000_000)
    assert plan([big], "data-uri") == {big: "data-uri"}
    with pytest.raises(InputError, match="at most 5,000,000"):
        plan([sized(tmp_path, "c", 6_000_000)], "data-uri")
    with pytest.raises(InputError, match="strategy"):
        plan([small], "fast")


def test_local_files_are_found_once_in_order(tmp_path):
    a, b = sized(tmp_path, "a", 1), sized(tmp_path, "b", 1)
    assert local_files({"x": [a, b, a], "y": {"z": b}}) == [a, b]
