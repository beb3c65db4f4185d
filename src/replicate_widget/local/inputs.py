"""Resolving file inputs as Replicate does: data URIs, this server's Files API URLs, other http(s) URLs.

Each file value is recorded (how it came in, its sha256 and size when known) for the request log, and our own
`/v1/files/{id}` URLs are swapped for download URLs that Cog can fetch without a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from .files import FileStore
from .validation import is_file_array_property, is_file_property, resolve_property

_FILES_PATH = re.compile(r"^/v1/files/([A-Za-z0-9_-]+)/?$")


class InputProblem(Exception):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(p["description"] for p in problems))
        self.problems = problems


_DECODE_STEP = 1 << 20  # base64 characters decoded at a time (a multiple of 4, so pieces decode alone)


def describe_data_uri(uri: str) -> tuple[str, str, int]:
    """(content_type, sha256, size) of a data: URI's bytes; ValueError when it is broken.

    Decoded piece by piece (only the request log needs these figures): a 6.7 MB URI, the client's largest,
    is neither copied nor decoded whole.
    """
    comma = uri.find(",")
    if comma < 0:
        raise ValueError("a data: URI needs a comma before its payload")
    params = uri[5:comma].split(";")
    content_type = params[0] or "text/plain"
    hasher = hashlib.sha256()
    size = 0
    if "base64" not in params[1:]:
        data = unquote_to_bytes(uri[comma + 1 :])
        return content_type, hashlib.sha256(data).hexdigest(), len(data)
    for start in range(comma + 1, len(uri), _DECODE_STEP):
        try:
            piece = base64.b64decode(uri[start : start + _DECODE_STEP], validate=True)
        except binascii.Error as exc:
            raise ValueError(f"the base64 payload is broken ({exc})") from exc
        hasher.update(piece)
        size += len(piece)
    return content_type, hasher.hexdigest(), size


def data_uri_name(uri: str) -> str | None:
    """The file name a base64 data URI carries in a `name=` parameter (percent-encoded), if any."""
    params = uri[5 : uri.find(",")].split(";")
    if "base64" not in params[1:]:
        return None
    for param in params[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "name" and value:
            return unquote(value) or None
    return None


class InputResolver:
    def __init__(self, files: FileStore, base_url: str) -> None:
        self.files = files
        self.base_url = base_url
        self._netloc = urlsplit(base_url).netloc

    def _file_fields(self, value: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, str]:
        """field -> "one" | "many", for the fields that take files."""
        if schema is None:
            # No schema: treat strings that look like files as files, as Cog's `Path` would.
            found: dict[str, str] = {}
            for name, item in value.items():
                if isinstance(item, str) and item.startswith(("data:", "http://", "https://")):
                    found[name] = "one"
                elif (
                    isinstance(item, list)
                    and item
                    and all(
                        isinstance(i, str) and i.startswith(("data:", "http://", "https://")) for i in item
                    )
                ):
                    found[name] = "many"
            return found
        properties = schema["components"]["schemas"]["Input"].get("properties", {})
        kinds = {}
        for name, raw in properties.items():
            prop = resolve_property(raw, schema)
            if is_file_property(prop):
                kinds[name] = "one"
            elif is_file_array_property(prop):
                kinds[name] = "many"
        return kinds

    def resolve(
        self, value: dict[str, Any], schema: dict[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(input for Cog, log record per file field). Raises InputProblem listing every bad file."""
        cog_input = dict(value)
        record: dict[str, Any] = {}
        problems: list[dict[str, str]] = []
        for name, kind in self._file_fields(value, schema).items():
            if name not in value:
                continue
            if kind == "one":
                cog_input[name], record[name] = self._one(value[name], f"input.{name}", problems)
            else:
                pairs = [self._one(v, f"input.{name}.{i}", problems) for i, v in enumerate(value[name])]
                cog_input[name] = [p[0] for p in pairs]
                record[name] = [p[1] for p in pairs]
        if problems:
            raise InputProblem(problems)
        return cog_input, record

    def _one(self, item: str, field: str, problems: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        if item.startswith("data:"):
            try:
                content_type, digest, size = describe_data_uri(item)
            except ValueError as exc:
                problems.append({"type": "format", "field": field, "description": f"broken data: URI: {exc}"})
                return item, {"kind": "data-uri"}
            name = data_uri_name(item)
            record = {"kind": "data-uri", "sha256": digest, "size": size, "content_type": content_type}
            if name is None:
                return item, {**record, "filename": None}
            data = base64.b64decode(item[item.index(",") + 1 :])  # describe_data_uri checked it
            download = self.files.add_named_input(data, name, content_type, digest)
            return f"{self.base_url}{download}", {**record, "filename": name}
        parts = urlsplit(item)
        match = _FILES_PATH.match(parts.path)
        if match and parts.netloc == self._netloc:
            stored = self.files.get(match.group(1))
            if stored is None:
                problems.append(
                    {"type": "file_not_found", "field": field,
                     "description": f"{item} is not an uploaded file (deleted, or never uploaded here)"}
                )  # fmt: skip
                return item, {"kind": "file"}
            download = f"{self.base_url}{self.files.download_path(stored)}"
            return download, {
                "kind": "file",
                "file_id": stored.id,
                "sha256": stored.sha256,
                "size": stored.size,
                "content_type": stored.content_type,
                "filename": stored.name,
            }
        return item, {
            "kind": "url",
            "url": item,
            "sha256": None,
            "size": None,
            "content_type": None,
            "filename": None,
        }
