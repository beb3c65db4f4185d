"""FileInput over slow, far links: one JupyterLab + headless Chromium behind the throttling proxy.

Chromium reaches the Jupyter server only through tests/browser/throttle.py (one shared uplink at a set rate,
half the round trip of delay each way). For each link setting it prints:
  link used      file bytes / (pick-to-ready time x link rate), for one undisturbed transfer, the first on a
                 freshly loaded page (so it starts from the flow's small first window)
  print cell     the worst of three `print` requests made at 20, 40 and 60 % of that transfer (seconds from
                 request to reply, on the notebook's kernel connection, the one the file bytes share), and
                 the median of three made while idle
  after a cut    uplink bytes from pick to ready / the file's size, every connection cut once at 50 %
  after reload   at 50 % every connection is cut and the page reloaded (so bytes the old page had queued
                 die with it, as they do when a page unloads, instead of draining first through the shared
                 uplink ahead of the reload's own requests); then the same file is picked again: uplink
                 bytes from the re-pick to ready / the part the kernel did not hold yet

File sizes follow the rate so each transfer lasts the same time at the link's rate: 8.4 s by default, as the
issue's own 40 MiB at 40 Mbit/s did (5 MiB at 5 Mbit/s, 20 at 20, 100 at 100). Link used counts the first
round trip and the climb from the first small window, about 0.6 to 0.8 s at 150 ms whatever the size, so it
depends on the length: `--seconds 5.4` gives the sizes of earlier rounds at 100 Mbit/s (64 MiB). The whole
run takes about eight minutes on two cores.

Playwright sets up the notebook; the page measured is then a Chromium no Playwright is attached to
(tests/browser/bare_chromium.py says why: Playwright's attachment costs the page's websocket traffic several
times its own CPU).

Run: python benchmarks/slow_links.py [--label NAME] [--only 5/20,100/150]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from bare_chromium import BarePage, PageError, open_page  # noqa: E402
from harness import ANSWER_SECONDS_JS, CHROMIUM, CHROMIUM_ARGS, EXECUTE_JS, start_lab  # noqa: E402
from throttle import Link  # noqa: E402

from replicate_widget.local import serve  # noqa: E402

MiB = 1024 * 1024
SETTINGS = [(5, 20), (5, 150), (20, 20), (20, 150), (100, 20), (100, 150)]
TRANSFER_S = 8.4  # each file lasts this long at its link's rate


def size_mib(rate_mbit: int, seconds: float) -> int:
    return max(1, round(rate_mbit * 1e6 / 8 * seconds / MiB))


SETUP = "import replicate_widget as rw\nw = rw.FileInput(upload='on-run')\nw"
ROWS = "document.querySelectorAll(`${scope} .rw-entry`)"  # in a page function given `scope`


@dataclass
class Row:
    rate: int
    rtt: int
    size: int
    link_used: float
    idle: float
    worst: float
    after_cut: float | str
    after_reload: float | str


def make_file(folder: Path, size_mib: int) -> Path:
    path = folder / f"far-{size_mib}.bin"
    if not path.exists():
        with path.open("wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(MiB))
    return path


class Unfinished(Exception):
    """The transfer ended in an error, or stopped moving."""


class FarNotebook:
    """The measured notebook, in a Chromium no Playwright is attached to (tests/browser/bare_chromium.py)."""

    def __init__(self, page: BarePage) -> None:
        self.page = page
        self.scope = "body"  # CSS selector of the notebook's panel, known once it is open

    def wait_open(self) -> None:
        """Until the notebook's kernel is connected and idle and the widget is on the page."""
        panel = self.page.wait_for(
            """() => {
                if (window.__rwLeaving) return null;  // still the page being reloaded
                const w = window.jupyterapp?.shell.currentWidget;
                const k = w?.sessionContext?.session?.kernel;
                return k?.connectionStatus === 'connected' && k.status === 'idle' ? w.id : null;
            }""",
            timeout=60,
        )
        self.scope = f'[id="{panel}"]'
        self.page.wait_for("(scope) => !!document.querySelector(`${scope} .rw-file`)", self.scope, timeout=60)

    def reload(self) -> None:
        """Reload the page (the notebook was saved with the widget's output, so it renders again)."""
        self.page.evaluate("() => { window.__rwLeaving = true; }")
        self.page.reload()
        self.wait_open()

    def execute(self, code: str, timeout_s: float = 120) -> str:
        result = self.page.evaluate(EXECUTE_JS, [code, int(timeout_s * 1000)])
        if result.get("late") or result.get("err"):
            raise Unfinished(f"{code!r}: {result.get('err') or 'no answer'}")
        return str(result["out"])

    def print_latency(self) -> float:
        took = float(self.page.evaluate(ANSWER_SECONDS_JS, ["print(1)", 120_000]))
        if took < 0:
            raise Unfinished("print(1) got no answer")
        return took

    def rows(self) -> int:
        return int(self.page.evaluate(f"(scope) => {ROWS}.length", self.scope))

    def clear(self) -> None:
        self.execute("w.clear()")
        self.page.wait_for(f"(scope) => {ROWS}.length === 0", self.scope)

    def pick(self, path: Path) -> None:
        self.page.set_input_files(f"{self.scope} .rw-file", path)

    def wait_ready(self, timeout_s: float, older_rows: int = 0) -> None:
        """Until an entry is ready. Unfinished: an entry after the ``older_rows`` first (those a reload left
        in an error) shows an error, or nothing is ready in time."""
        try:
            state = self.page.wait_for(
                f"""([scope, older]) => {{
                    const rows = Array.from({ROWS});
                    if (rows.some(r => r.dataset.state === 'ready')) return 'ready';
                    const failed = rows.slice(older).find(r => r.dataset.state === 'error');
                    return failed ? failed.querySelector('.rw-state').textContent : '';
                }}""",
                [self.scope, older_rows],
                timeout=timeout_s,
                poll=0.02,
            )
        except PageError as exc:
            raise Unfinished(f"not ready after {timeout_s:.0f} s") from exc
        if state != "ready":
            raise Unfinished(str(state))


