"""`replicate-widget run owner/name -i image=@cat.png -i prompt="..." [-o DIR]`:
like cog predict, using the API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..core.errors import AuthenticationError, ReplicateWidgetError
from ..core.outputs.file_output import FileOutput
from ..core.predictions.events import RunEvent
from ..core.schema import ModelSchema
from ..explore.client import Client


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="owner/name, owner/name:version or a version id")
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input; NAME=@path sends a local file. Repeat for each input.",
    )
    parser.add_argument(
        "-o", "--output", default=".", metavar="DIR", help="folder for output files (default: .)"
    )
    parser.add_argument("--strategy", choices=["auto", "data-uri", "upload"], default="auto")


def parse_inputs(pairs: list[str], schema: ModelSchema) -> dict[str, Any]:
    """NAME=VALUE pairs, typed by the schema like cog predict does; @path is a file; JSON where it parses."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise ReplicateWidgetError(f"-i {pair!r}: expected NAME=VALUE.")
        value: Any = text
        spec = schema.field(name)
        if text.startswith("@"):
            value = Path(text[1:])
        elif spec is not None and spec.type in ("integer", "number", "boolean", "array", "object"):
            try:
                value = json.loads(text if spec.type != "boolean" else text.lower())
            except ValueError:
                value = text  # validation will say what is wrong with it
        if spec is not None and spec.type == "array" and name in values:
            values[name] = [*values[name], value] if isinstance(values[name], list) else [values[name], value]
        elif spec is not None and spec.is_file_array and not isinstance(value, list):
            values[name] = [value]
        else:
            values[name] = value
    return values


# What to do in a shell; the library's own advice (rw.login()) means nothing here. Advice, not a token.
SHELL_TOKEN_HELP = (
    "error: no API token is configured. Set one in this shell:\n"  # noqa: S105
    "    export REPLICATE_API_TOKEN=r8_...   # from https://replicate.com/account/api-tokens\n"
    "or run the local server in another terminal (replicate-widget serve) and paste the two export lines it "
    "prints."
)


def print_error(exc: ReplicateWidgetError) -> int:
    """Our error in one stderr line (no traceback), and the exit status 1. With no token configured
    (status 0: no request was made) the shell's way to set one; a 401 is the API refusing one."""
    no_token = isinstance(exc, AuthenticationError) and exc.status == 0
    print(SHELL_TOKEN_HELP if no_token else f"error: {exc}", file=sys.stderr)
    return 1


def _print_progress(event: RunEvent) -> None:
    if event.kind == "upload" and event.total:
        print(f"\ruploading {event.file}: {100 * event.sent // event.total}%", end="", file=sys.stderr)
        if event.sent >= event.total:
            print(file=sys.stderr)
    elif event.kind == "status":
        print(f"status: {event.status}", file=sys.stderr)
    elif event.kind == "logs":
        print(event.logs, end="" if event.logs.endswith("\n") else "\n", file=sys.stderr)


def _emit(value: Any, folder: Path, key: str = "output", written: set[Path] | None = None) -> Any:
    """Saves every file in ``value`` under its own name; two files of one run with the same name (outputs
    named after their input, or plainly) get -1, -2... rather than one overwriting the other."""
    written = set() if written is None else written
    if isinstance(value, FileOutput):
        path = value.save(_unused(folder / value.filename, written))
        written.add(path)
        print(f"{key}: saved {path}")
        return str(path)
    if isinstance(value, list):
        return [_emit(v, folder, f"{key}[{i}]", written) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _emit(v, folder, f"{key}.{k}", written) for k, v in value.items()}
    return value


def _unused(path: Path, written: set[Path]) -> Path:
    candidate, n = path, 0
    while candidate in written:
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def main(args: argparse.Namespace) -> int:
    client = Client()
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():  # found out before the run, not after paying for it
        print(f"error: the output folder {folder} is a file; give a folder with -o.", file=sys.stderr)
        return 1
    try:
        schema = client.schema(args.model)
        inputs = parse_inputs(args.input, schema)
        output = client.run(args.model, inputs, strategy=args.strategy, progress=_print_progress)
        folder.mkdir(parents=True, exist_ok=True)
        shown = _emit(output, folder)
    except ReplicateWidgetError as exc:
        return print_error(exc)
    except BrokenPipeError:
        raise  # stdout's reader left (`| head`): the command line's main ends quietly
    except OSError as exc:  # the output folder, or a file in it, could not be written
        print(f"error: couldn't save the output in {folder}: {exc.strerror or exc}.", file=sys.stderr)
        return 1
    if not isinstance(output, FileOutput):
        print(shown if isinstance(shown, str) else json.dumps(shown, indent=2, default=str))
    return 0
