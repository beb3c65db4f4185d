"""With nothing listening at the base URL: our one error, fast, and a short display in IPython."""

import os
import socket
import subprocess
import sys
import time

import replicate_widget as rw


def free_port():
    # Bound and closed again: nothing listens there afterwards.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CELL = "import replicate_widget as rw\nrw.run('demo/slow-echo', {'text': 'x'})\n"


def test_nothing_listening_is_our_error_in_a_short_ipython_traceback():
    env = {
        **os.environ,
        "REPLICATE_API_TOKEN": "local_nothing_there",
        "REPLICATE_BASE_URL": f"http://127.0.0.1:{free_port()}",
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--colors=NoColor", "--no-banner", "-c", CELL],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # hang guard: the error itself comes in well under a second
        check=False,
    )
    took = time.monotonic() - started
    shown = (done.stdout + done.stderr).strip().splitlines()
    assert shown[-1].startswith("ConnectionError: Connection failed"), shown
    assert "Nothing is listening at" in shown[-1]
    assert "replicate-widget serve" in shown[-1]
    assert len(shown) <= 30, "\n".join(shown)
    assert not any("httpx" in line or "httpcore" in line for line in shown), "\n".join(shown)
    assert took < 60


def test_the_error_is_ours_and_comes_at_once(monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "local_nothing_there")
    monkeypatch.setenv("REPLICATE_BASE_URL", f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    try:
        rw.run("demo/slow-echo", {"text": "x"})
    except rw.APIError as exc:
        error = exc
    assert time.monotonic() - started < 5  # no retries: a refused loopback port stays refused
    assert error.__cause__ is None
    assert error.__suppress_context__
