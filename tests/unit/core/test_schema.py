"""Reading published schemas: fields, files, enums in both forms, checks, output conversion."""

import json
from pathlib import Path

import pytest

from replicate_widget.core.schema import ModelSchema, convert_without_schema

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"


def load(name: str) -> ModelSchema:
    return ModelSchema(json.loads((SCHEMAS / f"{name}.json").read_text())["openapi_schema"])


ALL = sorted(p.stem for p in SCHEMAS.glob("*__*.json"))


@pytest.mark.parametrize("name", ALL)
def test_every_published_schema_reads(name):
    schema = load(name)
    assert schema.available
    assert schema.fields
    orders = [f.order for f in schema.fields]
    assert orders == sorted(orders)
    assert schema.output_kind != "unknown"


def test_sdxl_files_enums_and_bounds():
    schema = load("stability-ai__sdxl")
    names = [f.name for f in schema.file_fields]
    assert names == ["image", "mask"]
    scheduler = schema.field("scheduler")
    assert scheduler.enum
    assert "K_EULER" in scheduler.enum
    assert scheduler.default == "K_EULER"
    steps = schema.field("num_inference_steps")
    assert (steps.minimum, steps.maximum) == (1, 500)
    assert schema.output_kind == "files"


def test_integer_enum_given_as_strings_accepts_both():
    schema = load("gnobitab__fusedream")
    assert schema.field("model_size").enum == ["512", "256"]
    assert schema.validate({"model_size": 512}) == []


def test_validate_lists_every_problem():
    schema = load("stability-ai__sdxl")
    problems = schema.validate(
        {"scheduler": "NOPE", "num_inference_steps": 9999, "guidance_scale": "x", "bogus": 1, "refine": None}
    )
    text = "\n".join(problems)
    assert len(problems) == 4, problems
    assert "scheduler" in text
    assert "one of" in text
    assert "at most 500" in text
    assert "guidance_scale" in text
    assert "number" in text
    assert "'bogus' is not an input" in text


def test_required_and_bool_is_not_a_number():
    schema = load("audioscrape__whisperx")
    required = [f.name for f in schema.fields if f.required]
    problems = schema.validate({"min_speakers": True})
    assert any("min_speakers" in p and "integer" in p for p in problems)
    for name in required:
        assert any(f"'{name}' is required" in p for p in problems)


def test_secret_and_streaming():
    llama = load("meta__meta-llama-3.1-405b-instruct")
    assert llama.is_streaming
    assert llama.convert_output(["Hel", "lo"], str) == "Hello"
    moderation = load("deepfates__openai-moderation")
    assert moderation.field("api_key").secret


def test_output_objects_and_files_by_schema():
    bark = load("suno-ai__bark")
    out = bark.convert_output({"audio_out": "http://x/a.wav", "prompt_npz": None}, lambda u: ("F", u))
    assert out == {"audio_out": ("F", "http://x/a.wav"), "prompt_npz": None}
    fuse = load("gnobitab__fusedream")
    out = fuse.convert_output([{"file": "https://x/1.png", "text": "https://not-a-file"}], lambda u: ("F", u))
    assert out == [{"file": ("F", "https://x/1.png"), "text": "https://not-a-file"}]
    audio = load("mgysel__stable-audio-open")  # format: path counts as a file
    assert audio.output_kind == "file"


def test_fallback_rule_without_schema():
    schema = ModelSchema(None)
    assert not schema.available
    assert schema.validate({"anything": 1}) == []
    out = schema.convert_output(
        ["https://a/b.png", "http://a/b.png", "data:,x", {"k": "https://c"}], lambda u: ("F", u)
    )
    assert out == [("F", "https://a/b.png"), "http://a/b.png", ("F", "data:,x"), {"k": ("F", "https://c")}]
    assert convert_without_schema(3, str) == 3


# ---- a schema that can't be read is treated as missing (issue 22, defect 5) -------------------------------
def _input(**prop: object) -> dict:
    return {"components": {"schemas": {"Input": {"type": "object", "properties": {"x": prop}}}}}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"components": {"schemas": {"Input": {"properties": {"x": "text"}}}}}, "a property is str"),
        (_input(type="integer", **{"x-order": "first"}), "the x-order of 'x' is 'first'"),
        (_input(type="number", minimum="0"), "the minimum of 'x' is '0'"),
        (_input(type="string", description=5), "the description of 'x' is int"),
        ({"components": {"schemas": {"Input": {"required": True, "properties": {}}}}}, "'required' is bool"),
        ({"components": {"schemas": {"Input": [], "Output": {}}}}, "Input is list"),
        ({"components": {"schemas": {"Output": "x"}}}, "a property is str"),
        ({"components": []}, "components is list"),
        ("not a document", "the document is str"),
    ],
)
def test_an_unreadable_schema_reads_as_missing_and_says_why(document, reason):
    schema = ModelSchema(document)  # type: ignore[arg-type]
    assert (schema.available, schema.fields, schema.output, schema.output_kind) == (
        False,
        [],
        None,
        "unknown",
    )
    assert reason in schema.unreadable
    assert schema.validate({"anything": 1}) == []  # the server checks instead
