"""Fault soak: at least 1 GiB through rw.FileInput in JupyterLab + headless Chromium, faults at random points.

One local server, one JupyterLab behind the throttling proxy (tests/browser/throttle.py, no rate limit: it is
here to cut sockets), one notebook holding ``w = rw.FileInput(upload="eager")``. Each round picks a file
(random bytes, 8 to 100 MiB) and injects one fault at a random point of its transfer:
  cut       every socket between browser and Jupyter closed (the page reconnects and resumes)
  reload    the page reloaded mid-transfer (the entry must pause, or say it was lost; the same file is
            then picked again and goes on from what the kernel holds)
  restart   the kernel restarted mid-transfer (the entry must end in an error; the widget is made again)
  429 / 503 the local server refuses the eager upload (429 is retried; 503 leaves the file ready with a
            clear "upload failed, run will retry")
  none      no fault
After each round whose file arrived, it is run through demo/file-info (which reports the sha256 the model
received) with a fault during the run: 429 on the create, 503 on a poll, 500 on the create (a clear APIError,
nothing created), a socket cut, or a page reload.

Counted: files that reported ready (each checked: the sha256 the kernel reports, and the spool file hashed
again in the kernel, against the file on disk), transfers that ended in a clear lost/error state, bytes
corrupted (must be 0), runs that succeeded with the right sha256 or ended in a clear error, and predictions
canceled although nothing asked for it (must be 0: the soak never cancels).

Run: python benchmarks/fault_soak.py [--gib 1] [--seed 9] [--max-minutes 40]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

import httpx  # noqa: E402
from harness import Lab, Notebook, start_lab  # noqa: E402

from replicate_widget.local import serve  # noqa: E402

MiB = 1024 * 1024
SETUP = "import replicate_widget as rw\nw = rw.FileInput(upload='eager')\nw"
ROWS = "Array.from(document.querySelectorAll(`{scope} .rw-entry`))"
TRANSFER_FAULTS = ["cut", "reload", "restart", "429", "503", "none"]
RUN_FAULTS = ["429-create", "503-poll", "500-create", "cut", "reload", "none"]
CREATE = "POST /v1/models/demo/file-info/predictions"
# Defined in the kernel (again after a restart): each ready file's reported sha256, its spool file hashed
# again from disk, and its size.
KERNEL_HELPERS = """
import hashlib as _hashlib
def _soak_files():
    out = []
    for f in w.files:
        h = _hashlib.sha256()
        with open(f.path, 'rb') as fh:
            for block in iter(lambda: fh.read(1 << 20), b''):
                h.update(block)
        out.append((f.sha256, h.hexdigest(), f.size))
    return out
