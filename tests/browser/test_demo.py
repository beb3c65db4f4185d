"""`replicate-widget demo` as a new user meets it: the command starts its own local server and JupyterLab, the
printed address opens the quickstart, Run All runs it through, and Ctrl-C leaves no process behind. A token of
the user's own in the shell changes none of that; `--on-replicate` is the way to Replicate.

The demo is started exactly as a user would (no test hooks: JupyterLab's app object is not exposed), so the
notebook is driven through the menus and the DOM only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from harness import NOISE, WIDGET_ERROR, Browser, Notebook, _free_port, _write_settings

ADDRESS = re.compile(r"^Open (http://127\.0\.0\.1:\d+/lab/tree/[\w.-]+\.ipynb\?token=\w+)$")
# What a user has in the shell: a Replicate token (never sent anywhere by these tests).
USERS_TOKEN = "r8_" + "A" * 37


def _demo_command() -> list[str]:
    script = Path(sys.executable).with_name("replicate-widget")
    return [str(script)] if script.exists() else [sys.executable, "-m", "replicate_widget.cli"]


class Demo:
    """The running `replicate-widget demo` subprocess; its stdout is collected line by line."""

    def __init__(self, tmp: Path, *options: str, replicate: dict[str, str] | None = None) -> None:
        self.folder = tmp / "demo"
        self.port = _free_port()
        self.stderr_path = tmp / "demo.stderr"
        # A user's environment with only the given Replicate settings, and Jupyter directories of its own so
        # nothing from this machine's Jupyter config leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
        env.update(replicate or {})
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[name] = str(tmp / name.lower())
        env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "settings")
        env["XDG_STATE_HOME"] = str(tmp / "state")  # where the demo notes its server (`replicate-widget env`)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp / "workspaces")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        _write_settings(tmp / "settings")  # no news fetch on an offline machine
        self.lines: list[str] = []
        self.address: str | None = None
        self._found = threading.Event()
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [
                *_demo_command(),
                "demo",
                "--no-browser",
                f"--port={self.port}",
                f"--dir={self.folder}",
                *options,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = ADDRESS.search(line)
            if match:
                self.address = match.group(1)
                self._found.set()
        self._found.set()  # the process ended: stop waiting

    def wait_for_address(self, timeout: float = 90) -> str:
        self._found.wait(timeout)
        assert self.address, f"No address printed.\nstdout: {self.lines}\nstderr: {self.log()[-3000:]}"
        return self.address

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def log(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:  # the test failed midway: don't leave the demo running
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path, replicate={"REPLICATE_API_TOKEN": USERS_TOKEN})
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(tmp_path, ignore_errors=True)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _menu(page, menu: str, item: str) -> None:
    """Click a menu in JupyterLab's menu bar, then the item whose label matches the regex ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text=re.compile(item)
    ).first.click()


