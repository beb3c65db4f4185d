"""The demo folder's `.env`: written while `replicate-widget demo` runs, so a notebook in that folder reaches
the demo's local server however it is run (core/settings.py reads it); removed when the demo stops.

Only a file this module wrote (it starts with HEADER's first line) is ever replaced or removed: a user's own
`.env` in that folder is left alone, and then the demo says how to point notebooks at the server instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..core.settings import DOTENV, read_dotenv, write_dotenv

HEADER = """Written by `replicate-widget demo` while it runs, and removed when it stops.
The notebooks in this folder reach the demo's local server through these two lines (replicate_widget reads
them from a notebook's folder), even where the shell has a Replicate token: `jupyter nbconvert --execute`
here runs them on the local server. The token opens only that server, on 127.0.0.1, until it stops."""


def _ours(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return f.readline().strip() == f"# {HEADER.splitlines()[0]}"
    except OSError:
        return False


@contextlib.contextmanager
def written(root: Path, base_url: str, token: str) -> Iterator[Path | None]:
    """``root``'s `.env` pointing at the server while the block runs (None: the user's own file is there)."""
    path = root / DOTENV
    if path.exists() and not _ours(path):
        print(f"Note: {path} is not the demo's, so it is left as it is; the demo's notebooks run from "
              "its JupyterLab still reach the local server.")  # fmt: skip
        yield None
        return
    write_dotenv(path, {"REPLICATE_BASE_URL": base_url, "REPLICATE_API_TOKEN": token}, HEADER)
    try:
        yield path
    finally:
        if _ours(path) and read_dotenv(path).get("REPLICATE_BASE_URL") == base_url:
            path.unlink(missing_ok=True)


def remove_stale(root: Path) -> None:
    """Remove the demo's `.env` from ``root`` unless its server still runs (a demo killed with SIGKILL)."""
    path = root / DOTENV
    if not _ours(path):
        return
    try:
        from ..local.record import running_servers
    except ImportError:  # no [local] extra: no server of ours can be running
        running = set()
    else:
        running = {r.base_url for r in running_servers()}
    if read_dotenv(path).get("REPLICATE_BASE_URL") not in running:
        path.unlink(missing_ok=True)
