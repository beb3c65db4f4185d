"""A model's OpenAPI Input and Output, read once: fields in order, files, checks, output conversion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")
# Cog declares files as `format: uri`; a few hand-written schemas say `path` (mgysel/stable-audio-open).
_FILE_FORMATS = ("uri", "path")


@dataclass(frozen=True)
class InputField:
    name: str
    title: str
    description: str
    type: str
    is_file: bool
    is_file_array: bool
    required: bool
    default: Any
    has_default: bool
    enum: list[Any] | None
    minimum: float | None
    maximum: float | None
    nullable: bool
    secret: bool
    format: str | None
    order: int


class ModelSchema:
    """Reads ``openapi_schema`` (the whole document, or None when the model publishes none)."""

    def __init__(self, openapi_schema: dict[str, Any] | None) -> None:
        # Set when the model publishes a schema we cannot read: then it is treated as missing (any keyword
        # goes, the server checks), and cards and docstrings say why.
        self.unreadable = ""
        self.raw: dict[str, Any] = {}
        self._components: dict[str, Any] = {}
        self.available = False
        self.fields: list[InputField] = []
        self.output: dict[str, Any] | None = None
        self._output_kind = "unknown"
        try:
            self._read(openapi_schema)
        except _UNREADABLE as exc:
            self.available, self.fields, self.output, self._output_kind = False, [], None, "unknown"
            self.unreadable = f"the model's schema could not be read ({exc})"
        self._by_name = {f.name: f for f in self.fields}

    def _read(self, openapi_schema: Any) -> None:
        self.raw = _mapping(_given(openapi_schema), "the document")
        self._components = _mapping(
            _given(_mapping(_given(self.raw.get("components")), "components").get("schemas")), "schemas"
        )
        self.available = "Input" in self._components
        self.fields = self._read_fields()
        if "Output" in self._components:
            self.output = _mapping(self._resolve(self._components["Output"]), "Output")
        self._output_kind = self._kind_of_output()

    # ---- reading -------------------------------------------------------------------------------------------
    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow `$ref` and one-item `allOf` (older Cog's enums), keeping the outer keys (default, order)."""
        node = _mapping(node, "a property")
        seen = 0
        while seen < 20:
            seen += 1
            if "$ref" in node:
                target = _mapping(self._components.get(str(node["$ref"]).rsplit("/", 1)[-1], {}), "$ref")
                node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
                inner = self._resolve(node["allOf"][0])
                node = {**inner, **{k: v for k, v in node.items() if k != "allOf"}}
            else:
                return node
        return node

    def _read_fields(self) -> list[InputField]:
        schema = _mapping(_given(self._components.get("Input")), "Input")
        required = schema.get("required") or []
        if not isinstance(required, list):
            raise ValueError(f"'required' is {type(required).__name__}, not a list")
        fields = []
        for index, (name, raw) in enumerate(_mapping(_given(schema.get("properties")), "properties").items()):
            prop = self._resolve(raw)
            kind = str(prop["type"]) if prop.get("type") in _JSON_TYPES else "string"
            items = self._resolve(_given(prop.get("items"))) if kind == "array" else {}
            fields.append(
                InputField(
                    name=name,
                    title=_text(prop.get("title"), name, "title") or name.replace("_", " ").capitalize(),
                    description=_text(prop.get("description"), name, "description"),
                    type=kind,
                    is_file=kind == "string" and prop.get("format") in _FILE_FORMATS,
                    is_file_array=kind == "array" and items.get("format") in _FILE_FORMATS,
                    required=name in required,
                    default=prop.get("default"),
                    has_default="default" in prop,
                    enum=list(prop["enum"]) if isinstance(prop.get("enum"), list) else None,
                    minimum=_number(prop.get("minimum"), name, "minimum"),
                    maximum=_number(prop.get("maximum"), name, "maximum"),
                    nullable=bool(prop.get("nullable")),
                    secret=bool(prop.get("x-cog-secret")) or prop.get("format") == "password",
                    format=prop.get("format") if isinstance(prop.get("format"), str) else None,
                    order=_order(prop.get("x-order", 1000 + index), name),
                )
            )
        return sorted(fields, key=lambda f: f.order)

    def field(self, name: str) -> InputField | None:
        return self._by_name.get(name)

    @property
    def file_fields(self) -> list[InputField]:
        return [f for f in self.fields if f.is_file or f.is_file_array]

    @property
    def is_streaming(self) -> bool:
        return self.output_kind == "text-stream"

    @property
    def output_kind(self) -> str:
        """One of: file, files, text-stream, iterator, list, object, scalar, unknown."""
        return self._output_kind

    def _kind_of_output(self) -> str:
        out = self.output
        if out is None:
            return "unknown"
        if out.get("type") == "string" and out.get("format") in _FILE_FORMATS:
            return "file"
        if out.get("type") == "array":
            items = self._resolve(out.get("items") or {})
            if out.get("x-cog-array-display") == "concatenate":
                return "text-stream"
            if items.get("format") in _FILE_FORMATS:
                return "files"
            return "iterator" if out.get("x-cog-array-type") == "iterator" else "list"
        if out.get("type") == "object" or "properties" in out:
            return "object"
        return "scalar"

    # ---- checking ------------------------------------------------------------------------------------------
    def validate(self, values: dict[str, Any]) -> list[str]:
        """Every problem with ``values``, one sentence each; empty when the input is fine.

        File values (local files, URLs) count as strings: the caller has already turned them into references.
        """
        if not self.available:
            return []
        problems = []
        for name in values:
            if name not in self._by_name:
                known = ", ".join(f.name for f in self.fields)
                problems.append(f"'{name}' is not an input of this model (its inputs: {known}).")
        for f in self.fields:
            if f.name not in values:
                if f.required and not f.has_default:
                    problems.append(f"'{f.name}' is required.")
                continue
            problems.extend(_check_value(f, values[f.name]))
        return problems

    # ---- outputs -------------------------------------------------------------------------------------------
    def convert_output(self, value: Any, make_file: Callable[[str], Any]) -> Any:
        """Turn a raw output into Python objects by the Output schema; by the fallback rule without one."""
        if self.output is None:
            return convert_without_schema(value, make_file)
        return self._convert(self.output, value, make_file)

    def _convert(self, node: dict[str, Any], value: Any, make_file: Callable[[str], Any]) -> Any:
        node = self._resolve(node)
        if value is None:
            return None
        if node.get("type") == "string" and node.get("format") in _FILE_FORMATS and isinstance(value, str):
            return make_file(value)
        if node.get("type") == "array" and isinstance(value, list):
            if node.get("x-cog-array-display") == "concatenate":
                return "".join(str(v) for v in value)
            items = node.get("items") or {}
            return [self._convert(items, v, make_file) for v in value]
        if isinstance(value, dict):
            props = node.get("properties") or {}
            extra = node.get("additionalProperties")
            out = {}
            for key, v in value.items():
                sub = props.get(key) or (extra if isinstance(extra, dict) else None)
                out[key] = self._convert(sub, v, make_file) if sub else v
            return out
        return value


