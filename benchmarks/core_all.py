"""Every core benchmark in one run against one local server. Prints figures; asserts nothing.

Run: /work/venv/bin/python benchmarks/core_all.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import core_encoding
import core_runs
import core_upload

from replicate_widget.local import serve

if __name__ == "__main__":
    with serve() as srv:
        core_upload.run(srv)
        core_encoding.run(srv)
        core_runs.run(srv)
