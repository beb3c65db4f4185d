"""Forms built from real published model schemas (tests/data/schemas, sources in each file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicate_widget.core.schema import ModelSchema
from replicate_widget.widgets.playground.form import (
    FieldSpec,
    build_form,
    coerce,
    initial_values,
    problems_by_field,
)

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"
ALL = sorted(SCHEMAS.glob("*.json"))


def form_of(stem: str) -> dict[str, FieldSpec]:
    document = json.loads((SCHEMAS / f"{stem}.json").read_text())
    return {spec["name"]: spec for spec in build_form(ModelSchema(document["openapi_schema"]))}


def kinds(stem: str) -> dict[str, str]:
    return {name: spec["kind"] for name, spec in form_of(stem).items()}


def test_at_least_a_dozen_schemas_with_sources():
    assert len(ALL) >= 12
    for path in ALL:
        document = json.loads(path.read_text())
        assert document["source"], path.name
        assert "Input" in document["openapi_schema"]["components"]["schemas"], path.name


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_schema_gives_a_complete_form_in_x_order(path: Path):
    document = json.loads(path.read_text())
    raw = document["openapi_schema"]["components"]["schemas"]["Input"]["properties"]
    form = build_form(ModelSchema(document["openapi_schema"]))
    assert {spec["name"] for spec in form} == set(raw)
    orders = [raw[spec["name"]].get("x-order", 0) for spec in form]
    assert orders == sorted(orders)
    for spec in form:
        assert spec["kind"] in {"file", "files", "text", "textarea", "slider", "number", "toggle", "select",
                                "secret", "list", "json"}  # fmt: skip
        json.dumps(spec)  # the spec is a synced trait: it must be plain JSON
        if spec["kind"] == "slider":
            assert spec["minimum"] is not None
            assert spec["maximum"] is not None
            assert spec["step"]
        if spec["kind"] == "select":
            assert spec["options"]
            if spec["has_default"]:
                assert str(spec["default"]) in {str(o) for o in spec["options"]}


def test_sdxl_layout_enums_by_ref_bounds_and_defaults():
    form = form_of("stability-ai__sdxl")
    assert list(form)[:5] == ["prompt", "negative_prompt", "image", "mask", "width"]
    assert kinds("stability-ai__sdxl") | {} == {
        "prompt": "textarea", "negative_prompt": "textarea", "image": "file", "mask": "file",
        "width": "number", "height": "number", "num_outputs": "slider", "scheduler": "select",
        "num_inference_steps": "slider", "guidance_scale": "slider", "prompt_strength": "slider",
        "seed": "number", "refine": "select", "high_noise_frac": "slider", "refine_steps": "number",
        "apply_watermark": "toggle", "lora_scale": "slider", "replicate_weights": "text",
        "disable_safety_checker": "toggle",
    }  # fmt: skip
    assert form["scheduler"]["options"] == [
        "DDIM", "DPMSolverMultistep", "HeunDiscrete", "KarrasDPM", "K_EULER_ANCESTRAL", "K_EULER", "PNDM",
    ]  # fmt: skip
    assert form["scheduler"]["default"] == "K_EULER"
    assert form["refine"]["options"] == ["no_refiner", "expert_ensemble_refiner", "base_image_refiner"]
    assert (form["num_inference_steps"]["minimum"], form["num_inference_steps"]["maximum"]) == (1, 500)
    assert form["num_inference_steps"]["step"] == 1
    assert (form["guidance_scale"]["minimum"], form["guidance_scale"]["maximum"]) == (1, 50)
    assert form["prompt_strength"]["step"] == 0.01
    assert form["width"]["default"] == 1024
    assert form["seed"]["has_default"] is False
    assert form["image"]["accept"] == "image/*"
    assert not any(spec["required"] for spec in form.values())
    values = initial_values(list(form.values()))
    assert values["prompt"] == "An astronaut riding a rainbow unicorn"
    assert "seed" not in values
    assert "image" not in values


def test_inline_enum_on_integer_field_and_untitled_properties():
    form = form_of("gnobitab__fusedream")
    assert form["model_size"]["kind"] == "select"
    assert form["model_size"]["options"] == ["512", "256"]
    assert form["model_size"]["default"] == 512
    assert coerce(form["model_size"], "256") == 256
    assert form["sentence"]["kind"] == "textarea"
    assert form["sentence"]["label"] == "Sentence"  # no title in the schema: made from the name
    assert form["init_iterations"]["kind"] == "slider"


def test_integer_enums_by_ref_keep_their_type():
    form = form_of("philz1337x__clarity-upscaler")
    assert form["tiling_width"]["kind"] == "select"
    assert form["tiling_width"]["options"][:3] == [16, 32, 48]
    assert form["tiling_width"]["default"] == 112
    assert form["image"]["kind"] == "file"
    assert form["image"]["required"] is True
    assert form["mask"]["kind"] == "file"
    assert form["mask"]["required"] is False
    assert len(form) == 22
    assert form["creativity"]["step"] == 0.01
    assert form["dynamic"]["step"] == 0.1


def test_secrets_marked_by_schema_and_by_name():
    moderation = form_of("deepfates__openai-moderation")
    assert moderation["api_key"]["kind"] == "secret"
    assert moderation["api_key"]["required"] is True
    assert moderation["images_zip"]["kind"] == "file"
    assert "api_key" not in initial_values(list(moderation.values()))
    whisperx = form_of("audioscrape__whisperx")
    assert whisperx["huggingface_token"]["kind"] == "secret"  # not marked in the schema, but it's a token


def test_nullable_fields_with_bounds_and_audio_file():
    form = form_of("audioscrape__whisperx")
    assert form["audio"]["kind"] == "file"
    assert form["audio"]["required"] is True
    assert form["audio"]["accept"] == "audio/*"
    assert form["min_speakers"]["kind"] == "slider"
    assert (form["min_speakers"]["minimum"], form["min_speakers"]["maximum"]) == (1, 20)
    assert form["min_speakers"]["has_default"] is False
    assert form["language"]["kind"] == "text"
    assert form["enable_diarization"]["kind"] == "toggle"
    assert form["enable_diarization"]["default"] is True


def test_arrays_of_files_and_strings():
    trellis = form_of("fishwowater__trellis-image")
    assert trellis["images"]["kind"] == "files"
    assert trellis["images"]["required"] is True
    assert trellis["tex_images"]["kind"] == "files"
    assert trellis["mesh"]["kind"] == "file"
    assert trellis["tex_bake_mode"]["kind"] == "select"
    assert trellis["tex_bake_mode"]["options"] == ["rgb", "srgb"]
    assert trellis["mesh_simplify"]["kind"] == "slider"
    assert trellis["mesh_simplify"]["step"] == 0.0001
    llava = form_of("yorickvp__llava-v1.6-34b")
    assert llava["history"]["kind"] == "list"
    assert llava["history"]["item_type"] == "string"
    assert llava["prompt"]["kind"] == "textarea"
    assert llava["prompt"]["required"] is True
    assert llava["temperature"]["kind"] == "number"  # minimum only: no slider
    assert llava["temperature"]["minimum"] == 0


def test_llm_prompts_are_multiline_and_enum_without_default_is_optional():
    llama = kinds("meta__meta-llama-3.1-405b-instruct")
    assert llama["prompt"] == "textarea"
    assert llama["system_prompt"] == "textarea"
    assert llama["max_tokens"] == "number"
    bark = form_of("suno-ai__bark")
    assert bark["history_prompt"]["kind"] == "select"
    assert bark["history_prompt"]["has_default"] is False
    assert bark["history_prompt"]["required"] is False
    assert bark["custom_history_prompt"]["kind"] == "file"


def test_long_enum_with_string_none_default_and_file_url_default():
    seamless = form_of("cjwbw__seamless_communication")
    assert seamless["input_text_language"]["default"] == "None"
    assert "None" in seamless["input_text_language"]["options"]
    assert len(seamless["target_language_with_speech"]["options"]) > 30
    assert seamless["input_audio"]["kind"] == "file"
    diarization = form_of("collectiveai-team__speaker-diarization")
    assert diarization["audio"]["kind"] == "file"
    assert initial_values(list(diarization.values()))["audio"].startswith("https://")


def test_more_models_kinds():
    assert kinds("black-forest-labs__flux-1.1-pro")["aspect_ratio"] == "select"
    assert kinds("black-forest-labs__flux-1.1-pro")["width"] == "slider"
    assert form_of("black-forest-labs__flux-dev")["megapixels"]["options"] == ["1", "0.25"]
    assert kinds("meta__musicgen")["continuation_start"] == "number"
    assert kinds("meta__musicgen")["input_audio"] == "file"
    assert kinds("cjwbw__videocrafter")["task"] == "select"
    assert kinds("fofr__consistent-character")["subject"] == "file"
    assert kinds("chigozienri__image-urls-to-video")["mp4"] == "toggle"
    assert kinds("mgysel__stable-audio-open") == {"description": "textarea", "duration": "slider"}
    assert kinds("ryan5453__demucs")["mp3_preset"] == "select"


def test_problems_are_attached_to_their_fields():
    schema = ModelSchema(json.loads((SCHEMAS / "stability-ai__sdxl.json").read_text())["openapi_schema"])
    problems = schema.validate({"num_outputs": 9, "scheduler": "nope", "bogus": 1})
    by_field, general = problems_by_field(problems, [f.name for f in schema.fields])
    assert by_field["num_outputs"].startswith("Must be at most 4")
    assert "must be one of" in by_field["scheduler"].lower()
    assert len(general) == 1
    assert "bogus" in general[0]
