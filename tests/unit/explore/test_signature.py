"""Published schemas as Python signatures and docstrings: order, defaults, Literal enums (both Cog forms)."""

import inspect
import json
from pathlib import Path
from typing import Literal, get_args

import pytest

from replicate_widget.core.schema import ModelSchema
from replicate_widget.explore.handle import Model
from replicate_widget.explore.signature import docstring, signature

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"
ALL = sorted(p.stem for p in SCHEMAS.glob("*__*.json"))


def load(name: str) -> ModelSchema:
    return ModelSchema(json.loads((SCHEMAS / f"{name}.json").read_text())["openapi_schema"])


@pytest.mark.parametrize("name", ALL)
def test_every_published_schema_makes_a_signature_and_a_docstring(name):
    schema = load(name)
    sig = signature(schema)
    assert list(sig.parameters) == [f.name for f in schema.fields]  # x-order, every field
    doc = docstring(name, "", schema)
    for field in schema.fields:
        assert f"    {field.name} : " in doc
        if field.description:
            assert field.description.strip() in doc
        if field.enum:
            annotation = sig.parameters[field.name].annotation
            assert Literal[tuple(field.enum)] in (annotation, *get_args(annotation))


def test_sdxl_older_cog_enums_through_allof_are_literals():
    sig = signature(load("stability-ai__sdxl"))
    scheduler = sig.parameters["scheduler"]
    assert "K_EULER" in get_args(scheduler.annotation)
    assert scheduler.default == "K_EULER"
    assert sig.parameters["num_inference_steps"].annotation is int
    assert sig.parameters["guidance_scale"].annotation is float
    assert sig.parameters["apply_watermark"].annotation is bool


def test_required_fields_have_no_default_and_optional_ones_take_none():
    schema = load("black-forest-labs__flux-dev")
    sig = signature(schema)
    prompt = sig.parameters["prompt"]
    assert prompt.default is inspect.Parameter.empty
    for field in schema.fields:
        param = sig.parameters[field.name]
        if not field.required and not field.has_default:
            assert param.default is None


def test_a_handle_reads_its_schema_once_and_a_non_identifier_field_stays_in_the_docstring():
    raw = {
        "components": {
            "schemas": {
                "Input": {
                    "type": "object",
                    "required": ["prompt"],
                    "properties": {
                        "prompt": {"type": "string", "x-order": 0, "description": "What to draw"},
                        "guidance-scale": {"type": "number", "default": 3.5, "x-order": 1},
                        "lambda": {"type": "integer", "default": 1, "x-order": 2},
                    },
                },
                "Output": {"type": "string", "format": "uri"},
            }
        }
    }
    m = Model("someone/drawer")
    m._schema = ModelSchema(raw)
    m._listed = {"description": "Draws things."}
    assert str(inspect.signature(m)) == "(*, prompt: str)"
    doc = m.__doc__
    assert doc.startswith("someone/drawer: Draws things.")
    assert "'guidance-scale' (pass as **{...}) : float, default 3.5" in doc
    assert "'lambda' (pass as **{...}) : int, default 1" in doc
    assert "What to draw" in doc
    assert "Output: a file (rw.FileOutput)" in doc


def test_no_schema_means_any_keyword():
    m = Model("someone/opaque")
    m._schema = ModelSchema(None)
    m._listed = {}
    assert str(inspect.signature(m)) == "(**inputs)"
    assert "publishes no Input schema" in m.__doc__
