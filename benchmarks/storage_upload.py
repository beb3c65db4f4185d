"""Files over 100 MiB through the user's bucket: our upload against boto3's, and the widget's pick-to-ready.

Against moto in server mode on 127.0.0.1 (an S3 that keeps objects in memory), for one 1 GiB file:
  1. upload time and peak RSS growth of each way to put the file in the bucket, each in a fresh process:
     - ours: replicate_widget's Stores.put (obstore, 8 MiB parts x 4 in flight, sha256 taken on the way)
     - boto3's upload_file (its defaults: 8 MiB parts, 10 threads)
     - for the choice of library: obstore with its defaults (5 MiB x 12; a 10 min request timeout, as ours,
       since its 30 s default failed 1 GiB here on a loaded machine), and fsspec/s3fs put_file
     and the ratio boto3 time / our time (target: at least 0.9);
  2. through FileInput in JupyterLab + headless Chromium: pick-to-ready (the file whole in the kernel) and
     pick-to-uploaded (in the bucket: the eager upload starts as soon as the file has arrived), with the
     kernel's peak RSS growth.

Run: python benchmarks/storage_upload.py [--size-mib 1024] [--runs 2] [--skip-uploads] [--skip-widget]
(1 GiB: about 15 minutes on two cores; moto holds each object in memory while it runs)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
KEYS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"}

# One upload in a fresh interpreter: prints {"seconds": s, "growth": bytes}. Imports happen before the
# baseline, so the growth is the upload's own.
_CHILD = r"""
import hashlib, json, os, sys, threading, time
import psutil
way, path, bucket = sys.argv[1:4]
if way == "ours":
    import obstore
    from replicate_widget.core.inputs.local_file import LocalFile
    from replicate_widget.core.storage.location import StorageLocation
    from replicate_widget.core.storage.stores import Stores
    stores, file = Stores(), LocalFile(path)
    file.sha256  # the key names it; hashed before timing, as the widget's transfer already did
    where = StorageLocation.parse(f"s3://{bucket}/ours")
    go = lambda: stores.put(where, file)
elif way == "boto3":
    import boto3
    s3 = boto3.client("s3")
    go = lambda: s3.upload_file(path, bucket, "boto3/file.bin")
elif way == "obstore-defaults":
    import obstore
    from obstore.store import S3Store
    # obstore's own part size and concurrency; its 30 s request timeout failed 1 GiB here under load
    store = S3Store(bucket, client_options={"allow_http": True, "timeout": "600s"})
    def go():
        with open(path, "rb") as f:
            obstore.put(store, "obstore-defaults/file.bin", f)
elif way == "s3fs":
    import s3fs
    fs = s3fs.S3FileSystem()
    go = lambda: fs.put_file(path, f"{bucket}/s3fs/file.bin")
process = psutil.Process()
base = peak = process.memory_info().rss
done = threading.Event()
def sample():
    global peak
    while not done.is_set():
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
go()
seconds = time.perf_counter() - t0
done.set()
print(json.dumps({"seconds": seconds, "growth": peak - base}))
"""


@contextmanager
def moto() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1, trust_env=False)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def empty(s3, bucket: str) -> None:
    """moto keeps objects in memory: each run's object goes before the next run."""
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


