"""Python in a child process with a temporary directory of its own, to see exactly what it leaves behind."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

# Signals as in a process started from a terminal: a test runner under nohup (or in a shell's background job)
# passes SIGHUP (or SIGINT) down ignored, and the signal tests would then wait for nothing.
_DEFAULT_SIGNALS = """import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
"""


class Child:
    """`python -c code` with TMPDIR set to a fresh folder; lines of its stdout can be awaited."""

    def __init__(
        self, code: str, folder: Path, env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> None:
        self.tmpdir = folder / "tmp"
        self.tmpdir.mkdir()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _DEFAULT_SIGNALS + code, *(args or [])],
            env={**os.environ, "TMPDIR": str(self.tmpdir), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first stdout line holding `text` (a hang guard, not a timing assertion)."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} in {timeout} s; got {self.stdout}") from None
            if line is None:
                raise AssertionError(f"exited before printing {text!r}: {self.stdout} {self.stderr()}")
            self.stdout.append(line)
            if text in line:
                return line

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read() if self.proc.poll() is not None else ""

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def left_behind(self) -> list[str]:
        return sorted(str(p.relative_to(self.tmpdir)) for p in self.tmpdir.rglob("*"))