def wait_uplink(link: Link, start: int, upto: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while link.uplink_bytes - start < upto:
        if time.monotonic() > deadline:
            raise Unfinished(f"stalled at {link.uplink_bytes - start:,} bytes")
        time.sleep(0.01)


def patience(size: int, rate: int) -> float:
    """How long to wait before calling a transfer stuck: three times the link's own time, plus 30 s."""
    return 3 * size * 8 / (rate * 1e6) + 30


def plain_transfer(link: Link, nb: FarNotebook, path: Path, rate: int) -> tuple[float, list[float]]:
    """Link used, and the latencies of print requests made at 20, 40 and 60 % of the file's bytes."""
    size = path.stat().st_size
    nb.clear()
    start = link.uplink_bytes
    t0 = time.perf_counter()
    nb.pick(path)
    latencies = []
    for share in (0.2, 0.4, 0.6):
        wait_uplink(link, start, int(size * share), patience(size, rate))
        latencies.append(nb.print_latency())
    nb.wait_ready(patience(size, rate))
    took = time.perf_counter() - t0
    return size / took / (rate * 1e6 / 8), latencies


def cut_transfer(link: Link, nb: FarNotebook, path: Path, rate: int) -> float:
    size = path.stat().st_size
    nb.clear()
    start = link.uplink_bytes
    nb.pick(path)
    wait_uplink(link, start, size // 2, patience(size, rate))
    link.cut()
    nb.wait_ready(patience(size, rate))
    return (link.uplink_bytes - start) / size


def reload_transfer(link: Link, nb: FarNotebook, path: Path, rate: int) -> float:
    size = path.stat().st_size
    nb.clear()
    start = link.uplink_bytes
    nb.pick(path)
    wait_uplink(link, start, size // 2, patience(size, rate))
    link.cut()
    nb.reload()
    held = float(nb.execute("print(max([e['progress'] for e in w.entries], default=0))")) * size
    rows = nb.rows()
    start = link.uplink_bytes
    nb.pick(path)
    nb.wait_ready(patience(size, rate), older_rows=rows)
    return (link.uplink_bytes - start) / max(1.0, size - held)


def measure(link: Link, nb: FarNotebook, folder: Path, rate: int, rtt: int, seconds: float) -> Row:
    link.set(rate, rtt)
    path = make_file(folder, size_mib(rate, seconds))
    # A fresh page, so the transfer starts from what a first file knows (nothing), not from a rate the
    # previous setting's transfers taught the page.
    nb.reload()
    t0 = time.perf_counter()
    idle = statistics.median(nb.print_latency() for _ in range(3))
    used, latencies = plain_transfer(link, nb, path, rate)
    t1 = time.perf_counter()
    after_cut = attempt(nb, lambda: cut_transfer(link, nb, path, rate))
    t2 = time.perf_counter()
    after_reload = attempt(nb, lambda: reload_transfer(link, nb, path, rate))
    t3 = time.perf_counter()
    row = Row(rate, rtt, size_mib(rate, seconds), used, idle, max(latencies), after_cut, after_reload)
    print(
        f"  {rate} Mbit/s {rtt} ms: used {used:.2f}, print {[round(x, 2) for x in latencies]} s "
        f"(idle {idle:.2f}), after a cut {ratio(after_cut, 'file')}, "
        f"after reload {ratio(after_reload, 'missing')} "
        f"[{t1 - t0:.0f} + {t2 - t1:.0f} + {t3 - t2:.0f} s]",
        flush=True,
    )
    return row


def attempt(nb: FarNotebook, run: Callable[[], float]) -> float | str:
    """The ratio, or why the transfer did not finish (the widget's own words); then a fresh page."""
    try:
        return run()
    except Unfinished as exc:
        nb.reload()
        return f"did not finish: {exc}"


def ratio(value: float | str, of: str) -> str:
    return f"{value:.2f} x {of}" if isinstance(value, float) else value


def table(rows: list[Row], label: str) -> str:
    lines = [
        f"{label}:",
        "",
        "| link | file | link used | worst `print` during transfer (idle) | uplink after a cut "
        "| uplink after reload + re-pick |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.rate} Mbit/s, {r.rtt} ms | {r.size} MiB | {r.link_used:.2f} "
            f"| {r.worst:.2f} s ({r.idle:.2f} s) "
            f"| {ratio(r.after_cut, 'file')} | {ratio(r.after_reload, 'missing')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--label", default="FileInput")
    parser.add_argument("--only", default="", help="settings as RATE/RTT, comma separated")
    parser.add_argument(
        "--seconds", type=float, default=TRANSFER_S, help="how long each file lasts at its link's rate"
    )
    args = parser.parse_args()
    settings = SETTINGS
    if args.only:
        settings = [(int(a), int(b)) for a, b in (s.split("/") for s in args.only.split(","))]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="rw-far-") as folder,
        serve() as srv,
        start_lab(srv.base_url, srv.token, throttled=True) as lab,
    ):
        assert lab.link is not None
        setup = lab.notebook("far.ipynb", [SETUP])
        setup.widget()
        setup.save()  # a page opened on it renders the widget's output again
        setup.page.close()  # the kernel stays; the measured page is a bare Chromium's
        url = f"{lab.base_url}/lab/tree/far.ipynb?reset&token={lab.token}"
        with open_page(url, CHROMIUM, CHROMIUM_ARGS) as page:
            nb = FarNotebook(page)
            nb.wait_open()
            for rate, rtt in settings:
                rows.append(measure(lab.link, nb, Path(folder), rate, rtt, args.seconds))
    print()
    print(table(rows, args.label))


if __name__ == "__main__":
    main()
