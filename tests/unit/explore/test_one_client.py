"""Every client the package makes for the user is an rw.Client: the default one behind rw.run and a lazy
handle, and the one a widget makes for itself, so each has the exploring methods too."""

from __future__ import annotations

import replicate_widget as rw
from replicate_widget.core.client import default_client, forget_default_client


def test_the_default_client_and_a_handles_client_are_rw_clients(monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_unit")
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9")
    forget_default_client()
    try:
        assert type(default_client()) is rw.Client
        handle = rw.model("demo/grayscale", lazy=True)
        assert type(handle.client) is rw.Client
        assert handle.client is default_client()
        assert callable(handle.client.search)
    finally:
        forget_default_client()


def test_a_widgets_own_client_is_an_rw_client(monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_unit")
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9")
    widget = rw.FileInput(upload="on-run")
    try:
        assert type(widget.client) is rw.Client
        assert widget.client.base_url == "http://127.0.0.1:9"
    finally:
        widget.close()
