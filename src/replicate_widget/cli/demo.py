"""`replicate-widget demo`: the local server and JupyterLab on the quickstart; `--on-replicate`: JupyterLab on
the notebook about Replicate's hosted models, with the user's own token.

The demo always runs its notebooks on the local server, even when REPLICATE_API_TOKEN is set: its `demo/...`
models exist only there, and a token in the shell should not turn the first experience into failed calls to
Replicate. Replicate is used only when asked for.

The notebooks are copied into a working folder first, so an installed wheel's read-only copies stay untouched
and a user's edits survive the next `demo` (files that already exist are never overwritten).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

from . import local_dotenv

QUICKSTART = "quickstart.ipynb"
ON_REPLICATE = "on-replicate.ipynb"
REPLICATE_ORIGIN = "https://api.replicate.com"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening a browser"
    )
    parser.add_argument(
        "--port", type=int, default=8888, help="JupyterLab's port on 127.0.0.1 (default 8888)"
    )
    parser.add_argument(
        "--on-replicate",
        action="store_true",
        help="open on-replicate.ipynb and run on Replicate itself with your REPLICATE_API_TOKEN "
        "(instead of the local server's demo models)",
    )
    parser.add_argument(
        "--dir",
        default="replicate-widget-demo",
        help="folder the demo notebooks are copied to and opened from (default ./replicate-widget-demo)",
    )


def notebooks_source() -> Path:
    """The demo notebooks: inside an installed wheel, else the checkout's notebooks/ (development install)."""
    packaged = files("replicate_widget").joinpath("_notebooks")
    if packaged.is_dir():
        with as_file(packaged) as path:
            return Path(path)
    checkout = Path(__file__).resolve().parents[3] / "notebooks"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("The demo notebooks are missing from this install; reinstall replicate-widget.")


def copy_notebooks(source: Path, target: Path) -> list[Path]:
    """Copies what is missing from ``source`` into ``target``; returns the files copied."""
    copied = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or ".ipynb_checkpoints" in path.parts:
            continue
        dest = target / path.relative_to(source)
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied.append(dest)
    return copied


def jupyter_command(
    root: Path, port: int, token: str, open_browser: bool, notebook: str = QUICKSTART
) -> list[str]:
    cmd = [
        # `jupyter lab` without its yarn lookup, whose failure filled the terminal (cli/_jupyterlab.py)
        sys.executable, "-m", "replicate_widget.cli._jupyterlab", notebook,
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
        "--LabApp.news_url=", "--ServerApp.allow_remote_access=False",
        # The demo works offline: no extension manager asking PyPI (or npm) what is installable.
        "--LabApp.extension_manager=readonly",
        # Warnings and errors only: the address this command prints must not drown in start-up lines.
        "--ServerApp.log_level=WARN", "--LabApp.log_level=WARN",
    ]  # fmt: skip
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root; Jupyter refuses without this
    return cmd


def main(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.on_replicate and not _replicate_token(env):
        print(
            "--on-replicate runs the notebook on Replicate with your own token, and none is set:\n"
            "    export REPLICATE_API_TOKEN=r8_...   # from https://replicate.com/account/api-tokens\n"
            "Without --on-replicate the demo needs no token: its models run on a local server."
        )
        return 1
    _stop_on_signals()
    root = Path(args.dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    copy_notebooks(notebooks_source(), root)
    notebook = ON_REPLICATE if args.on_replicate else QUICKSTART
    with ExitStack() as stack:
        models = _where_models_run(args.on_replicate, env, stack, root)
        if models is None:
            return 1
        jupyter_token = secrets.token_hex(16)
        print(f"Starting JupyterLab in {root} ...", flush=True)
        proc = subprocess.Popen(
            jupyter_command(root, args.port, jupyter_token, not args.no_browser, notebook),
            env=env,
            cwd=root,  # JupyterLab resolves the notebook to open against its working directory
            start_new_session=True,  # so Ctrl-C here stops Jupyter and its kernels as one group
        )
        try:
            if not _wait_until_serving(proc, args.port, jupyter_token):
                print(
                    f"JupyterLab stopped before it was ready (exit code {proc.returncode}); its messages are "
                    f"above. If port {args.port} is taken, pass another one: --port 8899"
                )
                return 1
            # Last and on its own, so it is the line a person sees.
            print(f"\n{models}\nPress Ctrl-C to stop everything this command started.\n")
            print(
                f"Open http://127.0.0.1:{args.port}/lab/tree/{notebook}?token={jupyter_token}\n", flush=True
            )
            return proc.wait()
        except KeyboardInterrupt:
            print("\nStopping JupyterLab" + ("..." if args.on_replicate else " and the local server..."))
            return 0
        finally:
            _stop_group(proc)


def _where_models_run(on_replicate: bool, env: dict[str, str], stack: ExitStack, root: Path) -> str | None:
    """Starts the local server unless on Replicate, points ``env`` and the folder's `.env` at it, notes it for
    `replicate-widget env`, and says where the models run and how to reach them from elsewhere."""
    if on_replicate:
        local_dotenv.remove_stale(root)  # a killed demo's file would send this kernel to its dead server
        where = env.get("REPLICATE_BASE_URL") or REPLICATE_ORIGIN
        return f"Models: Replicate's hosted models at {where}, with your REPLICATE_API_TOKEN."
    try:
        from ..local import serve
        from ..local.record import recorded
    except ImportError as exc:
        print(f"The local server needs its extra: pip install 'replicate-widget[local]' ({exc})")
        return None
    server = stack.enter_context(serve())
    stack.enter_context(recorded(server.base_url, server.token, folder=str(root)))
    stack.enter_context(local_dotenv.written(root, server.base_url, server.token))
    line = f"Models: the local server's demo models at {server.base_url} (nothing leaves this machine)."
    if _replicate_token(env):
        line += "\nYour REPLICATE_API_TOKEN is not used here: `replicate-widget demo --on-replicate` uses it."
    line += (
        "\n\nTo reach it from a shell or another Jupyter (`replicate-widget env` prints these again):\n"
        f"    export REPLICATE_BASE_URL={server.base_url}\n"
        f"    export REPLICATE_API_TOKEN={server.token}\n"
        f"Notebooks run in {root} (say, `jupyter nbconvert --execute`) read them from its .env."
    )
    # The notebooks' kernels talk to the local server, whatever the shell had set.
    env["REPLICATE_BASE_URL"] = server.base_url
    env["REPLICATE_API_TOKEN"] = server.token
    return line


def _replicate_token(env: dict[str, str]) -> bool:
    """A token of the user's own: a local server's `local_` token exported earlier does not count."""
    token = env.get("REPLICATE_API_TOKEN", "")
    return bool(token) and not token.startswith("local_")


def _stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all end in the same clean-up: Jupyter runs in a session of its
    own, so dying without it would leave Jupyter and its kernels behind. SIGINT is set explicitly because a
    shell starts background jobs with it ignored, and Python then never raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def _wait_until_serving(proc: subprocess.Popen[bytes], port: int, token: str) -> bool:
    """True once JupyterLab answers, so the address printed next works; False if it exited first."""
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    while proc.poll() is None:
        try:
            with direct.open(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.25)
    return False


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
