"""Helpers shared by the local server's integration tests: an API client and sample files."""

from __future__ import annotations

import hashlib
import io
import time
import wave
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

from replicate_widget.local import LocalServer


def api(srv: LocalServer, **kwargs: Any) -> httpx.Client:
    """A client for the server's API with its token (no proxies: everything is on loopback)."""
    return httpx.Client(
        base_url=srv.base_url,
        headers={"Authorization": f"Bearer {srv.token}"},
        trust_env=False,
        timeout=kwargs.pop("timeout", 60),
        **kwargs,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_bytes(size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 10)) -> bytes:
    buf = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.putpixel((0, 0), (0, 0, 255))
    image.save(buf, format="PNG")
    return buf.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def zip_bytes(names: tuple[str, ...] = ("a.txt", "b/c.txt")) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names:
            archive.writestr(name, f"contents of {name}")
    return buf.getvalue()


def upload(client: httpx.Client, data: bytes, name: str, content_type: str) -> dict[str, Any]:
    response = client.post("/v1/files", files={"content": (name, data, content_type)})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; a bounded wait for asynchronous effects, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def finished(client: httpx.Client, prediction_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/v1/predictions/{prediction_id}").json()
        return body if body["status"] in ("succeeded", "failed", "canceled", "aborted") else None

    result: dict[str, Any] = wait_until(done, timeout, f"prediction {prediction_id} to finish")
    return result
