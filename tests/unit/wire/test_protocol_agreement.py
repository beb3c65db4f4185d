"""js/protocol.js and _protocol.py describe the same protocol: same kinds, states, error codes and limits."""

from __future__ import annotations

import re
from pathlib import Path

from replicate_widget.wire import protocol as _protocol

JS = (Path(__file__).resolve().parents[3] / "js" / "protocol.js").read_text()


def js_object(name: str) -> dict[str, object]:
    match = re.search(rf"export const {name} = \{{(.*?)\}};", JS, re.S)
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


def test_kinds_agree():
    assert js_object("KIND") == _protocol.KIND


def test_states_agree():
    assert js_object("STATE") == _protocol.STATE


def test_error_codes_agree():
    assert js_object("ERROR_CODE") == _protocol.ERROR_CODE


def test_limits_agree():
    assert js_object("LIMITS") == _protocol.LIMITS


def test_versions_agree():
    match = re.search(r"export const PROTOCOL_VERSION = (\d+);", JS)
    assert match
    assert int(match.group(1)) == _protocol.PROTOCOL_VERSION
