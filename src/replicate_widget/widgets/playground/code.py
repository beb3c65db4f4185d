"""The ``rw.run(...)`` call that repeats a Playground run, to paste into a cell."""

from __future__ import annotations

from typing import Any

from ...core.inputs.local_file import LocalFile
from .form import FieldSpec
from .outputs import is_file_output


def _entry(indent: str, key: str, value: Any) -> str:
    """One ``key: value,`` line; a file dropped in the browser becomes rw.LocalFile(its name) with a note."""
    if is_file_output(value):
        return f"{indent}{key}{str(value.url)!r},"
    if isinstance(value, LocalFile):  # received from the browser: its path is the kernel's spool
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
