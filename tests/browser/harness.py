"""A real JupyterLab in headless Chromium: ``start_lab(base_url, token)`` gives a ``Lab`` (server + browser).

Used by tests/browser/conftest.py (fixtures) and by benchmarks/widget_*.py (one session per run). A
``Notebook`` runs cells through the UI's own commands and reads kernel state with ``nb.execute(code)`` (a
request on the notebook's kernel, so probes don't add cells). Screenshots go under
test-artifacts/screenshots/. Recipe and flakiness fixes: shared/reference/on-this-machine.md, section B.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright
from throttle import Link

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("RW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAB_ARGS = [
    "--LabApp.news_url=",
    "--LabApp.extension_manager=readonly",
    "--LabApp.expose_app_in_browser=True",
]
# Console messages JupyterLab prints on an offline machine: not the widget's business.
NOISE = re.compile(
    r"Failed to load resource|net::ERR|favicon|lab/api/(news|workspaces)|Cannot read properties of "
    r"undefined \(reading 'schema'\)|Connection lost|WebSocket|websocket|translations|listings",
)
# What marks an error as the widget's own: our bundle runs from a blob: URL loaded by anywidget.
WIDGET_ERROR = re.compile(r"blob:|anywidget|rw-|replicate|DropZone|Channel", re.I)


# Run code on a notebook's kernel connection without a cell: [code, timeout ms] -> {out, err} or {late}.
EXECUTE_JS = """async ([code, ms]) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code, silent: false, store_history: false});
    let out = '', err = null;
    future.onIOPub = (msg) => {
        const t = msg.header.msg_type;
        if (t === 'stream') out += msg.content.text;
        if (t === 'execute_result') out += msg.content.data['text/plain'] ?? '';
        if (t === 'error') err = msg.content.ename + ': ' + msg.content.evalue;
    };
    const late = new Promise((resolve) => setTimeout(() => resolve('late'), ms));
    if (await Promise.race([future.done, late]) === 'late') return {late: true};
    return {out, err};
}"""
# Seconds from sending code on a notebook's kernel connection to its reply, timed in the page (-1: late).
ANSWER_SECONDS_JS = """async ([code, ms]) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const t0 = performance.now();
    const future = kernel.requestExecute({code, silent: false, store_history: false});
    const late = new Promise((resolve) => setTimeout(() => resolve('late'), ms));
    if (await Promise.race([future.done, late]) === 'late') return -1;
    return (performance.now() - t0) / 1000;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_settings(settings: Path) -> None:
    values = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        # Saved notebooks carry widget state, so tests can check none of it is private.
        "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
    }
    for name, value in values.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class Lab:
    """A JupyterLab (or Notebook 7: ``app="notebook"``) server plus one browser context."""

    def __init__(
        self,
        base_url: str,
        token: str,
        root: Path,
        context: BrowserContext,
        app: str = "lab",
        link: Link | None = None,
    ) -> None:
        self.base_url, self.token, self.root, self.context = base_url, token, root, context
        self.app = app
        self.link = link  # the throttling proxy the browser goes through, when asked for

    def notebook(self, name: str, cells: list[str], *, run: bool = True) -> Notebook:
        """Write ``name`` with ``cells``, open it, wait for its kernel, and (by default) run every cell."""
        path = self.root / name
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"c{i}",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": src,
                }
                for i, src in enumerate(cells)
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        path.write_text(json.dumps(nb))
        page = self.context.new_page()
        notebook = Notebook(self, page, path)
        # ?reset: start from an empty workspace, not the tabs an earlier test left open.
        where = f"lab/tree/{name}?reset&" if self.app == "lab" else f"notebooks/{name}?"
        page.goto(f"{self.base_url}/{where}token={self.token}")
        notebook.wait_idle(timeout=60)
        panel_id = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        notebook.scope = f'[id="{panel_id}"]'
        if run:
            notebook.run_all()
        return notebook


