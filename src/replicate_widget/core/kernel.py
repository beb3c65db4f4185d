"""The IPython kernel we run in, if any, and whether it is shutting down.

A kernel restart (or shutdown) from Jupyter first interrupts the kernel, exactly as the ■ button does, then
asks it to shut down on its control channel, which ipykernel handles on a thread of its own. An interrupted
run looks here, a moment after the interrupt, before it cancels: a prediction must outlive a restart, so
that ``rw.prediction(id)`` can pick it up in the new kernel.
"""

from __future__ import annotations

import sys
from typing import Any

SHUTDOWN_GRACE = 0.5  # seconds between a kernel's interrupt and the look for a shutdown request after it


def current_kernel() -> Any:
    """The running ipykernel Kernel, or None (a script, a terminal, plain IPython)."""
    if "ipykernel" not in sys.modules:  # never import IPython where nobody did
        return None
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    return Kernel.instance() if Kernel.initialized() else None


def shutting_down(kernel: Any) -> bool:
    """Whether ``kernel`` has been asked to shut down (or restart). ipykernel records the request's reply
    as ``_shutdown_message`` and sets the shell's ``exit_now`` when it handles one; a version with neither
    reads as "not shutting down", and the run is canceled as before."""
    if kernel is None:
        return False
    shell = getattr(kernel, "shell", None)
    return getattr(kernel, "_shutdown_message", None) is not None or bool(getattr(shell, "exit_now", False))
