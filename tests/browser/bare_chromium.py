"""A page in a Chromium that no Playwright is attached to, driven over the DevTools protocol (CDP).

Why not Playwright for the page a benchmark measures: Playwright always enables CDP's Network domain, and
Chromium then copies every websocket frame, base64-encoded, to the driver. On this 2-core machine, sending
256 MiB from a page over a local websocket took 6.2 s and 7.7 s of Chromium's CPU with Playwright attached,
and 1.0 s and 1.0 s of CPU without it. A user's browser pays none of that. At 100 Mbit/s, that copying took
the CPU the Jupyter server and the kernel needed, so the benchmark measured its own instrument.

So this driver uses only Runtime (evaluate), DOM (set a file input's files) and Page (navigate, reload), never
Network. It is written by hand on ``websockets`` because it needs six calls; the CDP client
libraries on PyPI are unmaintained.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect


class PageError(Exception):
    """A script threw in the page, or the page did not get where it was asked to in time."""


class BarePage:
    """One tab, over its DevTools websocket. Not thread-safe: one call at a time."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a CDP command and return its result (events on the way are dropped: none is enabled)."""
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise PageError(f"{method}: {reply['error'].get('message')}")
                return dict(reply["result"])

    def evaluate(self, function: str, arg: Any = None) -> Any:
        """Call a JS function (its source) with ``arg``, await it, and return its JSON-able result."""
        result = self.call(
            "Runtime.evaluate",
            expression=f"({function})({json.dumps(arg)})",
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise PageError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def wait_for(self, function: str, arg: Any = None, timeout: float = 60, poll: float = 0.05) -> Any:
        """Evaluate ``function`` until it returns something truthy; return that. Errors while the page
        (re)loads count as "not yet"."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(PageError):
                value = self.evaluate(function, arg)
                if value:
                    return value
            if time.monotonic() > deadline:
                raise PageError(f"not true after {timeout:.0f} s: {function[:200]}")
            time.sleep(poll)

    def set_input_files(self, selector: str, path: Path) -> None:
        """What a person picking ``path`` in the file dialog of the first ``selector`` does."""
        found = self.call("Runtime.evaluate", expression=f"document.querySelector({json.dumps(selector)})")
        object_id = found["result"].get("objectId")
        if not object_id:
            raise PageError(f"no element matches {selector}")
        self.call("DOM.setFileInputFiles", files=[str(path)], objectId=object_id)

    def reload(self) -> None:
        self.call("Page.reload")


@contextlib.contextmanager
def open_page(url: str, chromium: str, args: list[str], timeout: float = 30) -> Iterator[BarePage]:
    """Start Chromium with a DevTools port on 127.0.0.1, load ``url`` in its tab, and yield the tab once the
    document has loaded; stop Chromium after.

    Chromium starts on about:blank and navigates from there: given ``url`` on its command line, its tab held
    the first about:blank for a moment, whose readyState is already 'complete', so a wait for a loaded page
    could pass before ``url`` had even been asked for (one run in five on an idle machine)."""
    profile = Path(tempfile.mkdtemp(prefix="rw-bare-chromium-"))
    (profile / "tmp").mkdir()
    proc = subprocess.Popen(
        [chromium, *args, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
        # Chromium keeps its single-instance socket in an org.chromium.Chromium.* folder under TMPDIR and
        # removes it only on a clean exit: stopped by a signal, it stayed in /tmp. Inside the profile, it goes
        # with the profile.
        env={**os.environ, "TMPDIR": str(profile / "tmp")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"  # Chromium writes the port it chose here
        deadline = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise PageError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        tab = next(t for t in targets if t["type"] == "page")
        with connect(tab["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout) as ws:
            page = BarePage(ws)
            # Page.navigate answers once the new document has replaced the old one (redirects followed)
            navigated = page.call("Page.navigate", url=url)
            if navigated.get("errorText"):
                raise PageError(f"Chromium could not open {url}: {navigated['errorText']}")
            page.wait_for("() => document.readyState === 'complete'", timeout=timeout)
            yield page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
