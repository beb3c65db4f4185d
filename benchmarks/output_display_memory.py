"""Memory and bytes read to display FileOutputs of a 150 MiB video, a 30 MiB image and a 5.6 MiB photo.

Each file is served from a temporary folder by http.server on 127.0.0.1 (HEAD and Content-Length as any
file host). Peak Python allocations while building the display (tracemalloc), and the body bytes the
server sent. Run: python benchmarks/output_display_memory.py  (PYTHONPATH decides which code is measured)
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
import threading
import time
import tracemalloc
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

import replicate_widget as rw

MiB = 1024 * 1024
sent = {"bytes": 0}


class Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def copyfile(self, source, outputfile):
        try:
            while chunk := source.read(64 * 1024):
                outputfile.write(chunk)
                sent["bytes"] += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


def files(folder: Path) -> dict[str, int]:
    with (folder / "clip.mp4").open("wb") as out:
        for _ in range(150):
            out.write(os.urandom(MiB))
    (folder / "huge.png").write_bytes(os.urandom(30 * MiB))
    photo = io.BytesIO()
    Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3)).save(photo, "PNG")
    (folder / "photo.png").write_bytes(photo.getvalue())
    return {p.name: p.stat().st_size for p in folder.iterdir()}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sizes = files(Path(tmp))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=tmp))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        print(f"code measured: {Path(rw.__file__).parent}")
        print(f"{'file':<10} {'size MiB':>9} {'peak MiB':>9} {'sent MiB':>9} {'seconds':>8}")
        for name in ("clip.mp4", "huge.png", "photo.png"):
            sent["bytes"] = 0
            tracemalloc.start()
            started = time.perf_counter()
            rw.FileOutput(f"{base}/{name}")._repr_mimebundle_()
            took = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            time.sleep(0.2)
            print(
                f"{name:<10} {sizes[name] / MiB:>9.1f} {peak / MiB:>9.1f} {sent['bytes'] / MiB:>9.1f} "
                f"{took:>8.2f}"
            )
        httpd.shutdown()


if __name__ == "__main__":
    main()
