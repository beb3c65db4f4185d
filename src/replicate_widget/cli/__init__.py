"""`replicate-widget serve | demo | run`: one entry point; each command lives in its own module."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# command -> (module, one-line help). Each module has `configure(parser)` and `main(args) -> int`.
COMMANDS = {
    "serve": (
        "replicate_widget.local._cli",
        "start the local Replicate-compatible server and its demo models",
    ),
    "demo": ("replicate_widget.cli.demo", "start the local server and JupyterLab on the quickstart"),
    "run": (
        "replicate_widget.cli.run",
        "run a model once, like `cog predict`: -i name=value -i image=@file",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="replicate-widget", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.configure(sub.add_parser(name, help=help_text, description=help_text))
        modules[name] = module
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].main(args))
    except KeyboardInterrupt:
        return 130
