"""`replicate-widget demo` as a shell sees it: the lines it prints, `replicate-widget env`, and its folder,
whose notebooks run on the demo's local server however they are started, here headless with `jupyter nbconvert
--execute` from a shell that has a Replicate token of its own.

The demo runs as a user starts it (a subprocess, its own HOME and Jupyter directories). Anything that tried
to leave 127.0.0.1 would meet a closed proxy port and fail the notebook: nothing reaches Replicate.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

NOTEBOOKS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
USERS_TOKEN = "r8_fake"  # a Replicate token in the shell, which must not be used (nor sent anywhere)
ADDRESS = re.compile(r"^Open (http://127\.0\.0\.1:(\d+)/lab/tree/\S+\?token=(\w+))$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _user_env(tmp: Path) -> dict[str, str]:
    """A user's shell: a Replicate token, no base URL, a HOME, state and Jupyter directories of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    home = tmp / "home"
    home.mkdir()
    # Makes yarn's `config --json` fail, as it did under Node 20 on the machine of the report: JupyterLab then
    # logged yarn's stack into the demo's terminal.
    (home / ".yarnrc.yml").write_text("registry: [unclosed\n")
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(tmp / "state"),
        REPLICATE_API_TOKEN=USERS_TOKEN,
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(tmp / name.lower())
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "replicate_widget.cli", *args],
        check=False, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


class Demo:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.folder = tmp / "demo"
        self.lines: list[str] = []
        self.address: re.Match[str] | None = None
        self._found = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "replicate_widget.cli", "demo", "--no-browser",
             f"--port={_free_port()}", f"--dir={self.folder}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # stdout and stderr: the terminal, as the user sees it
            self.lines.append(line.rstrip("\n"))
            if match := ADDRESS.match(line.strip()):
                self.address = match
                self._found.set()
        self._found.set()

    def wait_for_address(self) -> re.Match[str]:
        self._found.wait(90)
        assert self.address is not None, "\n".join(self.lines)
        return self.address

    @property
    def terminal(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def _outputs_text(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def test_nbconvert_in_the_demo_folder_runs_every_notebook_on_the_local_server(tmp_path: Path) -> None:
    env = _user_env(tmp_path)
    demo = Demo(tmp_path, env)
    try:
        address = demo.wait_for_address()
        # 1. The two lines to copy, and `replicate-widget env` prints the same for the running server.
        base = re.search(r"export REPLICATE_BASE_URL=(http://127\.0\.0\.1:\d+)$", demo.terminal, re.M)
        token = re.search(r"export REPLICATE_API_TOKEN=(local_\S+)$", demo.terminal, re.M)
        assert base, demo.terminal
        assert token, demo.terminal
        base_url, local_token = base.group(1), token.group(1)
        printed = _cli("env", env=env)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.splitlines() == [
            f"export REPLICATE_BASE_URL={base_url}",
            f"export REPLICATE_API_TOKEN={local_token}",
        ]
        # The demo folder's .env: the local token only, readable by its owner only.
        dotenv = demo.folder / ".env"
        assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
        assert f"REPLICATE_BASE_URL={base_url}\nREPLICATE_API_TOKEN={local_token}\n" in dotenv.read_text()
        # 2. A page load's build check (what opening the address does) asks JupyterLab for yarn's config too.
        port, jupyter_token = address.group(2), address.group(3)
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"http://127.0.0.1:{port}/lab/api/build?token={jupyter_token}", timeout=30
        ) as answer:
            assert answer.status == 200

        executed = tmp_path / "executed"
        run = subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.timeout=120", f"--output-dir={executed}", *NOTEBOOKS],
            check=False, cwd=demo.folder, env=env, capture_output=True, text=True, timeout=400,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        for name in NOTEBOOKS:
            nb = json.loads((executed / name).read_text())
            errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
            assert not errors, (name, errors)
            text = _outputs_text(nb)
            said = f"replicate-widget: models run on {base_url}, as REPLICATE_BASE_URL and REPLICATE_API_"
            assert text.count(said) == 1, (name, text[:2000])  # said once, in the cell that imports it
            assert local_token not in text, name
            assert USERS_TOKEN not in text, name
        quickstart = _outputs_text(json.loads((executed / "quickstart.ipynb").read_text()))
        assert f"API: {base_url}" in quickstart
        assert f"{base_url}/" in quickstart  # its outputs' URLs are the local server's
        hosted = _outputs_text(json.loads((executed / "on-replicate.ipynb").read_text()))
        assert f"REPLICATE_BASE_URL is {base_url}, not Replicate" in hosted  # skipped itself, as it should
        assert local_token not in run.stderr
        assert USERS_TOKEN not in run.stderr
    finally:
        code = demo.stop()
    assert code == 0, demo.terminal
    # 2. Nothing of yarn's in the demo's terminal.
    for noise in ("yarn", "Traceback"):
        assert noise not in demo.terminal, demo.terminal
    assert USERS_TOKEN not in demo.terminal
    # Stopped: the .env and the note `env` read are gone, and `env` says nothing runs.
    assert not dotenv.exists()
    gone = _cli("env", env=env)
    assert gone.returncode == 1
    assert "No local server is running" in gone.stderr
    assert not list((tmp_path / "state").rglob("*.json"))
