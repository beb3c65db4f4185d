"""JupyterLab as the demo starts it: `python -m replicate_widget.cli._jupyterlab ARGS` is `jupyter lab ARGS`
without its look-up of yarn's configuration, which filled the demo's terminal before its address.

JupyterLab runs `node yarn.js config --json` on import (labapp.py computes its version through an AppOptions
whose registry default asks yarn) and again on each page load's build check. Where that fails (under Node 20
on the machine of the report; with a broken ~/.yarnrc.yml anywhere), it logged yarn's stack with a line of its
minified code: 12.6 KB. No JupyterLab option skips it. The demo never builds or installs extensions, so here
the look-up answers as JupyterLab itself does when Node is not installed: no yarn configuration, the default
registry. Only this process changes; kernels are processes of their own.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


def _no_yarn_config(logger: logging.Logger | None = None) -> dict[str, dict[str, Any]]:
    return {"yarn config": {}, "npm config": {}}  # what jupyterlab.commands returns without Node


def main() -> None:
    import jupyterlab.commands

    if hasattr(jupyterlab.commands, "_yarn_config"):  # tests/notebooks/test_demo_folder.py sees it apply
        jupyterlab.commands._yarn_config = _no_yarn_config
    from jupyterlab.labapp import main as lab_main

    sys.exit(lab_main())


if __name__ == "__main__":
    main()