# What a malformed schema raises while it is read: the schema is then treated as missing.
_UNREADABLE = (AttributeError, TypeError, ValueError, KeyError, OverflowError, RecursionError)


def _given(node: Any) -> Any:
    """``node``, or an empty object where the schema has none (null, absent); [] or "" stay, to be refused."""
    return {} if node is None else node


def _mapping(node: Any, what: str) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise ValueError(f"{what} is {type(node).__name__}, not an object")
    return node


def _text(value: Any, name: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"the {key} of '{name}' is {type(value).__name__}, not a string")
    return value


def _number(value: Any, name: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the {key} of '{name}' is {value!r}, not a number")
    return value


def _order(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the x-order of '{name}' is {value!r}, not a number")
    return int(value)


def convert_without_schema(value: Any, make_file: Callable[[str], Any]) -> Any:
    """The official client's rule: any string starting with https: or data: is a file, at any depth."""
    if isinstance(value, str) and value.startswith(("https:", "data:")):
        return make_file(value)
    if isinstance(value, list):
        return [convert_without_schema(v, make_file) for v in value]
    if isinstance(value, dict):
        return {k: convert_without_schema(v, make_file) for k, v in value.items()}
    return value


def _check_value(f: InputField, value: Any) -> list[str]:
    if value is None:
        return [] if f.nullable or not f.required else [f"'{f.name}' may not be None."]
    expected = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "array": (list, tuple),
        "object": (dict,),
    }[f.type]
    # bool is an int in Python, never a number for a model.
    wrong_type = not isinstance(value, expected) or (
        f.type in ("integer", "number") and isinstance(value, bool)
    )
    whole_float = f.type == "integer" and isinstance(value, float) and value.is_integer()
    if wrong_type and not whole_float:
        return [f"'{f.name}' must be {_article(f.type)}, got {type(value).__name__} {_short(value)}."]
    problems = []
    if f.enum is not None and value not in f.enum and str(value) not in {str(e) for e in f.enum}:
        choices = ", ".join(repr(e) for e in f.enum)
        problems.append(f"'{f.name}' must be one of {choices}; got {_short(value)}.")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if f.minimum is not None and value < f.minimum:
            problems.append(f"'{f.name}' must be at least {f.minimum}; got {value}.")
        if f.maximum is not None and value > f.maximum:
            problems.append(f"'{f.name}' must be at most {f.maximum}; got {value}.")
    return problems


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "a list", "object": "a dict"}.get(kind, f"a {kind}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
