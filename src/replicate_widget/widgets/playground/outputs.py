"""What the Playground shows of a run's output: one item per file (image, audio, video or other), text, JSON.

Items are plain JSON for a synced trait. Files are shown by their URL, which the browser fetches itself; a
file that only exists as a ``data:`` URI is named but not embedded, since data URIs never go into a trait.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from ...core.outputs.file_output import FileOutput

_MAX_TEXT = 200_000  # characters of text or JSON kept in the trait; the full value stays in pg.output
_MEDIA = ("image", "audio", "video")


def is_file_output(value: Any) -> bool:
    return isinstance(value, FileOutput)


def _media_kind(url: str, content_type: str) -> str:
    kind = (content_type or "").split("/", 1)[0]
    if kind not in _MEDIA:
        guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
        kind = (guessed or "").split("/", 1)[0]
    return kind if kind in _MEDIA else "file"


def _file_item(value: Any, label: str) -> dict[str, Any]:
    url = str(getattr(value, "url", "") or "")
    name = str(getattr(value, "filename", "") or url.rsplit("/", 1)[-1].split("?", 1)[0] or "output")
    content_type = str(getattr(value, "content_type", "") or "")
    if url.startswith("data:"):
        content_type = content_type or url[5:].split(";", 1)[0]
        return {"kind": "file", "label": label, "name": name, "url": "",
                "text": f"{name} ({content_type or 'inline data'}): see pg.output"}  # fmt: skip
    return {"kind": _media_kind(url, content_type), "label": label, "name": name, "url": url}


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "\n… (cut here: all of it is in pg.output)"


def to_jsonable(value: Any) -> Any:
    """The output with files as their URLs (data URIs shortened), for the JSON view and history."""
    if is_file_output(value):
        url = str(value.url)
        return url if not url.startswith("data:") else url[:40] + "…"
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _files_in(value: Any, label: str) -> list[dict[str, Any]]:
    """Every file in a (nested) output, labelled by where it sits (``audio_out``, ``[2]``)."""
    if is_file_output(value):
        return [_file_item(value, label)]
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _files_in(v, f"{label}.{k}" if label else str(k))]
    if isinstance(value, (list, tuple)):
        return [item for i, v in enumerate(value) for item in _files_in(v, f"{label}[{i}]")]
    return []


def _has_data(value: Any) -> bool:
    """Whether anything besides files is in the value (then a JSON view is worth showing too)."""
    if is_file_output(value):
        return False
    if isinstance(value, dict):
        return any(_has_data(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_data(v) for v in value)
    return value is not None


def describe(output: Any) -> list[dict[str, Any]]:
    """The items to show for one output, files first."""
    if output is None:
        return []
    if isinstance(output, str):
        return [{"kind": "text", "label": "", "text": _clip(output)}]
    if isinstance(output, (int, float, bool)):
        return [{"kind": "text", "label": "", "text": json.dumps(output)}]
    items = _files_in(output, "")
    if _has_data(output):
        text = json.dumps(to_jsonable(output), indent=2, ensure_ascii=False)
        items.append({"kind": "json", "label": "JSON", "text": _clip(text)})
    return items


def summary(output: Any) -> str:
    """A few words about an output for the list of runs."""
    files = _files_in(output, "")
    if files:
        names = ", ".join(item["name"] for item in files[:3])
        return names + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    if isinstance(output, str):
        flat = " ".join(output.split())
        return flat if len(flat) <= 60 else flat[:57] + "…"
    text = json.dumps(to_jsonable(output), ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"
