"""A model's Input schema as Python sees a function: an inspect.Signature (what Tab completion and `m?` read)
and a docstring that lists every field."""

from __future__ import annotations

import inspect
import keyword
from pathlib import Path
from typing import Any, Literal

from ..core.schema import InputField, ModelSchema

_PYTHON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}
# What a file input takes: a path, a URL string (or a local path string), or an earlier output.
FileValue = Path | str


def annotation(field: InputField) -> Any:
    """The field's type: Literal for enums, Path | str for files, the JSON type's Python type otherwise."""
    if field.enum:
        base: Any = Literal[tuple(field.enum)]
    elif field.is_file:
        base = FileValue
    elif field.is_file_array:
        base = list[FileValue]
    else:
        base = _PYTHON_TYPES.get(field.type, Any)
    if not field.required and not field.has_default:
        return base | None
    return base


def is_parameter_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def signature(schema: ModelSchema) -> inspect.Signature:
    """Keyword-only parameters in x-order: required fields have no default, the others the schema's.

    A field whose name is not a Python identifier cannot be a parameter; it stays reachable as
    ``m(**{"odd-name": value})`` and the docstring lists it.
    """
    if not schema.available:
        return open_signature()
    params = []
    for field in schema.fields:
        if not is_parameter_name(field.name):
            continue
        if field.required and not field.has_default:
            default: Any = inspect.Parameter.empty
        elif field.secret and field.has_default and field.default is not None:
            default = HIDDEN  # a secret's default (an API key, say) is not for Tab completion to show
        else:
            default = field.default if field.has_default else None
        params.append(
            inspect.Parameter(
                field.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation(field)
            )
        )
    return inspect.Signature(params)


class _Hidden:
    """The default a signature shows for a secret field: left out when not given, as any default."""

    def __repr__(self) -> str:
        return "<hidden>"


HIDDEN = _Hidden()


def open_signature() -> inspect.Signature:
    """For a model without a schema (or one that could not be fetched): any keyword goes."""
    return inspect.Signature([inspect.Parameter("inputs", inspect.Parameter.VAR_KEYWORD)])


def type_text(field: InputField) -> str:
    if field.is_file:
        return "file (a path, URL or bytes)"
    if field.is_file_array:
        return "list of files"
    if field.enum:
        return "one of " + ", ".join(repr(e) for e in field.enum)
    return {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list"}.get(
        field.type, "dict"
    )


def range_text(field: InputField) -> str:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}"
    if low is not None:
        return f"at least {_number(low)}"
    if high is not None:
        return f"at most {_number(high)}"
    return ""


def default_text(field: InputField) -> str:
    if field.required and not field.has_default:
        return "required"
    if not field.has_default or field.default is None:
        return "optional"
    if field.secret:
        return "default hidden"
    return f"default {field.default!r}"


def output_text(schema: ModelSchema) -> str:
    kind = schema.output_kind
    if kind == "object" and schema.output is not None:
        names = ", ".join(schema.output.get("properties") or {})
        return f"a dict ({names})" if names else "a dict"
    return {
        "file": "a file (rw.FileOutput)",
        "files": "a list of files (rw.FileOutput each), shown as a gallery",
        "text-stream": "text (str); .stream(...) gives it chunk by chunk as it is written",
        "iterator": "a list, produced item by item",
        "list": "a list",
        "scalar": str((schema.output or {}).get("type", "a value")),
    }.get(kind, "whatever the model returns (it publishes no Output schema)")


def docstring(title: str, description: str, schema: ModelSchema) -> str:
    """Every input field (type, range, default, choices, description), then the output."""
    lines = [f"{title}: {description}".rstrip(": ") if description else title, ""]
    lines.append(
        "Calling this runs the model and returns its output (as rw.run does); .predict(...) returns the "
        "rw.Prediction, .stream(...) streams text, .run_batch([...]) runs many, .playground() opens a form."
    )
    lines.append("")
    if schema.unreadable:
        lines.append(
            f"Its Input schema could not be read: {schema.unreadable}. Any keyword is sent as it is."
        )
        return "\n".join(lines)
    if not schema.available:
        lines.append("The model publishes no Input schema: any keyword is sent as it is.")
        return "\n".join(lines)
    lines.append("Inputs:")
    for field in schema.fields:
        facts = ", ".join(part for part in (type_text(field), range_text(field), default_text(field)) if part)
        name = field.name if is_parameter_name(field.name) else f"{field.name!r} (pass as **{{...}})"
        lines.append(f"    {name} : {facts}")
        if field.description:
            lines.append(f"        {field.description.strip()}")
    lines += ["", f"Output: {output_text(schema)}"]
    return "\n".join(lines)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
