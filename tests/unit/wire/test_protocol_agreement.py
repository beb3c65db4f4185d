"""js/wire/protocol.js and wire/protocol.py describe the same protocol: same kinds, states, error codes,
limits, version, and the same fields in every request and reply (JSDoc typedefs against the TypedDicts)."""

from __future__ import annotations

import re
import typing
from enum import Enum
from pathlib import Path

from replicate_widget.wire import protocol

JS = (Path(__file__).resolve().parents[3] / "js" / "wire" / "protocol.js").read_text()


def js_object(name: str) -> dict[str, object]:
    # `/** @type {const} */` keeps the values' literal types for tsc.
    match = re.search(rf"export const {name} = /\*\* @type \{{const\}} \*/ \(\{{(.*?)\}}\);", JS, re.S)
    assert match, f"protocol.js has no `export const {name} = {{...}}`"
    out: dict[str, object] = {}
    for key, raw in re.findall(r"(\w+):\s*([^,\n]+),", match.group(1)):
        value = raw.strip()
        if value.startswith('"'):
            out[key] = value.strip('"')
        else:  # numeric expressions such as 4 * 1024 * 1024 or 104_857_600
            assert re.fullmatch(r"[\d_ *]+", value), value
            out[key] = eval(value.replace("_", ""), {"__builtins__": {}})
    return out


def members(enum: type[Enum]) -> dict[str, object]:
    return {member.name: member.value for member in enum}


def js_typedef_keys(name: str) -> set[str]:
    """The keys of ``@typedef {{ ... }} name`` in protocol.js (one line or several)."""
    match = re.search(r"@typedef \{\{((?:(?!\}\}).)*)\}\}\s+" + name + r"\b", JS, re.S)
    assert match, f"protocol.js has no typedef {name}"
    body = re.sub(r"\n\s*\*", " ", match.group(1))
    return set(re.findall(r"(\w+)\??:", body))


def test_kinds_agree():
    assert js_object("KIND") == members(protocol.Kind)


def test_states_agree():
    assert js_object("STATE") == members(protocol.State)


def test_error_codes_agree():
    assert js_object("ERROR_CODE") == members(protocol.ErrorCode)


def test_limits_agree():
    assert js_object("LIMITS") == protocol.LIMITS


def test_versions_agree():
    match = re.search(r"export const PROTOCOL_VERSION = (\d+);", JS)
    assert match
    assert int(match.group(1)) == protocol.PROTOCOL_VERSION


def test_every_request_has_the_same_fields_on_both_sides():
    shapes = typing.get_args(protocol.Request)
    assert {typing.get_type_hints(s)["kind"].__args__[0] for s in shapes} == set(protocol.Kind) - {
        protocol.Kind.REPLY
    }
    for shape in shapes:
        python_keys = set(shape.__annotations__) | set(protocol._Envelope.__annotations__)
        # The JS channel adds rid and session to whatever the caller builds.
        assert js_typedef_keys(shape.__name__) | {"rid", "session"} == python_keys, shape.__name__
        kind = typing.get_type_hints(shape)["kind"].__args__[0]
        assert re.search(rf'kind: "{kind.value}"[^}}]*\}}\}} {shape.__name__}\b', JS), shape.__name__


def test_replies_have_the_same_fields_on_both_sides():
    assert js_typedef_keys("Reply") == set(protocol.Reply.__annotations__)
    assert js_typedef_keys("WireError") == set(protocol.ErrorBody.__annotations__)
