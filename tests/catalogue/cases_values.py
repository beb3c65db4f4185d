"""Cases of issue 22 about values JSON cannot carry as they are (Decimal, datetime, UUID, numpy scalars and
arrays), entering through a Python call against the local server."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from . import Case
from .support import png

FAST = {"seconds": 0, "steps": 1}


class NumpyLike:
    """Stands in for a numpy scalar or array (numpy is not a dependency, nor installed for the tests): the
    library may rely on numpy's interface only, ``dtype`` and ``tolist()``, which torch and jax share."""

    def __init__(self, value: Any, dtype: str) -> None:
        self.value, self.dtype = value, dtype

    def tolist(self) -> Any:
        return self.value

    def item(self) -> Any:
        return self.value


def _echo(ctx: Any, **values: Any) -> Any:
    return ctx.client.run("demo/slow-echo", {"text": "hi", **FAST, **values})


def _sent(ctx: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = ctx.prediction(ctx.created())["input"]  # as the server received them
    return inputs


def _numpy_scalars(ctx: Any) -> None:
    assert _echo(ctx, seconds=NumpyLike(0.0, "float64"), steps=NumpyLike(2, "int64")) == "hi"
    assert (_sent(ctx)["seconds"], _sent(ctx)["steps"]) == (0.0, 2)


def _numpy_array(ctx: Any) -> None:
    # a list field: demo/contact-sheet's images, as an array of strings (dtype '<U...')
    image = "data:image/png;base64," + base64.b64encode(png()).decode()
    ctx.client.run(
        "demo/contact-sheet", {"images": NumpyLike([image], "<U200"), "thumb_size": NumpyLike(32, "int64")}
    )
    assert _sent(ctx)["images"] == [image]
    assert _sent(ctx)["thumb_size"] == 32


def _decimal_number(ctx: Any) -> None:
    assert _echo(ctx, seconds=Decimal("0.0"), steps=Decimal("3")) == "hi"
    assert (_sent(ctx)["seconds"], _sent(ctx)["steps"]) == (0.0, 3)


def _datetime_text(ctx: Any) -> None:
    when = dt.datetime(2026, 12, 4, 17, 30, tzinfo=dt.timezone.utc)
    assert _echo(ctx, text=when) == "2026-12-04T17:30:00+00:00"


def _sheet(ctx: Any, images: Any) -> Any:
    return ctx.client.run("demo/contact-sheet", {"images": images})


def _bare_version(ctx: Any, **values: Any) -> Any:
    version = ctx.api().get("/v1/models/demo/slow-echo").json()["latest_version"]["id"]
    return ctx.client.run(version, {"text": "hi", **values})  # no schema known: nothing to convert by


P = "Python call"
# fmt: off
CASES = [
    Case("py-numpy-scalars", P, "numpy scalars (float64, int64) for number and integer fields", "ok",
         "sent as JSON numbers (through .tolist(), no numpy import)", _numpy_scalars),
    Case("py-numpy-array", P, "a numpy array for a list field", "ok", "sent as a JSON list", _numpy_array),
    Case("py-decimal-number", P, "Decimal('0.0') and Decimal('3') for number and integer fields", "ok",
         "sent as the numbers 0.0 and 3", _decimal_number),
    Case("py-datetime-string", P, "a datetime for a string field", "ok",
         "sent as ISO 8601 ('2026-12-04T17:30:00+00:00')", _datetime_text),
    Case("py-uuid-string", P, "a UUID for a string field", "InputError", "'text' must be a string, got UUID",
         lambda c: _echo(c, text=uuid.UUID(int=1))),
    Case("py-decimal-no-schema", P, "a Decimal to a bare version id (no schema)", "InputError",
         "'seconds' is a Decimal (Decimal('1')), which JSON cannot carry: give float(value)",
         lambda c: _bare_version(c, seconds=Decimal(1))),
    Case("py-datetime-in-list", P, "a datetime inside a list field", "InputError",
         "'images' is a datetime", lambda c: _sheet(c, [dt.datetime(2026, 1, 1)])),
    Case("py-uuid-no-schema", P, "a UUID to a bare version id (no schema)", "InputError",
         "'text' is a UUID (UUID('00000000-0000-0000-0000-000000000001')), which JSON cannot carry: give str",
         lambda c: _bare_version(c, text=uuid.UUID(int=1))),
]
# fmt: on
