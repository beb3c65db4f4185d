"""Shared fixtures: one local Replicate-compatible server per test session.

`local_server` (session): the server with the demo models; Cog workers start when a model is first used.
`server` (function): the same handle with its request log and faults cleared, for tests that assert on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from replicate_widget.local import LocalServer


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    # Imported here: the unit tier runs on the base install, without the [local] extra.
    from replicate_widget.local import serve

    with serve() as srv:
        yield srv


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    local_server.log.clear()
    local_server.faults.clear()
    return local_server
