"""Fixtures for browser tests: one JupyterLab and one headless Chromium per test session (see harness.py).

lab       (session)  the running JupyterLab + browser, whose kernels talk to the session's local server;
                     ``lab.notebook(name, cells, run=True)`` opens a notebook page
notebook  (function) the same factory, but pages are closed (kernels shut down) at teardown and any console
                     error from the widgets fails the test
far_lab   (session)  another JupyterLab, reached only through a throttling proxy (``far_lab.link``: rate,
                     round trip, cuts); started on first use
far_notebook (function) ``notebook`` for far_lab; the link is reset to no limit at teardown
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")
from harness import CHROMIUM, Browser, Lab, Notebook, chromium, start_lab

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session", autouse=True)
def leaves_no_chromium_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every process this session starts (Chromium, Jupyter, kernels) gets a TMPDIR of the session's; at the
    end it must hold no org.chromium.Chromium.* folder (Chromium's single-instance socket, left in /tmp when
    it is stopped uncleanly outside a private TMPDIR). Set up first, so it is checked after everything
    else has stopped."""
    session_tmp = tmp_path_factory.mktemp("browser-session-tmp")
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(session_tmp)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous
    left = sorted(p.name for p in session_tmp.glob("org.chromium.Chromium.*"))
    assert not left, f"Chromium left {left} in the temporary folder"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session; each Lab gets its own context in it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"No Chromium at {CHROMIUM} (set RW_CHROMIUM)")
    with chromium() as running:
        yield running


@pytest.fixture(scope="session")
def lab(local_server: Any, browser: Browser) -> Iterator[Lab]:
    with start_lab(local_server.base_url, local_server.token, browser=browser) as running:
        yield running


def _notebooks(lab: Lab) -> Iterator[Any]:
    opened: list[Notebook] = []

    def open_notebook(name: str, cells: list[str], *, run: bool = True) -> Notebook:
        nb = lab.notebook(name, cells, run=run)
        opened.append(nb)
        return nb

    yield open_notebook
    errors = [e for nb in opened for e in nb.widget_errors()]
    for nb in opened:
        nb.close()
    assert not errors, "The widget logged errors to the console:\n" + "\n".join(errors)


@pytest.fixture
def notebook(lab: Lab) -> Iterator[Any]:
    """``notebook(name, cells, run=True)`` -> Notebook; closed at teardown, widget errors fail the test."""
    yield from _notebooks(lab)


@pytest.fixture(scope="session")
def far_lab(local_server: Any, browser: Browser) -> Iterator[Lab]:
    with start_lab(local_server.base_url, local_server.token, browser=browser, throttled=True) as running:
        yield running


@pytest.fixture
def far_notebook(far_lab: Lab) -> Iterator[Any]:
    """``notebook`` for the lab behind the throttling proxy."""
    assert far_lab.link is not None
    try:
        yield from _notebooks(far_lab)
    finally:
        far_lab.link.set(None, 0)


@pytest.fixture(scope="session")
def notebook7(local_server: Any, browser: Browser) -> Iterator[Lab]:
    """Jupyter Notebook 7 (same cells and output DOM as JupyterLab, its own shell), started on first use."""
    pytest.importorskip("notebook")
    with start_lab(local_server.base_url, local_server.token, app="notebook", browser=browser) as running:
        yield running