def _wait_all_executed(page, timeout: float = 180) -> None:
    """Every code cell shows an execution count ("[n]:"), none is queued or running ("[*]:")."""
    page.wait_for_function(
        """() => {
            const cells = '.jp-Notebook .jp-CodeCell .jp-InputPrompt';
            const prompts = Array.from(document.querySelectorAll(cells));
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout * 1000,
    )


def _gray_image_stats(page, img) -> dict:
    """Width, height and the largest channel difference over the image's pixels, read back in the page."""
    return img.evaluate(
        """(img) => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let spread = 0, distinct = new Set();
            for (let i = 0; i < d.length; i += 4 * 97) {
                spread = Math.max(spread, Math.abs(d[i] - d[i + 1]), Math.abs(d[i + 1] - d[i + 2]));
                distinct.add(d[i]);
            }
            return {width: c.width, height: c.height, spread, levels: distinct.size};
        }"""
    )


def test_demo_serves_the_quickstart_runs_it_and_stops_cleanly(demo: Demo, browser: Browser) -> None:
    """With the user's own REPLICATE_API_TOKEN in the shell, the quickstart still runs on the demo models."""
    address = demo.wait_for_address()
    assert demo.proc.poll() is None, demo.log()[-3000:]
    assert (demo.folder / "quickstart.ipynb").is_file()
    assert (demo.folder / "samples" / "sunset.jpg").is_file()
    # The start-up lines say where the models run, and the address comes last, on its own.
    printed = "\n".join(demo.lines)
    assert re.search(r"^Models: the local server's demo models at http://127\.0\.0\.1:\d+", printed, re.M)
    assert "Your REPLICATE_API_TOKEN is not used here" in printed, printed
    assert [line for line in demo.lines if line.strip()][-1].startswith("Open http://"), printed
    assert USERS_TOKEN not in printed + demo.log()
    assert not re.search(r"^\[I ", demo.log(), re.M), demo.log()  # Jupyter's info lines stay quiet

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and not NOISE.search(msg.text) else None,
    )
    try:
        page.goto(address)
        # Only the status bar is used here, which needs no app object.
        notebook = Notebook(types.SimpleNamespace(app="lab"), page, demo.folder / "quickstart.ipynb")  # type: ignore[arg-type]
        notebook.wait_idle(timeout=90)
        _menu(page, "Run", "^Run All Cells$")
        _wait_all_executed(page)

        # The widget rendered, and the grayscale result is on the page, really gray.
        page.locator(".rw-file-input").first.wait_for(state="attached", timeout=30_000)
        result = page.locator(".jp-OutputArea-output img[alt='sunset-gray.png']").first
        result.wait_for(state="attached", timeout=30_000)
        result.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=result.element_handle())
        stats = _gray_image_stats(page, result)
        assert (stats["width"], stats["height"]) == (960, 640), stats  # the sample photo's size
        assert stats["spread"] == 0, stats  # gray: red, green and blue equal everywhere
        assert stats["levels"] > 10, stats  # and not a blank image
        notebook.screenshot("demo-quickstart-result", page.locator(".jp-Notebook"))

        # Saved as the user would (File > Save Notebook): every code cell ran, none ended in an error.
        path = demo.folder / "quickstart.ipynb"
        before = path.stat().st_mtime_ns
        _menu(page, "File", "^Save( Notebook)?$")
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        saved = _read_when_written(path, deadline)
        code_cells = [c for c in saved["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] for c in code_cells), "a cell did not run"
        failures = [o for c in code_cells for o in c["outputs"] if o["output_type"] == "error"]
        assert not failures, failures
        assert (demo.folder / "gray.png").is_file(), "the quickstart's save() did not write its file"
        kernel_saw = "".join(  # a saved stream's text is a list of lines
            "".join(o["text"]) for c in code_cells for o in c["outputs"] if o["output_type"] == "stream"
        )
        assert "API: http://127.0.0.1:" in kernel_saw, kernel_saw  # the kernel talked to the local server
        assert not [e for e in errors if WIDGET_ERROR.search(e)], errors
    finally:
        context.close()

    # Ctrl-C stops everything the demo started: JupyterLab, its kernel, the local server's Cog workers.
    started = demo.descendants()
    names = " ".join(" ".join(p.cmdline()) for p in started if _alive(p))
    for part in ("jupyterlab", "ipykernel", "cog.server"):
        assert part in names, names
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(timeout=60) == 0
    psutil.wait_procs(started, timeout=15)
    left = [" ".join(p.cmdline()) for p in started if _alive(p)]
    assert not left, f"left running after Ctrl-C: {left}"


def _read_when_written(path: Path, deadline: float) -> dict:
    """The saved notebook, once Jupyter has finished writing it: a new mtime can come before the content."""
    while True:
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_demo_on_replicate_opens_the_hosted_models_notebook_with_the_users_token(tmp_path: Path) -> None:
    """No local server, the user's base URL and token handed to JupyterLab as they are. (The base URL is a
    closed loopback port: nothing here reaches Replicate.)"""
    closed = f"http://127.0.0.1:{_free_port()}"
    running = Demo(
        tmp_path, "--on-replicate",
        replicate={"REPLICATE_API_TOKEN": USERS_TOKEN, "REPLICATE_BASE_URL": closed},
    )  # fmt: skip
    try:
        address = running.wait_for_address()
        assert "/lab/tree/on-replicate.ipynb?token=" in address
        printed = "\n".join(running.lines)
        assert f"Models: Replicate's hosted models at {closed}" in printed, printed
        assert "local server's demo models" not in printed
        assert USERS_TOKEN not in printed + running.log()
        started = " ".join(" ".join(p.cmdline()) for p in running.descendants() if _alive(p))
        assert "jupyterlab" in started, started
        assert "cog.server" not in started, started
    finally:
        running.stop()
