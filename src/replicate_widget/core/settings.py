"""REPLICATE_BASE_URL and REPLICATE_API_TOKEN from a `.env` in the working directory (a notebook's folder).

`replicate-widget demo` writes one into its folder while it runs, so a notebook there reaches the demo's
local server however it is started: in the demo's JupyterLab, or headless (`jupyter nbconvert --execute`,
papermill) from a shell that has a Replicate token of its own. The rule: a file that sets REPLICATE_BASE_URL
wins over the shell for both names, and the library says once which server it then uses; a file without it
only fills in what the shell leaves unset. A file that names a server but no token leaves no token: the
shell's is for the shell's server, never for one a file in some folder names. Only these two names are read.

The values go into os.environ, where the rest of the library (and a notebook's own checks) read them: on
import, and again before each default client is built, so a file rewritten by a restarted demo is followed.
The token is never printed: only the server's address is.

Written by hand rather than with python-dotenv: two names, `NAME=value` lines, not worth a dependency.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOTENV = ".env"
NAMES = ("REPLICATE_BASE_URL", "REPLICATE_API_TOKEN")
_applied: tuple[str, int, int] | None = None  # (path, mtime_ns, size) of the file last applied
_said: set[tuple[str, str]] = set()


def read_dotenv(path: Path) -> dict[str, str]:
    """The REPLICATE_* names a `.env` file sets: `NAME=value` lines, `export ` and quotes allowed."""
    values = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if name in NAMES and value:
            values[name] = value
    return values


def write_dotenv(path: Path, values: dict[str, str], header: str) -> None:
    """Write ``values`` as `NAME=value` lines under ``header`` (comment lines), readable by its owner only."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [f"{name}={value}" for name, value in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def apply_dotenv(folder: Path | None = None) -> None:
    """Apply ``folder``'s (the working directory's) `.env` to os.environ, when it changed since last time."""
    global _applied  # noqa: PLW0603 - one process, one working directory: remember the file last applied
    path = (folder or Path.cwd()) / DOTENV
    try:
        stat = path.stat()
        seen = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if seen == _applied:
            return
        values = read_dotenv(path)
    except (OSError, ValueError):
        return  # no file (the usual case), or not readable: the environment as it is
    _applied = seen
    if "REPLICATE_BASE_URL" not in values:
        for name, value in values.items():
            os.environ.setdefault(name, value)
        return
    changed = any(os.environ.get(name) != values.get(name) for name in NAMES)
    os.environ.update(values)
    if "REPLICATE_API_TOKEN" not in values:
        # The shell's token belongs to the shell's server: never send it to a server a file names.
        os.environ.pop("REPLICATE_API_TOKEN", None)
    base_url = values["REPLICATE_BASE_URL"]
    # Said when the file changed something (not in the demo's own JupyterLab, whose kernels have the same)
    if changed and (seen[0], base_url) not in _said:
        _said.add((seen[0], base_url))
        token = " and REPLICATE_API_TOKEN" if "REPLICATE_API_TOKEN" in values else ""
        print(
            f"replicate-widget: models run on {base_url}, as REPLICATE_BASE_URL{token} in {path} say "
            "(they win over the shell's).",
            file=sys.stderr,
        )