def one(way: str, path: Path, bucket: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, way, str(path), bucket],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{way} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def uploads(path: Path, size: int, runs: int) -> None:
    import boto3

    ways = ["ours", "boto3", "obstore-defaults"]
    try:
        import s3fs  # noqa: F401

        ways.append("s3fs")
    except ImportError:
        pass
    with moto() as endpoint:
        env = {**os.environ, **KEYS, "AWS_ENDPOINT_URL": endpoint, "PYTHONPATH": str(REPO / "src")}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
        s3.create_bucket(Bucket="bench")
        best: dict[str, dict[str, float]] = {}
        failed: dict[str, str] = {}
        for _ in range(runs):  # interleaved, so that a busy moment of the machine hits every way alike
            for way in ways:
                try:
                    result = one(way, path, "bench", env)
                except RuntimeError as exc:  # a failure is a finding too: report it, go on
                    failed[way] = str(exc).strip().splitlines()[-1][:160]
                    print(f"   ({way}: failed: {failed[way]})", flush=True)
                    continue
                finally:
                    empty(s3, "bench")
                print(f"   ({way}: {result['seconds']:.2f} s, +{result['growth'] / MiB:.0f} MiB)", flush=True)
                kept = best.get(way)
                if kept is None or result["seconds"] < kept["seconds"]:
                    best[way] = {**result, "growth": max(result["growth"], kept["growth"] if kept else 0)}
    print(f"\n1. Upload of {size // MiB} MiB to moto (best time of {runs}, largest peak RSS growth)")
    print(f"   {'way':<34} {'seconds':>8} {'MiB/s':>7} {'peak +MiB':>10}")
    names = {
        "ours": "ours (obstore, 8 MiB x 4, sha256)",
        "boto3": "boto3 upload_file",
        "obstore-defaults": "obstore defaults (5 MiB x 12)",
        "s3fs": "fsspec/s3fs put_file",
    }
    for way, result in best.items():
        print(
            f"   {names[way]:<34} {result['seconds']:8.2f} {size / MiB / result['seconds']:7.0f} "
            f"{result['growth'] / MiB:10.0f}"
        )
    for way, reason in failed.items():
        print(f"   {names[way]:<34} failed at least once: {reason}")
    ratio = best["boto3"]["seconds"] / best["ours"]["seconds"]
    print(f"   boto3 time / our time: {ratio:.2f} (target >= 0.9)")


SETUP = """import os, threading, time, psutil
os.environ.update({keys!r})
os.environ['AWS_ENDPOINT_URL'] = {endpoint!r}
import obstore
import replicate_widget as rw

class Peak:
    def __init__(self):
        self.proc = psutil.Process(); self.base = self.proc.memory_info().rss; self.peak = self.base
        self.on = True; threading.Thread(target=self._loop, daemon=True).start()
    def _loop(self):
        while self.on:
            self.peak = max(self.peak, self.proc.memory_info().rss); time.sleep(0.005)

w = rw.FileInput(storage='s3://bench/widget')
w"""


def widget(path: Path, size: int) -> None:
    sys.path.insert(0, str(REPO / "tests" / "browser"))
    import boto3
    from harness import start_lab

    from replicate_widget.local import serve

    with moto() as endpoint, serve() as srv, start_lab(srv.base_url, srv.token) as lab:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
        s3.create_bucket(Bucket="bench")
        nb = lab.notebook("storage_bench.ipynb", [SETUP.format(keys=KEYS, endpoint=endpoint)])
        nb.widget()
        nb.execute("peak = Peak()")
        states = f"Array.from(document.querySelectorAll(`{nb.scope} .rw-entry`)).map(r => r.dataset.state)"
        t0 = time.perf_counter()
        nb.widget().locator(".rw-file").set_input_files(str(path))
        ready = uploaded = None
        while uploaded is None:
            seen = nb.page.evaluate(states)
            now = time.perf_counter() - t0
            if ready is None and seen and seen[0] in ("uploading", "uploaded", "ready"):
                ready = now
            if seen and seen[0] == "uploaded":
                uploaded = now
            if seen and seen[0] == "error":
                raise RuntimeError("the transfer failed")
            time.sleep(0.05)
        growth = float(nb.execute("peak.on = False\nprint((peak.peak - peak.base) / 2**20)").strip())
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bench").get("Contents", [])]
        nb.close()
    print(f"\n2. FileInput with storage=, {size // MiB} MiB picked in JupyterLab (headless Chromium)")
    print(f"   pick-to-ready (whole in the kernel):   {ready:6.1f} s  ({size / MiB / ready:.0f} MiB/s)")
    print(f"   pick-to-uploaded (in the bucket):      {uploaded:6.1f} s  (upload {uploaded - ready:.1f} s)")
    print(f"   kernel peak RSS growth:                {growth:6.0f} MiB")
    print(f"   objects in the bucket: {keys}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--skip-widget", action="store_true")
    parser.add_argument("--skip-uploads", action="store_true")
    args = parser.parse_args()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as folder:
        path = Path(folder) / "big.bin"
        with path.open("wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MiB))
        if not args.skip_uploads:
            uploads(path, size, args.runs)
        if not args.skip_widget:
            widget(path, size)


if __name__ == "__main__":
    main()
