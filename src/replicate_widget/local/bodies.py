"""Reading request bodies within limits, and JSON as JSON is defined (no NaN, no Infinity).

Python's json module accepts `NaN`, `Infinity` and `1e400` (which becomes inf); Starlette's JSONResponse then
refuses to write them back. A non-finite number that got into a prediction or a file's metadata made every
later answer holding it a 500, so such numbers are refused here, before anything is stored, with the path
of each one.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.types import Receive

from .problems import Problem

MIB = 1024 * 1024
# Replicate's inline data-URI budget is 5,000,000 raw bytes in one request (about 6.7 MB as base64), so a
# real client's largest body fits with room to spare; anything bigger belongs in the Files API.
MAX_JSON_BYTES = 8 * MIB
# A refused body is still read (and thrown away) up to this much, so the client reads our answer instead
# of a broken pipe; past it the connection is closed.
MAX_DRAIN = 256 * MIB


class ClientDisconnected(Exception):
    """The client went away before its body was complete; nothing is kept."""


def too_large(detail: str) -> Problem:
    return Problem(413, "Payload too large", detail)


async def drain(receive: Receive, limit: int = MAX_DRAIN) -> None:
    """Read and discard the rest of a body (up to `limit` bytes): a client still sending gets our answer."""
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        seen += len(message.get("body", b""))


async def read_body(request: Request, limit: int = MAX_JSON_BYTES) -> bytearray:
    """The whole body, refused with 413 as soon as it passes `limit` (never held beyond it)."""
    refusal = too_large(
        f"The request body is larger than {limit // MIB} MiB ({limit:,} bytes): the input's values together "
        "are too large. Shorten long text (or give it as a file, where the model takes one); send files of "
        "1 MB or more through the Files API (POST /v1/files) and pass their URL instead of a data: URI."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await drain(request.receive)
        raise refusal
    body = bytearray()
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        body += message.get("body", b"")
        if len(body) > limit:
            del body[:]
            if message.get("more_body", False):
                await drain(request.receive)
            raise refusal
        if not message.get("more_body", False):
            return body


class _NonFinite:
    """Stands in for NaN, Infinity or an overflowing number while parsing, so its place can be reported."""

    def __init__(self, text: str) -> None:
        self.text = text


def _float_or_marker(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _non_finite_paths(value: Any, prefix: str) -> list[str]:
    """Where the markers are, as dotted paths (`input.extra.1.deep`); iterative: nesting can be deep."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, _NonFinite):
            found.append(path or "body")
        elif isinstance(item, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in reversed(list(enumerate(item))))
    return found


def parse_json(raw: bytes | bytearray | str, *, prefix: str = "", what: str = "request body") -> Any:
    """Parse strictly: malformed -> 400; NaN, Infinity or an overflowing number -> 422 naming each place."""
    try:
        value = json.loads(raw, parse_constant=_NonFinite, parse_float=_float_or_marker)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
        reason = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise Problem(400, "Invalid JSON", f"Failed to parse the {what} as JSON: {reason}") from exc
    paths = _non_finite_paths(value, prefix)
    if paths:
        fields = [
            {
                "type": "number_finite",
                "field": path,
                "description": f"{path.removeprefix('input.')} must be a finite number "
                "(JSON has no NaN or Infinity)",
            }
            for path in paths
        ]
        detail = "".join(f"- {f['field']}: {f['description']}\n" for f in fields)
        raise Problem(422, "Input validation failed", detail, invalid_fields=fields)
    return value
