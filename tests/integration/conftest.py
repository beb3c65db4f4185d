"""Fixtures for the storage tests: a local server that also serves test/two-files (two file inputs, the size
and sha256 of each out), shared by the tests of every cloud's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from replicate_widget.local import LocalServer

TWO_FILES = "test/two-files"
_PREDICTOR = Path(__file__).parent / "models" / "two_files" / "predict.py"


@pytest.fixture(scope="session")
def two_files_server() -> Iterator[LocalServer]:
    from replicate_widget.local import serve

    with serve(models=[f"{TWO_FILES}={_PREDICTOR}:Runner"]) as srv:
        yield srv


@pytest.fixture
def server2(two_files_server: LocalServer) -> LocalServer:
    two_files_server.log.clear()
    return two_files_server
