"""The public API is a contract (DESIGN.md: add, don't rename): `rw.__all__` and the signature of every public
function, class and Client method are pinned in public_api.json. A change here is deliberate:

    python tests/unit/test_public_api.py     # rewrite public_api.json from the package, then review the diff
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import replicate_widget as rw

PINNED = Path(__file__).with_name("public_api.json")


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(no signature)"


def describe() -> dict[str, Any]:
    """Every public name: a function's signature; a class's constructor and public methods' signatures."""
    api: dict[str, Any] = {}
    for name in sorted(rw.__all__):
        obj = getattr(rw, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                api[name] = {"bases": [b.__name__ for b in obj.__mro__[1:] if b is not object]}
                continue
            methods = {
                m: _signature(getattr(obj, m))
                for m, value in sorted(vars(obj).items())
                if not m.startswith("_") and callable(value)
            }
            if name == "Client":  # core's run methods live on its base
                methods.update(
                    {
                        m: _signature(getattr(obj, m))
                        for m in dir(obj)
                        if not m.startswith("_") and m not in methods
                    }
                )
                methods = {m: s for m, s in sorted(methods.items()) if s != "(no signature)"}
            api[name] = {"init": _signature(obj), "methods": methods}
        else:
            api[name] = _signature(obj)
    return api


def test_the_public_api_is_what_was_pinned():
    pinned = json.loads(PINNED.read_text())
    now = describe()
    assert sorted(now) == sorted(pinned), "rw.__all__ changed: run `python tests/unit/test_public_api.py`"
    changed = {name for name in now if now[name] != pinned[name]}
    assert not changed, f"signatures changed: {sorted(changed)}; run `python tests/unit/test_public_api.py`"


def test_every_public_name_says_what_it_is():
    missing = [name for name in rw.__all__ if not inspect.getdoc(getattr(rw, name))]
    assert not missing, f"public names without a docstring: {missing}"


if __name__ == "__main__":
    PINNED.write_text(json.dumps(describe(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PINNED} ({len(rw.__all__)} names)", file=sys.stderr)
