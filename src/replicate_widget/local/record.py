"""Where a running local server can be found: `replicate-widget serve` and `demo` note theirs in a small file,
and `replicate-widget env` reads it back to print the two lines a client needs.

One JSON file per server, under $XDG_STATE_HOME/replicate-widget/servers (~/.local/state/... by default),
readable by its owner only: it holds the server's `local_` token, which opens nothing but that server on
127.0.0.1 and dies with it. The file goes when the command stops; one left by a killed process is ignored
(its process is gone) and removed by the next reader.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerRecord:
    base_url: str
    token: str
    pid: int
    started: float
    folder: str = ""  # the demo's folder, for `demo`

    def __repr__(self) -> str:  # never shows the token
        return f"ServerRecord({self.base_url!r}, pid={self.pid})"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "replicate-widget" / "servers"


@contextlib.contextmanager
def recorded(base_url: str, token: str, folder: str = "") -> Iterator[Path]:
    """Note a running server for `replicate-widget env` while the block runs."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {"base_url": base_url, "token": token, "pid": os.getpid(), "started": time.time()}
    if folder:
        record["folder"] = folder
    path = directory / f"{os.getpid()}-{base_url.rsplit(':', 1)[-1]}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private from its first byte
    with os.fdopen(fd, "w") as out:
        json.dump(record, out)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def running_servers() -> list[ServerRecord]:
    """The servers whose process still runs, newest first; records of dead processes are removed."""
    found = []
    for path in sorted(state_dir().glob("*.json")):
        try:
            data = json.loads(path.read_text())
            record = ServerRecord(
                str(data["base_url"]),
                str(data["token"]),
                int(data["pid"]),
                float(data["started"]),
                str(data.get("folder", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # another user's, half-written or foreign: not ours to judge
        if _alive(record.pid):
            found.append(record)
        else:
            path.unlink(missing_ok=True)
    return sorted(found, key=lambda r: r.started, reverse=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there; assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
