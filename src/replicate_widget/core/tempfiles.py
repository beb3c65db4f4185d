"""Temporary folders that go away on every way out of the process.

Everything the package writes to disk (spooled `bytes` inputs, the widgets' received files, the local
server's uploads) lives in folders made here. Each is removed when its owner is done with it, and whatever
is left is removed at interpreter exit (normal exit, Ctrl-C, a Jupyter kernel shut down or restarted) and on
SIGTERM and SIGHUP, which otherwise end a Python process without running any exit handler: a `serve`
stopped by its service manager, a kernel the Jupyter server gave up on, a closed terminal.

The signal handlers are installed on import (and retried with each folder) only where the process still has
the default action (die), and they keep it: after removing the folders they restore that action and re-send
the signal, so the process still dies of it, with the same exit status, as it would have. A handler someone
else installed is left in place and called after the removal. SIGKILL cannot be caught: what it leaves
stays until the system cleans its temporary directory.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

PREFIX = "replicate-widget-"
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Registry:
    """The folders this process made, and the lock that guards them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.folders: set[str] = set()


_registry = _Registry()
_hooked: set[int] = set()


def make_folder(prefix: str = PREFIX) -> Path:
    """A new private folder (mode 0700) under the temporary directory, removed at the latest on exit."""
    install_signal_handlers()
    folder = tempfile.mkdtemp(prefix=prefix)
    with _registry.lock:
        _registry.folders.add(folder)
    return Path(folder)


def remove_folder(folder: str | os.PathLike[str]) -> None:
    """Remove a folder made by `make_folder` in this process (what is already gone is fine).

    A forked child (a multiprocessing worker, say) inherits the parent's objects and their finalizers, but
    not its folders: there this does nothing, so a child ending never takes its parent's files with it.
    """
    path = os.fspath(folder)
    with _registry.lock:
        if path not in _registry.folders:
            return
        _registry.folders.discard(path)
    shutil.rmtree(path, ignore_errors=True)


def remove_all() -> None:
    """Remove every folder still registered: at exit, and on SIGTERM or SIGHUP."""
    with _registry.lock:
        folders = list(_registry.folders)
        _registry.folders.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _forget_after_fork() -> None:
    """In a forked child: the folders are the parent's (and a lock held at the fork would never be freed)."""
    _registry.reset()


def install_signal_handlers() -> None:
    """Hook SIGTERM and SIGHUP (once each; only from the main thread, where Python allows it)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _SIGNALS:
        if signum in _hooked:
            continue
        _hooked.add(signum)
        previous = signal.getsignal(signum)
        if previous in (signal.SIG_IGN, None):  # ignored (nohup), or set outside Python: leave it alone
            continue
        signal.signal(signum, _handler(previous))


def _handler(previous: Any) -> Any:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        remove_all()
        if callable(previous):
            previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL)  # the default action, as before: die of this signal
        os.kill(os.getpid(), signum)

    return on_signal


atexit.register(remove_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
# Also now, from the importing (usually main) thread: the first folder may well be made from a worker thread
# (a batch, the Playground's runs), where Python cannot install a handler.
install_signal_handlers()
