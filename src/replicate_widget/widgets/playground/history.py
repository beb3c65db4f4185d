"""A Playground run's record, its log tail, and the equivalent ``rw.run(...)`` call to paste into a cell."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from .form import FieldSpec
from .outputs import is_file_output, summary

SECRET_MASK = "********"  # noqa: S105  (what pg.input shows in place of a secret)
_LOG_LINES = 30
_LOG_CHARS = 4000


@dataclass
class PlaygroundRun:
    """One run from the Playground: what went in (secrets masked), what came out, how it ended."""

    n: int
    model: str
    input: dict[str, Any]
    status: str = "starting"
    prediction_id: str = ""
    output: Any = None
    error: str = ""
    seconds: float | None = None
    logs: str = field(default="", repr=False)

    def public(self) -> dict[str, Any]:
        """The row shown in the widget's list of runs."""
        if self.status == "succeeded":
            text = summary(self.output)
        else:
            text = self.error.splitlines()[0] if self.error else ""
        return {"n": self.n, "id": self.prediction_id, "status": self.status, "seconds": self.seconds,
                "summary": text}  # fmt: skip


def log_tail(logs: str) -> str:
    """The last lines of a log, as the widget shows them (tqdm redraws reduced to their last state)."""
    lines = [line.rsplit("\r", 1)[-1] for line in logs.splitlines()]
    tail = "\n".join(lines[-_LOG_LINES:])
    return tail[-_LOG_CHARS:]


def _entry(indent: str, key: str, value: Any) -> str:
    """One ``key: value,`` line; a file dropped in the browser becomes rw.LocalFile(its name) with a note."""
    if is_file_output(value):
        return f"{indent}{key}{str(value.url)!r},"
    if hasattr(value, "path") and hasattr(value, "sha256"):  # a LocalFile received from the browser
        return f"{indent}{key}rw.LocalFile({str(value.name)!r}),  # the file you dropped: give its path"
    return f"{indent}{key}{value!r},"


def code_for(model: str, form: list[FieldSpec], values: dict[str, Any]) -> str:
    """Python that runs the same prediction: only the values that differ from the model's defaults."""
    lines = ["import replicate_widget as rw"]
    secrets = [spec["name"] for spec in form if spec["kind"] == "secret" and spec["name"] in values]
    if secrets:
        lines.insert(0, "import getpass")
    lines += ["", "output = rw.run(", f"    {model!r},", "    input={"]
    by_name = {spec["name"]: spec for spec in form}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is None:
            continue
        if spec["kind"] == "secret":
            lines.append(f"        {name!r}: getpass.getpass({(spec['label'] + ': ')!r}),")
            continue
        if spec["has_default"] and value == spec["default"] and not spec["required"]:
            continue
        if isinstance(value, list) and spec["kind"] == "files":
            lines.append(f"        {name!r}: [")
            lines += [_entry(" " * 12, "", item) for item in value]
            lines.append("        ],")
        else:
            lines.append(_entry(" " * 8, f"{name!r}: ", value))
    lines += ["    },", ")", "output"]
    return "\n".join(lines) + "\n"


def static_listing(model: str, form: list[FieldSpec]) -> tuple[str, str]:
    """Text and HTML describing the form, for viewers that can't run the widget (GitHub, nbviewer)."""
    names = [f"{spec['name']}{'*' if spec['required'] else ''}" for spec in form]
    text = f"Playground for {model}: {len(form)} inputs ({', '.join(names)}); * = required"
    rows = "".join(
        f"<tr><td><code>{html.escape(spec['name'])}</code>{' *' if spec['required'] else ''}</td>"
        f"<td>{html.escape(spec['kind'])}</td><td>{html.escape(spec['description'])}</td></tr>"
        for spec in form
    )
    table = (
        f"<div><strong>Playground</strong> for <code>{html.escape(model)}</code>"
        f"<table><tr><th>input</th><th>kind</th><th>description</th></tr>{rows}</table></div>"
    )
    return text, table
