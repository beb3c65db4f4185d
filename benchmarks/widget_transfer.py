"""FileInput transfer benchmark, in one JupyterLab + headless Chromium session against the local server.

Prints:
  1. pick-to-ready of a 100 MiB file through FileInput (chunks of up to 4 MiB, flow by time) next to one 9 MiB
     message (the channel's own speed, the biggest single message Jupyter lets through), as MB/s and a ratio;
  2. the kernel's peak RSS growth while those 100 MiB arrive (target: under 32 MiB);
  3. ipywidgets' FileUpload on 9 / 30 / 100 MiB files: how it fails from 10 MiB (websocket close codes);
  4. the time from calling w.run on a 100 MiB file dropped a few seconds earlier to the prediction's create
     request at the server (target: under 0.2 s, the upload having happened already).

Run: /work/venv/bin/python benchmarks/widget_transfer.py   (about two minutes on two cores)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from harness import start_lab  # noqa: E402

from replicate_widget.local import serve  # noqa: E402

MiB = 1024 * 1024
RUNS = 3

SETUP = r'''
import hashlib, threading, time, anywidget, ipywidgets, psutil
import replicate_widget as rw

class Probe(anywidget.AnyWidget):
    """One file, one message: what the channel does without chunking."""
    _esm = """
    export default { render({ model, el }) {
      const input = document.createElement('input');
      input.type = 'file'; input.className = 'probe-file'; el.append(input);
      el.className = 'probe'; el.dataset.seq = '0';
      model.on('msg:custom', (m) => { el.dataset.done = String(m.seq); });
      input.addEventListener('change', async () => {
        const f = input.files[0]; input.value = '';
        const seq = Number(el.dataset.seq) + 1; el.dataset.seq = String(seq);
        model.send({ seq }, undefined, [await f.arrayBuffer()]);
      });
    } };
    """
    def __init__(self):
        super().__init__()
        self.on_msg(self._got)
    def _got(self, _w, content, buffers):
        self.last = (len(buffers[0]), hashlib.sha256(buffers[0]).hexdigest())
        self.send({"seq": content["seq"]})

class Peak:
    """Samples this kernel's RSS every 5 ms in a thread (the shell thread is busy receiving)."""
    def __init__(self):
        self.proc = psutil.Process(); self.base = self.proc.memory_info().rss; self.peak = self.base
        self.on = True; threading.Thread(target=self._loop, daemon=True).start()
    def _loop(self):
        while self.on:
            self.peak = max(self.peak, self.proc.memory_info().rss); time.sleep(0.005)
    def stop(self):
        self.on = False; return (self.peak - self.base) / 2**20

