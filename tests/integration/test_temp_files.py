"""`bytes` inputs and kernels leave no temporary file behind: after a run, after a refusal, after Ctrl-C,
SIGTERM or SIGHUP in the middle of an upload, and when Jupyter shuts a kernel down or restarts it.

Each client runs in a child process with a TMPDIR of its own (the session's local server keeps its files
elsewhere), which must be empty afterwards; a run's copies must be gone as soon as the run ends.
"""

from __future__ import annotations

import os
import signal

import pytest
from _isolated import Child
from _server_helpers import wait_until

_RUN = """
import hashlib, os, pathlib, sys
import replicate_widget as rw

def listing():
    return sorted(p.name for p in pathlib.Path(os.environ["TMPDIR"]).rglob("*"))

small, large = b"small input " * 10, os.urandom(2_000_000)  # a data URI, and an upload
for data in (small, large):
    info = rw.run("demo/file-info", {"file": data})
    assert info["sha256"] == hashlib.sha256(data).hexdigest(), info
    print("after run", listing(), flush=True)
try:
    rw.run("demo/file-info", {"file": bytes(104_857_601)})
except rw.InputError as exc:
    print("refused", "100 MiB" in str(exc), listing(), flush=True)
"""


def _env(server) -> dict[str, str]:
    return {"REPLICATE_BASE_URL": server.base_url, "REPLICATE_API_TOKEN": server.token}


def test_bytes_inputs_are_removed_after_each_run_and_on_refusal(server, tmp_path):
    child = Child(_RUN, tmp_path, env=_env(server))
    assert child.wait_for("after run") == "after run []"
    assert child.wait_for("after run") == "after run []"
    assert child.wait_for("refused") == "refused True []"
    assert child.finish() == 0, child.stderr()
    assert child.left_behind() == []
    assert not server.log.find("POST", "/v1/models/demo/file-info/predictions")[2:]  # refused: no request


_STUCK_UPLOAD = """
import os
import replicate_widget as rw
print("starting", flush=True)
rw.run("demo/file-info", {"file": os.urandom(2_000_000)}, strategy="upload")
"""


@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGINT, -signal.SIGINT), (signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, -signal.SIGHUP)],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_a_signal_during_an_upload_leaves_nothing(server, tmp_path, sig, status):
    server.faults.delay("POST /v1/files", seconds=60)  # the upload hangs until the signal comes
    child = Child(_STUCK_UPLOAD, tmp_path, env=_env(server))
    child.wait_for("starting")
    wait_until(lambda: server.log.find("POST", "/v1/files"), what="the upload to reach the server")
    assert child.left_behind()  # the spooled copy, while the upload is under way
    os.kill(child.proc.pid, sig)
    assert child.finish() == status  # an uncaught KeyboardInterrupt ends Python by SIGINT too
    assert child.left_behind() == []


_KERNEL_CODE = """
import replicate_widget as rw
w = rw.FileInput(upload="on-run")
w.send = lambda content, buffers=None: None
w._handle_custom_msg({"kind": "begin", "rid": 1, "session": "s", "id": "a", "name": "a.bin", "size": 100,
              "type": "application/octet-stream"}, None)
w._handle_custom_msg({"kind": "chunk", "rid": 2, "session": "s", "id": "a", "offset": 0},
          [memoryview(b"x" * 40)])
kept = rw.LocalFile.from_bytes(b"abc", name="kept.txt")
"""


@pytest.mark.parametrize("how", ["shutdown", "restart"])
def test_kernel_shutdown_and_restart_leave_nothing(tmp_path, how):
    jupyter_client = pytest.importorskip("jupyter_client")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "TMPDIR": str(tmpdir)}, independent=False)
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(_KERNEL_CODE, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert sorted(p.name for p in tmpdir.rglob("*") if p.is_file()) == ["a.bin", "kept.txt"]
        if how == "restart":
            manager.restart_kernel(now=False)
            client.wait_for_ready(timeout=60)
            assert list(tmpdir.rglob("*")) == []
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=False)
    assert list(tmpdir.rglob("*")) == []
