"""Start-up time of the local server with all demo models, and each model's cold and warm round trip.

`serve()` returns once the HTTP server listens; Cog workers start when a model is first needed, so the
figures that matter to a user are: server ready, first prediction per model (cold: starts its Cog worker),
all five workers warmed at once, and a second prediction (warm). Run: python benchmarks/server_startup.py
"""

from __future__ import annotations

import base64
import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from PIL import Image

from replicate_widget.local import serve

RUNS = 3


def _png_uri() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 200)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _inputs() -> dict[str, dict[str, object]]:
    png = _png_uri()
    return {
        "grayscale": {"image": png},
        "file-info": {"file": png},
        "contact-sheet": {"images": [png, png], "thumb_size": 32},
        "slow-echo": {"text": "hi", "seconds": 0},
        "story": {"sentences": 1, "delay": 0},
    }


def _predict(client: httpx.Client, model: str, value: dict[str, object]) -> float:
    started = time.perf_counter()
    response = client.post(
        f"/v1/models/demo/{model}/predictions", json={"input": value}, headers={"Prefer": "wait"}
    )
    elapsed = time.perf_counter() - started
    assert response.json()["status"] == "succeeded", response.text
    return elapsed


def one_run() -> dict[str, float]:
    figures: dict[str, float] = {}
    started = time.perf_counter()
    with serve() as srv:
        figures["server ready"] = time.perf_counter() - started
        client = httpx.Client(
            base_url=srv.base_url,
            headers={"Authorization": f"Bearer {srv.token}"},
            trust_env=False,
            timeout=120,
        )
        inputs = _inputs()
        warm_start = time.perf_counter()
        with ThreadPoolExecutor(len(inputs)) as pool:
            cold = dict(zip(inputs, pool.map(lambda m: _predict(client, m, inputs[m]), inputs), strict=True))
        figures["all 5 workers warmed (parallel)"] = time.perf_counter() - warm_start
        for model, seconds in cold.items():
            figures[f"cold first prediction: {model}"] = seconds
        for model, value in inputs.items():
            figures[f"warm prediction: {model}"] = min(_predict(client, model, value) for _ in range(3))
        stop_start = time.perf_counter()
    figures["stop (server + 5 workers)"] = time.perf_counter() - stop_start
    figures["total: start, warm all, stop"] = time.perf_counter() - started
    return figures


def main() -> int:
    runs = [one_run() for _ in range(RUNS)]
    print(f"local server start-up, {RUNS} runs (median, min-max), seconds")
    for name in runs[0]:
        values = [run[name] for run in runs]
        print(f"  {name:<40} {statistics.median(values):7.3f}   ({min(values):.3f}-{max(values):.3f})")
    cold = statistics.median(runs[i]["cold first prediction: grayscale"] for i in range(RUNS))
    warm = statistics.median(runs[i]["warm prediction: grayscale"] for i in range(RUNS))
    print(f"grayscale cold/warm ratio: {cold / warm:.1f}x (the Cog worker's start is the cold cost)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
