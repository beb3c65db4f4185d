"""Values JSON cannot carry as they are: converted where there is one obvious JSON form, refused otherwise.

numpy scalars and arrays (found by duck typing, so numpy is no dependency) become Python numbers and lists;
a Decimal becomes a number where the schema says number or integer; a date, time or datetime becomes ISO 8601
where it says string. Anything else that is not str, int, float, bool, None, list or dict is an InputError
naming the field and the type, with the conversion to write.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from ..schema import InputField

_HINTS = {
    "Decimal": "give float(value), or str(value) for a text field",
    "UUID": "give str(value)",
    "datetime": "give value.isoformat()",
    "date": "give value.isoformat()",
    "time": "give value.isoformat()",
}


def plain(value: Any) -> Any:
    """A numpy (or torch, jax...) scalar or array as the Python number or nested list it holds."""
    if hasattr(value, "dtype") and callable(getattr(value, "tolist", None)):
        return value.tolist()
    return value


def convert(value: Any, field: InputField | None) -> Any:
    """``value`` in its obvious JSON form for this field, if it has one; else ``value`` unchanged."""
    if field is None:
        return value
    if isinstance(value, Decimal) and field.type in ("number", "integer") and value.is_finite():
        return int(value) if field.type == "integer" and value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)) and field.type == "string" and not field.is_file:
        return value.isoformat()
    return value


def refuse(value: Any, field: str | None) -> None:
    """An InputError for a value that is not JSON (str, int, float, bool, None, list, dict)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return
    kind = type(value).__name__
    hint = _HINTS.get(kind, "give a str, number, bool, list or dict")
    raise InputError(f"'{field}' is a {kind} ({value!r:.60}), which JSON cannot carry: {hint}.")
