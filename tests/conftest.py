"""Shared fixtures: one local Replicate-compatible server per test session.

`local_server` (session): the server with the demo models; Cog workers start when a model is first used.
`server` (function): the same handle with its request log and faults cleared, for tests that assert on them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from replicate_widget.local import LocalServer, serve


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    with serve() as srv:
        yield srv


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    local_server.log.clear()
    local_server.faults.clear()
    return local_server