class Notebook:
    """One open notebook page."""

    def __init__(self, lab: Lab, page: Page, path: Path) -> None:
        self.lab, self.page, self.path = lab, page, path
        self.scope = "body"  # CSS selector of this notebook's panel, set once it is open
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = msg.location.get("url", "") if isinstance(msg.location, dict) else ""
        text = f"{msg.text} @ {where}"
        if not NOISE.search(text):
            self.errors.append(text)

    def widget_errors(self) -> list[str]:
        return [e for e in self.errors if WIDGET_ERROR.search(e)]

    # ---- kernel and cells
    def wait_idle(self, timeout: float = 60) -> None:
        """Wait for the kernel to be connected and idle (the status bar, not the toolbar: see the recipe)."""
        dialog = self.page.locator(".jp-Dialog .jp-mod-accept")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dialog.count():  # "Select Kernel", should autoStartDefaultKernel not apply
                dialog.first.click()
            if self.lab.app == "notebook":  # no status bar: ask the kernel connection itself
                ready = self.page.evaluate(
                    """() => {
                        const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;
                        return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }"""
                )
                if ready:
                    return
            texts = self.page.locator(".jp-StatusBar-TextItem").all_text_contents()
            if any(t.strip().endswith("| Idle") for t in texts):
                return
            self.page.wait_for_timeout(200)
        raise TimeoutError(f"The kernel of {self.path.name} did not become idle in {timeout} s")

    def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        return self.page.evaluate("([n, a]) => window.jupyterapp.commands.execute(n, a)", [name, args or {}])

    def run_all(self, timeout: float = 120) -> None:
        self.command("notebook:run-all-cells")
        self.wait_executed(timeout)

    def run_cell(self, index: int, timeout: float = 120) -> None:
        self.page.evaluate(
            "(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index
        )
        self.command("notebook:run-cell")
        self.wait_executed(timeout)

    def wait_executed(self, timeout: float = 120) -> None:
        """Wait until no cell is queued or running ("[*]")."""
        self.page.wait_for_function(
            """() => {
                const nb = window.jupyterapp.shell.currentWidget?.content;
                if (!nb) return false;
                const prompts = Array.from(nb.node.querySelectorAll('.jp-InputPrompt'));
                return prompts.length > 0 && prompts.every(p => !p.textContent.includes('*'));
            }""",
            timeout=timeout * 1000,
        )

    def execute(self, code: str, timeout: float = 120) -> str:
        """Run ``code`` on this notebook's kernel without adding a cell; return its stdout.

        Raises TimeoutError after ``timeout`` seconds: a request lost in a socket reconnect never completes.
        """
        result = self.page.evaluate(
            EXECUTE_JS,
            [code, int(timeout * 1000)],
        )
        if result.get("late"):
            raise TimeoutError(f"The kernel did not answer within {timeout} s:\n{code}")
        if result["err"]:
            raise AssertionError(f"Kernel error: {result['err']}\n{code}")
        return str(result["out"])

    def answer_seconds(self, code: str = "print(1)", timeout: float = 120) -> float:
        """Seconds from sending ``code`` on this notebook's kernel connection (the websocket a widget's file
        bytes share) to its reply, timed in the page."""
        took = self.page.evaluate(
            ANSWER_SECONDS_JS,
            [code, int(timeout * 1000)],
        )
        if took < 0:
            raise TimeoutError(f"The kernel did not answer within {timeout} s:\n{code}")
        return float(took)

    def execute_json(self, code: str, timeout: float = 120) -> Any:
        """Run ``code`` (ending in an expression ``x``) and return ``json.loads`` of what it printed."""
        return json.loads(self.execute(f"import json as _j\nprint(_j.dumps({code}))", timeout))

    def cell_output(self, index: int) -> str:
        return str(
            self.page.evaluate(
                "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].outputArea.node.innerText",
                index,
            )
        )

    # ---- the page
    def widget(self, selector: str = ".rw-file-input", index: int = 0) -> Locator:
        loc = self.page.locator(f"{self.scope} {selector}").nth(index)
        loc.wait_for(state="attached", timeout=30_000)
        loc.scroll_into_view_if_needed()
        return loc

    def set_theme(self, dark: bool) -> None:
        self.command("apputils:change-theme", {"theme": "JupyterLab Dark" if dark else "JupyterLab Light"})
        want = "false" if dark else "true"
        self.page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{want}'", timeout=30_000)
        self.page.wait_for_timeout(300)  # let the theme's CSS variables settle before screenshots

    def screenshot(self, name: str, target: Locator | None = None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        (target or self.page).screenshot(path=str(path))
        return path

    def save(self) -> dict[str, Any]:
        """Save through the UI (widget state included) and return the notebook as stored on disk."""
        before = self.path.stat().st_mtime_ns
        self.command("docmanager:save")
        deadline = time.monotonic() + 30
        while self.path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
        return dict(json.loads(self.path.read_text()))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the page may already be gone
            self.command("kernelmenu:shutdown")
        self.page.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), with the flags that work here."""
    # Chromium's org.chromium.Chromium.* folder (its single-instance socket) goes under TMPDIR, and stays
    # there if the browser dies uncleanly: a private TMPDIR is removed whatever happens.
    tmp = Path(tempfile.mkdtemp(prefix="rw-chromium-tmp-"))
    try:
        with sync_playwright() as pw:
            env = {**os.environ, "TMPDIR": str(tmp)}
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _isolated_env(tmp: Path, api_base_url: str, api_token: str) -> dict[str, str]:
    """Jupyter's folders under ``tmp``, kernels talking to the given API."""
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        # The kernels talk to this session's local server.
        "REPLICATE_BASE_URL": api_base_url,
        "REPLICATE_API_TOKEN": api_token,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@contextmanager
