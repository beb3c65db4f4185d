"""The bare Chromium driver that benchmarks/slow_links.py measures with: scripts, a picked file, a reload."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bare_chromium import BarePage, PageError, open_page
from harness import CHROMIUM, CHROMIUM_ARGS

PAGE = b"""<!doctype html><input type="file" id="pick">
<script>
  document.getElementById('pick').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    window.picked = {name: file.name, size: file.size,
      sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')};
  });
</script>"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":  # a server that takes its time: the page must not be taken for loaded before
            time.sleep(0.5)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def page(origin: str) -> Iterator[BarePage]:
    with open_page(f"{origin}/", CHROMIUM, CHROMIUM_ARGS) as page:
        yield page


def test_the_page_is_loaded_when_it_is_handed_over(origin: str) -> None:
    """It used to be handed over while the tab still held Chromium's first about:blank."""
    with open_page(f"{origin}/slow", CHROMIUM, CHROMIUM_ARGS) as slow:
        assert slow.evaluate(
            "() => [location.href, document.readyState, !!document.querySelector('#pick')]"
        ) == [
            f"{origin}/slow",
            "complete",
            True,
        ]


def test_evaluates_with_an_argument_and_awaits_promises(page: BarePage) -> None:
    assert page.evaluate("async ([a, b]) => a + b", [2, 3]) == 5


def test_a_script_that_throws_is_a_page_error_with_its_message(page: BarePage) -> None:
    with pytest.raises(PageError, match="no such thing"):
        page.evaluate("() => { throw new Error('no such thing'); }")


def test_the_picked_file_reaches_the_page_whole(page: BarePage, tmp_path: Path) -> None:
    path = tmp_path / "picked.bin"
    path.write_bytes(bytes(range(256)) * 1000)
    page.set_input_files("#pick", path)
    picked = page.wait_for("() => window.picked", timeout=10)
    assert picked == {
        "name": "picked.bin",
        "size": 256_000,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def test_reload_gives_a_fresh_page_and_wait_for_gives_up_in_time(page: BarePage) -> None:
    page.evaluate("() => { window.marked = true; }")
    page.reload()
    page.wait_for("() => document.readyState === 'complete' && !window.marked", timeout=10)
    with pytest.raises(PageError, match="not true after"):
        page.wait_for("() => false", timeout=0.3)
    with pytest.raises(PageError, match="no element"):
        page.set_input_files("#absent", Path(__file__))


def test_a_stopped_chromium_leaves_no_folder_in_tmpdir(tmp_path: Path, monkeypatch) -> None:
    """Stopped with a signal, Chromium used to leave its org.chromium.Chromium.* folder under TMPDIR."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with open_page("about:blank", CHROMIUM, CHROMIUM_ARGS) as opened:
        assert opened.evaluate("() => 1 + 1") == 2
    assert list(tmp_path.iterdir()) == []
