"""Displaying a FileOutput reads only what the display needs (the request log says what was sent)."""

import base64
import io
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

import replicate_widget as rw

MiB = 1024 * 1024


@dataclass
class Served:
    size: int
    content_type: str
    head_length: bool = True  # whether HEAD (and GET) say Content-Length
    body: bytes | None = None  # None: `size` zero bytes, made on the fly


@dataclass
class OutputServer:
    files: dict[str, Served]
    base_url: str = ""
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, body bytes sent)


def _handler(state: OutputServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _headers(self, served: Served) -> None:
            self.send_response(200)
            self.send_header("content-type", served.content_type)
            if served.head_length:
                self.send_header("content-length", str(served.size))
            else:
                self.send_header("transfer-encoding", "chunked")
            self.end_headers()

        def do_HEAD(self) -> None:
            served = state.files[self.path]
            self._headers(served)
            state.log.append(("HEAD", self.path, 0))

        def do_GET(self) -> None:
            served = state.files[self.path]
            self._headers(served)
            sent = 0
            try:
                while sent < served.size:
                    step = min(64 * 1024, served.size - sent)
                    chunk = served.body[sent : sent + step] if served.body is not None else bytes(step)
                    if served.head_length:
                        self.wfile.write(chunk)
                    else:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    sent += step
                if not served.head_length:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            state.log.append(("GET", self.path, sent))

    return Handler


@contextmanager
def output_server(files: dict[str, Served]) -> Iterator[OutputServer]:
    state = OutputServer(files)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def png(width, height, noise=False):
    image = (
        Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        if noise
        else (Image.new("RGB", (width, height), (10, 120, 200)))
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SMALL = png(64, 48)
PHOTO = png(1400, 1400, noise=True)  # about 5.6 MiB: thumbnailed


@pytest.fixture(scope="module")
def files():
    served = {
        "/clip.mp4": Served(150 * MiB, "video/mp4"),
        "/huge.png": Served(30 * MiB, "image/png"),
        "/photo.png": Served(len(PHOTO), "image/png", body=PHOTO),
        "/small.png": Served(len(SMALL), "image/png", body=SMALL),
        "/unsized.mp4": Served(60 * MiB, "video/mp4", head_length=False),
        "/song.mp3": Served(3 * MiB, "audio/mpeg"),
    }
    with output_server(served) as server:
        yield server


def shown(files, path):
    files.log.clear()
    bundle = rw.FileOutput(files.base_url + path)._repr_mimebundle_()
    time.sleep(0.2)  # the server logs a cut-off GET once its write fails
    return bundle, list(files.log)


def test_a_large_video_is_shown_by_url_after_a_head(files):
    bundle, log = shown(files, "/clip.mp4")
    assert log == [("HEAD", "/clip.mp4", 0)]
    assert f'src="{files.base_url}/clip.mp4"' in bundle["text/html"]


def test_audio_over_the_embed_limit_is_shown_by_url(files):
    bundle, log = shown(files, "/song.mp3")
    assert log == [("HEAD", "/song.mp3", 0)]
    assert "<audio" in bundle["text/html"]
    assert "data:" not in bundle["text/html"]


def test_an_image_over_20_mib_is_shown_by_url_after_a_head(files):
    bundle, log = shown(files, "/huge.png")
    assert log == [("HEAD", "/huge.png", 0)]
    assert "image/png" not in bundle
    assert f'src="{files.base_url}/huge.png"' in bundle["text/html"]


def test_an_image_up_to_20_mib_is_read_once_for_a_thumbnail(files):
    bundle, log = shown(files, "/photo.png")
    assert log == [("HEAD", "/photo.png", 0), ("GET", "/photo.png", len(PHOTO))]
    html = bundle["text/html"]
    assert 'src="data:image/jpeg;base64,' in html
    thumbnail = base64.b64decode(html.split("data:image/jpeg;base64,")[1].split('"')[0])
    assert max(Image.open(io.BytesIO(thumbnail)).size) <= 512
    assert "image/png" not in bundle  # the original is not embedded


def test_a_small_image_is_embedded_as_it_is(files):
    bundle, log = shown(files, "/small.png")
    assert [m for m, _, _ in log] == ["HEAD", "GET"]
    embedded = bundle["text/html"].split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(embedded) == SMALL
    assert "image/png" not in bundle  # once, in the HTML: not a second copy a saved notebook would store


def test_without_a_length_a_video_is_read_only_up_to_the_embed_limit(files):
    bundle, log = shown(files, "/unsized.mp4")
    assert [m for m, _, _ in log] == ["HEAD", "GET"]
    # stopped after about 1 MB; what the kernel's socket buffers took on top is far below the 60 MiB
    assert log[1][2] < 16 * MiB
    assert f'src="{files.base_url}/unsized.mp4"' in bundle["text/html"]