"""


@dataclass
class Tally:
    rounds: int = 0
    bytes_ready: int = 0
    ready: int = 0
    ready_sha_ok: int = 0
    lost_clear: int = 0
    paused_resumed: int = 0
    lost_unclear: int = 0
    corrupted_bytes: int = 0
    upload_errors_shown: int = 0
    runs_ok: int = 0
    runs_clear_error: int = 0
    runs_lost_row: int = 0
    runs_wrong: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.0f} s] {message}", flush=True)


def make_pool(folder: Path, rng: random.Random, count: int) -> list[tuple[Path, str]]:
    pool = []
    for i in range(count):
        size = rng.randint(8 * MiB, 100 * MiB)
        path = folder / f"soak-{i}-{size}.bin"
        digest = hashlib.sha256()
        with path.open("wb") as f:
            left = size
            while left:
                block = os.urandom(min(left, 4 * MiB))
                digest.update(block)
                f.write(block)
                left -= len(block)
        pool.append((path, digest.hexdigest()))
    return pool


class Soak:
    def __init__(self, srv: Any, lab: Lab, rng: random.Random, tally: Tally) -> None:
        self.srv, self.lab, self.rng, self.t = srv, lab, rng, tally
        self._decks: dict[str, list[str]] = {}
        self.forced_order: list[
            str
        ] = []  # --faults: the transfer faults to use, in this order, over and over
        self.nb: Notebook = lab.notebook("soak.ipynb", [SETUP])
        self.nb.widget()
        self.nb.execute(KERNEL_HELPERS)
        self.nb.save()  # a reloaded page renders the widget again from the saved output

    def draw(self, kinds: list[str]) -> str:
        """The next fault: each kind once per len(kinds) draws, in a random order (a shuffled deck)."""
        deck = self._decks.setdefault(kinds[0], [])
        if not deck:
            forced = self.forced_order if kinds is TRANSFER_FAULTS else []
            deck.extend(reversed(forced) if forced else self.rng.sample(kinds, len(kinds)))
        return deck.pop()

    # ---- the page
    def rescope(self) -> None:
        self.nb.scope = f'[id="{self.nb.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")}"]'
        self.nb.widget()

    def newest(self) -> dict[str, str]:
        got: dict[str, str] = self.nb.page.evaluate(
            f"""() => {{ const rows = {ROWS.format(scope=self.nb.scope)};
                const r = rows[rows.length - 1];
                if (!r) return {{}};
                return {{state: r.dataset.state, text: r.querySelector('.rw-state').textContent}}; }}"""
        )
        return got

    def settle(self, timeout: float = 300) -> dict[str, str]:
        """Until the newest entry is ready, uploaded or in error (its upload finished either way)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.newest()
            state = row.get("state")
            if state in ("uploaded", "error") or (state == "ready" and self.upload_settled()):
                return row
            time.sleep(0.1)
        return {"state": "stuck", "text": f"not settled after {timeout:.0f} s"}

    def upload_settled(self) -> bool:
        """An eager upload may still start after 'ready': settled once it is done or has said it failed."""
        return bool(
            self.nb.execute_json(
                "all(e.upload is None or e.upload.done() for e in w._zone.entries())", timeout=60
            )
        )

    def wait_uplink(self, start: int, upto: int, timeout: float = 300) -> bool:
        assert self.lab.link is not None
        deadline = time.monotonic() + timeout
        while self.lab.link.uplink_bytes - start < upto:
            if self.newest().get("state") in ("ready", "uploaded", "error") or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def pick(self, path: Path) -> None:
        self.nb.page.locator(f"{self.nb.scope} .rw-file").first.set_input_files(str(path))

    def reload(self) -> None:
        assert self.lab.link is not None
        self.lab.link.cut()  # bytes the old page had queued die with it, as when a page unloads
        self.nb.page.reload()
        log("    page reloaded")
        self.nb.wait_idle(timeout=120)
        self.rescope()
        log("    widget shown again")

    def restart(self) -> None:
        self.nb.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"
        )
        self.nb.wait_idle(timeout=120)

    def remake_widget(self) -> None:
        self.nb.run_cell(0, timeout=120)
        self.rescope()
        self.nb.execute(KERNEL_HELPERS)
        self.nb.save()

    # ---- checks in the kernel
    def check_ready(self, expected: str, size: int) -> None:
        files = self.nb.execute_json("_soak_files()", timeout=120)
        for reported, rehashed, got_size in files:
            self.t.ready += 1
            self.t.bytes_ready += got_size
            if reported == expected == rehashed and got_size == size:
                self.t.ready_sha_ok += 1
            else:
                self.t.corrupted_bytes += size
                self.t.notes.append(f"round {self.t.rounds}: ready with the wrong bytes")

    # ---- one round
    def transfer(self, path: Path, expected: str) -> bool:
        """Pick ``path`` with a fault injected; True when the file ended ready in the kernel."""
        assert self.lab.link is not None
        size = path.stat().st_size
        fault = self.draw(TRANSFER_FAULTS)
        self.nb.execute("w.clear()", timeout=60)
        if fault == "429":
            self.srv.faults.rate_limit("POST /v1/files", times=2, retry_after=0.5)
        elif fault == "503":
            self.srv.faults.fail("POST /v1/files", status=503)
        start = self.lab.link.uplink_bytes
        self.pick(path)
        landed = True
        if fault in ("cut", "reload", "restart"):
            landed = self.wait_uplink(start, int(size * self.rng.uniform(0.1, 0.9)))
        self.t.faults[f"transfer:{fault}" if landed else f"transfer:{fault} (file arrived first)"] += 1
        log(f"  transfer of {size / MiB:.0f} MiB: {fault}{'' if landed else ' (file arrived first)'}")
        if landed and fault == "cut":
            self.lab.link.cut()
        elif landed and fault == "reload":
            self.reload()
            outcome = self.clear_loss(timeout=30)
            if outcome == "unclear":  # a stuck row: the user removes it, as they would
                self.nb.execute("w.clear()", timeout=60)
            if outcome != "arrived":
                self.pick(path)  # the same file again: a paused entry goes on in place
            if outcome == "paused":
                rows = self.settle()
                if rows.get("state") in ("ready", "uploaded") and len(self.nb.execute_json("w.entries")) == 1:
                    self.t.paused_resumed += 1
        elif landed and fault == "restart":
            self.restart()
            self.clear_loss()
            self.remake_widget()
            return False  # whatever had arrived went with the kernel
        row = self.settle()
        log(f"  settled: {row}")
        self.srv.faults.clear()
        if row.get("state") in ("ready", "uploaded"):
            errors = self.nb.execute_json("[e['error'] for e in w.entries]")
            if fault == "503" and "upload failed, run will retry" in errors[-1]:
                self.t.upload_errors_shown += 1
            self.check_ready(expected, size)
            return True
        self.count_loss(row)
        return False

    def clear_loss(self, timeout: float = 120) -> str:
        """After a reload or restart mid-transfer: "lost" when the entry ended in an error saying to pick
        again, "arrived" when the file had got there before the fault landed, else "unclear"."""
        deadline = time.monotonic() + timeout
        row: dict[str, str] = {}
        while time.monotonic() < deadline:
            row = self.newest()
            if row.get("state") in ("error", "ready", "uploaded", "paused"):
                break
            time.sleep(0.1)
        log(f"    after the fault: {row}")
        if row.get("state") in ("ready", "uploaded"):
            return "arrived"
        if row.get("state") == "paused":
            return "paused"
        return "lost" if self.count_loss(row) else "unclear"

    def count_loss(self, row: dict[str, str]) -> bool:
        text = row.get("text", "")
        if row.get("state") == "error" and ("pick" in text or "lost" in text):
            self.t.lost_clear += 1
            return True
        self.t.lost_unclear += 1
        self.t.notes.append(f"round {self.t.rounds}: ended {row}")
        return False

    def run(self, expected: str) -> None:
        fault = self.draw(RUN_FAULTS)
        self.t.faults[f"run:{fault}"] += 1
        log(f"  run: {fault}")
        if fault == "429-create":
            self.srv.faults.rate_limit(CREATE, times=2, retry_after=0.5)
        elif fault == "503-poll":
            self.srv.faults.fail("GET /v1/predictions/", status=503, times=2)
        elif fault == "500-create":
            self.srv.faults.fail(CREATE, status=500)
        code = (
            "result = None\ntry:\n    result = {'sha256': w.run('demo/file-info', wait=1)['sha256']}\n"
            "except rw.ReplicateWidgetError as exc:\n"
            "    result = {'error': type(exc).__name__ + ': ' + str(exc)}"
        )
        self.nb.page.evaluate(
            """(code) => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel
                 .requestExecute({code, silent: false, store_history: false})""",
            code,
        )
        time.sleep(self.rng.uniform(0.2, 2.0))
        if fault == "cut":
            assert self.lab.link is not None
            self.lab.link.cut()
        elif fault == "reload":
            self.reload()
        result = self.nb.execute_json("result", timeout=300)  # queued behind the run on the kernel
        self.srv.faults.clear()
        log(f"  run ended: {result}")
        if result and result.get("sha256") == expected:
            self.t.runs_ok += 1
        elif result and "error" in result and fault == "500-create" and "HTTP 500" in result["error"]:
            self.t.runs_clear_error += 1
        elif result and "did not arrive whole" in result.get("error", ""):
            self.t.runs_lost_row += 1  # the reload's lost row is still listed beside the re-picked file
        else:
            self.t.runs_wrong += 1
            self.t.notes.append(f"round {self.t.rounds}: run with {fault} gave {result}")


