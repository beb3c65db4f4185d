"""A model's Input schema as a form: which control each field gets, its bounds, options and first value.

The schema is read by ``_schema.ModelSchema``; this module only decides presentation (the kinds the front end
draws, in js/playground/fields.js) and the kernel-side checks that go with it. Kinds:

    file, files        a drop zone taking one file (or URL) / several
    text, textarea     one line / several (prompts and other long text)
    slider             a number or integer with both bounds: slider plus number box
    number             a number or integer without both bounds: number box
    toggle             a boolean
    select             an enum, in either schema form (inline ``enum`` or ``allOf``/``$ref``)
    secret             a password box whose value only ever reaches the kernel by message
    list               an array of strings or numbers, one item per line
    json               anything else (objects, arrays of objects), typed as JSON
"""

from __future__ import annotations

import math
import re
from typing import Any, TypedDict

from ...core.schema import InputField, ModelSchema


class FieldSpec(TypedDict):
    """One field as the front end draws it (mirrored by the FieldSpec typedef in js/playground/types.js)."""

    name: str
    label: str
    description: str
    kind: str
    value_type: str
    required: bool
    has_default: bool
    default: Any
    minimum: float | None
    maximum: float | None
    step: float | None
    options: list[Any]
    accept: str
    item_type: str


# Words in a field's name that mean "long free text": these get a multi-line box.
_LONG_TEXT_WORDS = {
    "prompt", "prompts", "text", "caption", "message", "messages", "instruction", "instructions", "system",
    "context", "question", "template", "lyrics", "transcript", "description", "sentence", "story", "content",
}  # fmt: skip
# Names that hold credentials even when the schema forgets to mark them secret (audioscrape/whisperx has a
# plain-string `huggingface_token`): treated as secrets, so they never reach a synced trait or a notebook.
_SECRET_NAME = re.compile(r"(^|_)(api_key|apikey|token|secret|password|access_key)$", re.IGNORECASE)
_ACCEPT_HINTS = (
    ("image/*", ("image", "images", "img", "photo", "picture", "mask", "subject", "face", "tex_images")),
    ("audio/*", ("audio", "speech", "voice", "music", "song", "speaker", "wav", "mp3")),
    ("video/*", ("video", "clip", "movie")),
)


def field_kind(field: InputField, item_type: str = "") -> str:
    """The control a field gets; order matters (a file field with an enum is still a file field)."""
    if field.is_file_array:
        return "files"
    if field.is_file:
        return "file"
    if field.secret or (field.type == "string" and _SECRET_NAME.search(field.name)):
        return "secret"
    if field.enum:
        return "select"
    if field.type == "boolean":
        return "toggle"
    if field.type in ("integer", "number"):
        return "slider" if field.minimum is not None and field.maximum is not None else "number"
    if field.type == "string":
        return "textarea" if _is_long_text(field) else "text"
    if field.type == "array" and item_type in ("string", "integer", "number"):
        return "list"
    return "json"


def _is_long_text(field: InputField) -> bool:
    words = set(field.name.lower().split("_"))
    default = field.default if isinstance(field.default, str) else ""
    return bool(words & _LONG_TEXT_WORDS) or "\n" in default or len(default) > 80


def slider_step(field: InputField) -> float | None:
    """A step that gives a slider about a hundred positions, rounded to a power of ten (0.01 for 0..1)."""
    if field.type == "integer":
        return 1
    if field.minimum is None or field.maximum is None or field.maximum <= field.minimum:
        return None
    return float(10 ** math.floor(math.log10((field.maximum - field.minimum) / 100)))


def _accept(field: InputField) -> str:
    """A file-dialog filter guessed from the field's name and description; empty (anything) when unsure."""
    words = set(re.split(r"[^a-z0-9]+", f"{field.name} {field.description}".lower()))
    name_words = set(field.name.lower().split("_"))
    for accept, hints in _ACCEPT_HINTS:
        if name_words & set(hints):
            return accept
    matches = [accept for accept, hints in _ACCEPT_HINTS if words & set(hints)]
    return matches[0] if len(matches) == 1 else ""


def build_form(schema: ModelSchema) -> list[FieldSpec]:
    """The form for a model's Input, in x-order."""
    return [field_spec(field, schema) for field in schema.fields]


def field_spec(field: InputField, schema: ModelSchema) -> FieldSpec:
    item_type = _item_type(field, schema) if field.type == "array" else ""
    kind = field_kind(field, item_type)
    return FieldSpec(
        name=field.name,
        label=_label(field),
        description=_hint(field),
        kind=kind,
        value_type=field.type,
        required=field.required,
        has_default=field.has_default and field.default is not None,
        default=None if kind == "secret" else field.default,
        minimum=field.minimum,
        maximum=field.maximum,
        step=slider_step(field) if kind in ("slider", "number") else None,
        options=list(field.enum or []),
        accept=_accept(field) if kind in ("file", "files") else "",
        item_type=item_type,
    )


def _label(field: InputField) -> str:
    """The schema's title, unless it is just the raw name (older Cog enums take the enum class's name)."""
    if field.title and field.title != field.name:
        return field.title
    return field.name.replace("_", " ").strip().capitalize() or field.name


def _hint(field: InputField) -> str:
    """The description, unless it only repeats the field's name (it adds nothing under the label)."""
    repeats = field.description.strip().lower() in (
        field.name.lower(),
        field.title.lower(),
        "an enumeration.",
    )
    return "" if repeats else field.description


def _item_type(field: InputField, schema: ModelSchema) -> str:
    """The JSON type of an array's items (InputField keeps only whether they are files)."""
    prop = ((schema.raw.get("components") or {}).get("schemas") or {}).get("Input", {})
    items = ((prop.get("properties") or {}).get(field.name) or {}).get("items") or {}
    return str(items.get("type") or "string")


def initial_values(form: list[FieldSpec]) -> dict[str, Any]:
    """What the form shows first: every default, except secrets and local files (URL defaults are kept)."""
    values: dict[str, Any] = {}
    for spec in form:
        if spec["kind"] == "secret" or not spec["has_default"]:
            continue
        values[spec["name"]] = spec["default"]
    return values


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Match a value from the browser to the field's type where the two disagree harmlessly.

    Old Cog schemas list integer choices as strings (gnobitab/fusedream: ``model_size`` is an integer
    with ``enum: ["512", "256"]``); a dropdown gives back the string, the model wants the integer.
    """
    if spec["value_type"] == "integer" and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if spec["value_type"] == "number" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if spec["value_type"] == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def problems_by_field(problems: list[str], names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Attach each of the schema's problem sentences to the field it names (``'name' ...``).

    Returns the per-field messages and the problems that name no field (shown above the form).
    """
    by_field: dict[str, str] = {}
    general: list[str] = []
    for problem in problems:
        match = re.match(r"'([^']+)'", problem)
        name = match.group(1) if match else None
        if name in names:
            # The sentence starts with the field's name, which the form already shows beside it.
            message = re.sub(r"^is ", "", problem[len(name) + 2 :].strip())
            message = message[:1].upper() + message[1:]
            by_field[name] = f"{by_field[name]} {message}" if name in by_field else message
        else:
            general.append(problem)
    return by_field, general
