"""`replicate-widget serve | demo | env | run | batch`: the command line. Each command is a module with
`configure(parser)` and `main(args) -> int`, imported as any module is (so import-linter sees them)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from ..local import _cli as serve
from . import batch, demo, env, run

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[ModuleType, str]] = {
    "serve": (
        serve,
        "start a local server that behaves like Replicate, with demo models (or your own Cog predictors)",
    ),
    "demo": (
        demo,
        "open the demo notebooks in JupyterLab, their models on the local server (no account needed)",
    ),
    "env": (
        env,
        "print the REPLICATE_BASE_URL and REPLICATE_API_TOKEN lines of the running local server",
    ),
    "run": (
        run,
        "run a model once and save its output files, like `cog predict`: -i name=value -i image=@file",
    ),
    "batch": (
        batch,
        "run a model over a folder, glob or .jsonl of inputs; outputs saved in --out; resumable",
    ),
}

DESCRIPTION = "Run Replicate models on files from Jupyter notebooks or from this shell."
EXAMPLES = """examples:
  replicate-widget demo                  the demo notebooks, on the local server's demo models
  replicate-widget demo --on-replicate   the notebook about Replicate's hosted models (needs your token)
  replicate-widget run demo/grayscale -i image=@photo.jpg -o out/
  replicate-widget batch demo/grayscale --inputs photos/ --out gray/
  replicate-widget serve                 prints the two export lines that point a client at it
  eval "$(replicate-widget env)"         sets those two lines for a running `serve` or `demo`

Run `replicate-widget COMMAND --help` for a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="replicate-widget",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        module.configure(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    try:
        code = int(COMMANDS[args.command][0].main(args))
        sys.stdout.flush()  # a reader gone (`| head`) shows here, not in the interpreter's flush at exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141  # as a tool that SIGPIPE ended (128 + 13): the reader left; there is nothing to say


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit finds no broken pipe to complain about."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (captured in tests): nothing to do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