def predictions_canceled(srv: Any) -> tuple[int, Counter[str]]:
    statuses: Counter[str] = Counter()
    url: str | None = f"{srv.base_url}/v1/predictions"
    with httpx.Client(headers={"authorization": f"Bearer {srv.token}"}, timeout=60) as http:
        while url:
            page = http.get(url).json()
            statuses.update(p["status"] for p in page["results"])
            url = page.get("next")
    return statuses["canceled"], statuses


def table(t: Tally, canceled: int, statuses: Counter[str], minutes: float, seed: int) -> str:
    gib = t.bytes_ready / 1024**3
    rows = [
        ("rounds (one file each)", f"{t.rounds}"),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in sorted(t.faults.items()))),
        ("files that reported ready", f"{t.ready} ({gib:.2f} GiB), {t.ready_sha_ok} with the right sha256"),
        ("transfers that ended in a clear lost/error state", f"{t.lost_clear}"),
        ("transfers paused by a reload that a re-pick resumed in place", f"{t.paused_resumed}"),
        ("transfers that ended any other way", f"{t.lost_unclear}"),
        ("bytes corrupted", f"{t.corrupted_bytes}"),
        ("eager uploads refused (503), the row saying so", f"{t.upload_errors_shown}"),
        ("runs with the right sha256", f"{t.runs_ok}"),
        ("runs that ended in the injected HTTP 500 (nothing created)", f"{t.runs_clear_error}"),
        ("runs refused (TransferError) because the reload's lost row was still listed", f"{t.runs_lost_row}"),
        ("runs with a wrong result or an unclear end", f"{t.runs_wrong}"),
        ("predictions wrongly canceled", f"{canceled} (of {sum(statuses.values())}: {dict(statuses)})"),
    ]
    lines = [f"Fault soak, seed {seed}, {minutes:.1f} min:", "", "| | |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gib", type=float, default=1.0, help="bytes to get through, ready and checked")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--pool", type=int, default=6, help="distinct files (picked again and again)")
    parser.add_argument("--max-minutes", type=float, default=40)
    parser.add_argument("--faults", default="", help="transfer faults in this order, e.g. reload,restart")
    args = parser.parse_args()
    # SIGTERM ends the run like Ctrl-C: JupyterLab, Chromium and the temporary files are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    tally = Tally()
    t0 = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="rw-soak-") as folder,
        serve() as srv,
        start_lab(srv.base_url, srv.token, throttled=True) as lab,
    ):
        pool = make_pool(Path(folder), rng, args.pool)
        log(f"{len(pool)} files ready to pick; JupyterLab at {lab.base_url}")
        soak = Soak(srv, lab, rng, tally)
        soak.forced_order = [f for f in args.faults.split(",") if f]
        log("notebook open")
        while tally.bytes_ready < args.gib * 1024**3 and time.monotonic() - t0 < args.max_minutes * 60:
            tally.rounds += 1
            path, expected = rng.choice(pool)
            ready = soak.transfer(path, expected)
            log(f"round {tally.rounds}: ready={ready}, {tally.bytes_ready / MiB:.0f} MiB so far")
            if ready:
                soak.run(expected)
        canceled, statuses = predictions_canceled(srv)
        soak.nb.close()
    print()
    print(table(tally, canceled, statuses, (time.monotonic() - t0) / 60, args.seed))
    for note in tally.notes:
        print("note:", note)


if __name__ == "__main__":
    main()