def _server(args: list[str], env: dict[str, str], log_path: Path, ready_url: str) -> Iterator[None]:
    """Start a Jupyter server, wait until ``ready_url`` answers, and stop it (and its kernels) after."""
    log = log_path.open("w")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[2]} did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@contextmanager
def start_lab(
    api_base_url: str,
    api_token: str,
    extra_args: list[str] | None = None,
    app: str = "lab",
    browser: Browser | None = None,
    throttled: bool = False,
) -> Iterator[Lab]:
    """JupyterLab (or Notebook 7) on 127.0.0.1, isolated dirs, kernels using the given API; one Chromium.

    ``throttled=True`` puts a ``throttle.Link`` between the browser and the server (``lab.link``; no limit
    until ``lab.link.set(rate_mbit, rtt_ms)``): every page, API call and websocket goes through it.
    """
    tmp = Path(tempfile.mkdtemp(prefix="rw-lab-"))
    root = tmp / "root"
    root.mkdir()
    token = secrets.token_hex(16)
    port = _free_port()
    _write_settings(tmp / "settings")
    args = [
        sys.executable, "-m", "jupyterlab" if app == "lab" else "notebook", "--no-browser",
        f"--IdentityProvider.token={token}", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
        "--ServerApp.allow_remote_access=False", "--allow-root",
        *(LAB_ARGS if app == "lab" else ["--JupyterNotebookApp.expose_app_in_browser=True"]),
        *(extra_args or []),
    ]  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    env = _isolated_env(tmp, api_base_url, api_token)
    try:
        with (
            _server(args, env, tmp / "lab.log", f"{base_url}/api/status?token={token}"),
            contextlib.ExitStack() as stack,
        ):
            proxy = None
            if throttled:
                proxy = Link(port)
                proxy.start()
                stack.callback(proxy.stop)
                base_url = f"http://127.0.0.1:{proxy.port}"
            if browser is None:  # a browser of our own (benchmarks); tests share one per session
                browser = stack.enter_context(chromium())
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
            try:
                yield Lab(base_url, token, root, context, app, proxy)
            finally:
                context.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def start_voila(notebook: Path, api_base_url: str, api_token: str) -> Iterator[str]:
    """``voila notebook.ipynb`` on 127.0.0.1 (kernels using the given API); yields the app's URL."""
    tmp = Path(tempfile.mkdtemp(prefix="rw-voila-"))
    port = _free_port()
    token = secrets.token_hex(16)
    args = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--token={token}",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/?token={token}"
    try:
        with _server(
            args,
            _isolated_env(tmp, api_base_url, api_token),
            tmp / "voila.log",
            f"http://127.0.0.1:{port}/voila/static/favicon.ico",
        ):
            yield url
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