w = rw.FileInput(upload="on-run")
probe = Probe()
up = ipywidgets.FileUpload()
w2 = rw.FileInput()
'''
CELLS = [SETUP, "w", "probe", "up", "w2"]
WS_SPY = """
window.__wsCloses = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...a) { super(...a); this.addEventListener('close', (e) => window.__wsCloses.push(e.code)); }
};
"""


def make_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with path.open("wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
    return path


def mbps(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as folder:
        run(Path(folder))


def run(tmp: Path) -> None:
    f9, f30, f100 = (make_file(tmp, f"f{n}.bin", n * MiB) for n in (9, 30, 100))
    with serve() as srv, start_lab(srv.base_url, srv.token) as lab:
        created_at: dict[int, float] = {}
        original_start = srv.log.start

        def timed_start(method: str, path: str, headers: dict[str, str]) -> dict[str, object]:
            entry = original_start(method, path, headers)
            created_at[id(entry)] = time.time()
            return entry

        srv.log.start = timed_start  # type: ignore[method-assign]
        lab.context.add_init_script(WS_SPY)
        nb = lab.notebook("bench.ipynb", CELLS)
        page = nb.page
        scope = nb.scope

        def pick(selector: str, path: Path, nth: int = 0) -> None:
            page.locator(f"{scope} {selector}").nth(nth).set_input_files(str(path))

        # 1. one 9 MiB message
        single = []
        for i in range(RUNS):
            t0 = time.perf_counter()
            pick(".probe-file", f9)
            page.wait_for_function(
                f"() => document.querySelector(`{scope} .probe`).dataset.done === '{i + 1}'", timeout=60_000
            )
            single.append(time.perf_counter() - t0)
        assert nb.execute_json("probe.last[0]") == 9 * MiB

        # 2. 100 MiB through FileInput, with the kernel's memory sampled
        chunked, growth = [], []
        for _ in range(RUNS):
            nb.execute("w.clear(); peak = Peak()")
            page.wait_for_function(f"() => document.querySelectorAll(`{scope} .rw-entry`).length === 0")
            t0 = time.perf_counter()
            pick(".rw-file", f100)
            page.wait_for_function(
                f"""() => {{ const r = document.querySelector(`{scope} .rw-entry`);
                    return r && r.dataset.state === 'ready'; }}""",
                timeout=120_000,
            )
            chunked.append(time.perf_counter() - t0)
            growth.append(float(nb.execute("print(peak.stop())")))
            assert nb.execute_json("w.files[0].size") == 100 * MiB

        s9, s100 = statistics.median(single), statistics.median(chunked)
        print(f"single 9 MiB message: {[round(x, 3) for x in single]} s -> {mbps(9 * MiB, s9):.1f} MB/s")
        print(f"FileInput 100 MiB:    {[round(x, 2) for x in chunked]} s -> {mbps(100 * MiB, s100):.1f} MB/s")
        print(f"ratio FileInput / single message: {mbps(100 * MiB, s100) / mbps(9 * MiB, s9):.2f}")
        print(f"kernel peak RSS growth for 100 MiB: {[round(g, 1) for g in growth]} MiB (target < 32)")

        # 3. ipywidgets FileUpload on the same files
        for path in (f9, f30, f100):
            size = path.stat().st_size
            closes_before = page.evaluate("() => window.__wsCloses.length")
            t0 = time.perf_counter()
            # FileUpload's <input> is never attached to the page: go through its button's file chooser.
            with page.expect_file_chooser() as chooser:
                page.locator(f"{scope} .widget-upload").click()
            chooser.value.set_files(str(path))
            outcome = "no value in the kernel after 30 s"
            while time.perf_counter() - t0 < 30:
                try:
                    got = nb.execute_json("up.value[0].size if up.value else 0", timeout=10)
                except Exception:  # the kernel socket is reconnecting
                    got = 0
                if got == size:
                    outcome = f"arrived in {time.perf_counter() - t0:.2f} s"
                    break
                page.wait_for_timeout(300)
            closes = page.evaluate(f"() => window.__wsCloses.slice({closes_before})")
            print(f"ipywidgets FileUpload {size // MiB} MiB: {outcome}; websocket closes: {closes or 'none'}")
            nb.wait_idle()

        # 4. w.run on a 100 MiB file dropped a few seconds earlier
        srv.log.clear()
        pick(".rw-file", f100, nth=1)
        page.wait_for_function(
            f"""() => {{ const r = document.querySelectorAll(`{scope} .rw-file-input`)[1]
                    ?.querySelector('.rw-entry'); return r && r.dataset.state === 'uploaded'; }}""",
            timeout=180_000,
        )
        time.sleep(3)
        t_call = float(
            nb.execute("import time as _t\n_t0 = _t.time()\nout = w2.run('demo/file-info')\nprint(_t0)")
        )
        create = next(
            e for e in srv.log.entries if e["method"] == "POST" and e["path"].endswith("/predictions")
        )
        uploads = [
            e
            for e in srv.log.entries
            if e["method"] == "POST" and e["path"] == "/v1/files" and created_at[id(e)] >= t_call
        ]
        delay = created_at[id(create)] - t_call
        print(f"w.run -> create request: {delay * 1000:.0f} ms (target < 200 ms)")
        print(f"uploads during the run: {len(uploads)}")
        print(f"input arrived as: {create['inputs']['file']['kind']}, sha256 ok: "
              f"{create['inputs']['file']['sha256'] == nb.execute_json('w2.files[0].sha256')}")  # fmt: skip
        nb.close()


if __name__ == "__main__":
    main()
