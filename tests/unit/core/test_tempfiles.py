"""Nothing the library or a widget writes to disk outlives it: widget close, normal exit, Ctrl-C, SIGTERM,
SIGHUP. Each case runs in a child process with a TMPDIR of its own, which must be empty afterwards."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from _isolated import Child

SCHEMA = str(Path(__file__).parents[2] / "data" / "schemas" / "stability-ai__sdxl.json")

# A FileInput holding one file that arrived whole and one cut off halfway, a LocalFile the user made from
# bytes and never released, and a Playground with a file dropped halfway; then MODE decides how it ends.
_SCRIPT = """
import os, pathlib, sys, time
import replicate_widget as rw

w = rw.FileInput(upload="on-run")
w.send = lambda content, buffers=None: None
def request(kind, buffers=None, **fields):
    w._handle_custom_msg({"kind": kind, "rid": 1, "session": "s", **fields}, buffers)
request("begin", id="whole", name="whole.bin", size=10, type="application/octet-stream")
request("chunk", [memoryview(b"0123456789")], id="whole", offset=0)
request("begin", id="cut", name="cut.bin", size=3_000_000, type="application/octet-stream")
request("chunk", [memoryview(b"x" * 1_000_000)], id="cut", offset=0)
assert [f.name for f in w.files] == ["whole.bin"]
mine = rw.LocalFile.from_bytes(b"made by the user", name="mine.txt")
import json
from replicate_widget.widgets.playground.widget import Playground
schema = json.loads(pathlib.Path(sys.argv[2]).read_text())["openapi_schema"]
pg = Playground._from_schema(schema, model="stability-ai/sdxl")
pg.send = lambda content, buffers=None: None
pg._handle_custom_msg({"kind": "begin", "rid": 1, "session": "s", "id": "image:1", "name": "dropped.png",
                    "size": 100, "type": "image/png"}, [])
pg._handle_custom_msg({"kind": "chunk", "rid": 2, "session": "s", "id": "image:1", "offset": 0},
               [memoryview(b"p" * 50)])
spooled = sorted(p.name for p in pathlib.Path(os.environ["TMPDIR"]).rglob("*") if p.is_file())
print("spooled", spooled, flush=True)
MODE = sys.argv[1]
if MODE == "close":
    w.close()
    pg.close()
    mine.release()
    print("after close", sorted(pathlib.Path(os.environ["TMPDIR"]).rglob("*")), flush=True)
elif MODE == "wait":
    time.sleep(120)
"""


@pytest.mark.parametrize("mode", ["close", "exit"])
def test_widget_close_and_normal_exit_leave_nothing(tmp_path, mode):
    child = Child(_SCRIPT, tmp_path, args=[mode, SCHEMA])
    assert child.wait_for("spooled") == "spooled ['cut.bin', 'dropped.png', 'mine.txt', 'whole.bin']"
    if mode == "close":
        assert child.wait_for("after close") == "after close []"
    assert child.finish() == 0, child.stderr()
    assert child.left_behind() == []


@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGINT, -signal.SIGINT), (signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, -signal.SIGHUP)],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_signals_leave_nothing_and_still_end_the_process(tmp_path, sig, status):
    child = Child(_SCRIPT, tmp_path, args=["wait", SCHEMA])
    child.wait_for("spooled")
    assert child.left_behind()  # the files are there until the signal
    os.kill(child.proc.pid, sig)
    # SIGTERM and SIGHUP still kill the process, as without the handlers: only the files are gone.
    assert child.finish() == status
    assert child.left_behind() == []


_IGNORING = """
import signal, time
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup does
calls = []
signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))  # someone's own handler
import replicate_widget as rw
rw.LocalFile.from_bytes(b"abc")
print("ready", flush=True)
deadline = time.monotonic() + 60
while not calls and time.monotonic() < deadline:
    time.sleep(0.01)
import os
print("handled", calls, len(os.listdir(os.environ["TMPDIR"])), flush=True)
"""


def test_handlers_already_there_are_kept(tmp_path):
    child = Child(_IGNORING, tmp_path)
    child.wait_for("ready")
    os.kill(child.proc.pid, signal.SIGHUP)  # ignored before: still ignored
    os.kill(child.proc.pid, signal.SIGTERM)  # the files go, then the program's own handler runs
    assert child.wait_for("handled") == f"handled [{int(signal.SIGTERM)}] 0"
    assert child.finish() == 0
    assert child.left_behind() == []


_FORKED = """
import os, pathlib, signal, time
import replicate_widget as rw
mine = rw.LocalFile.from_bytes(b"the parent's", name="parent.txt")
child = os.fork()
if child == 0:  # a worker process (multiprocessing forks too): inherits the LocalFile and the handlers
    del mine  # its finalizer runs here, in the child
    time.sleep(60)
    os._exit(0)
time.sleep(0.5)
os.kill(child, signal.SIGTERM)  # as multiprocessing's Pool.terminate() does
_, status = os.waitpid(child, 0)
print("child", os.waitstatus_to_exitcode(status), mine.path.exists(), flush=True)
"""


def test_a_forked_child_never_removes_its_parents_files(tmp_path):
    child = Child(_FORKED, tmp_path)
    assert child.wait_for("child") == f"child {-signal.SIGTERM} True"
    assert child.finish() == 0, child.stderr()
    assert child.left_behind() == []  # and the parent's own exit still removes them
