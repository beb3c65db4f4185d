"""Input validation against a Cog `Input` schema, reporting every problem as Replicate's invalid_fields."""

from __future__ import annotations

from typing import Any

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _problem(kind: str, field: str, description: str) -> dict[str, str]:
    return {"type": kind, "field": field, "description": description}


def resolve_property(prop: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Merge `allOf: [{$ref: ...}]` (older Cog's enums) into the property itself."""
    merged = {k: v for k, v in prop.items() if k != "allOf"}
    for part in prop.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            target = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
            merged = {**target, **merged}
        else:
            merged = {**part, **merged}
    return merged


def is_file_property(prop: dict[str, Any]) -> bool:
    return prop.get("format") == "uri"


def is_file_array_property(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "array" and is_file_property(prop.get("items", {}))


def _check_value(value: Any, prop: dict[str, Any], field: str) -> list[dict[str, str]]:
    name = field.removeprefix("input.")
    expected = prop.get("type")
    if value is None:
        return [_problem("type", field, f"{name} must not be null; leave it out to use the default")]
    if expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            expected != "boolean" and isinstance(value, bool)
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            return [_problem("type", field, f"{name} must be of type {expected}, got {type(value).__name__}")]
    problems: list[dict[str, str]] = []
    if "enum" in prop and value not in prop["enum"]:
        choices = ", ".join(repr(c) for c in prop["enum"])
        problems.append(_problem("enum", field, f"{name} must be one of: {choices}"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in prop and value < prop["minimum"]:
            problems.append(
                _problem("number_gte", field, f"{name} must be greater than or equal to {prop['minimum']}")
            )
        if "maximum" in prop and value > prop["maximum"]:
            problems.append(
                _problem("number_lte", field, f"{name} must be less than or equal to {prop['maximum']}")
            )
    if (
        isinstance(value, str)
        and is_file_property(prop)
        and not value.startswith(("data:", "http://", "https://"))
    ):
        problems.append(
            _problem(
                "format", field, f"{name} must be a file: an http(s) URL, a Files API URL or a data: URI"
            )
        )
    if isinstance(value, list) and isinstance(prop.get("items"), dict):
        for index, item in enumerate(value):
            problems.extend(_check_value(item, prop["items"], f"{field}.{index}"))
    return problems


def validate_input(input_value: Any, openapi_schema: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every problem with `input` (empty when it fits). Without a schema anything is accepted, as Cog does."""
    if not isinstance(input_value, dict):
        return [_problem("type", "input", "input must be a JSON object")]
    if openapi_schema is None:
        return []
    input_schema = openapi_schema["components"]["schemas"]["Input"]
    properties: dict[str, Any] = input_schema.get("properties", {})
    problems = [
        _problem("required", f"input.{name}", f"{name} is required")
        for name in input_schema.get("required", [])
        if name not in input_value
    ]
    for name, value in input_value.items():
        if name not in properties:
            if input_schema.get("additionalProperties") is not True:
                problems.append(
                    _problem(
                        "additional_property_not_allowed",
                        f"input.{name}",
                        f"Additional property {name} is not allowed",
                    )
                )
            continue
        problems.extend(
            _check_value(value, resolve_property(properties[name], openapi_schema), f"input.{name}")
        )
    return problems
