"""A Replicate-compatible HTTP server on 127.0.0.1 whose models are real Cog predictors.

    from replicate_widget.local import serve
    with serve() as srv:          # demo models; workers start on first use
        srv.base_url, srv.token   # REPLICATE_BASE_URL / REPLICATE_API_TOKEN for a client

The layout: server.py (serve, the handle) -> app.py (Starlette app) behind gate.py (log, faults, auth);
routes_files.py + multipart.py + files.py (Files API), routes_predictions.py + predictions.py + prediction.py
+ inputs.py + validation.py (predictions), workers.py (Cog subprocesses and per-model queues), streaming.py
(SSE), routes_internal.py (Cog callbacks, outputs, test controls), registry.py + models/ (demo predictors).

Names are imported on first use, so `replicate-widget` commands that don't serve work without the
`[local]` extra (starlette, uvicorn, python-multipart, cog).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import ModelSpec, demo_models, parse_model_arg
    from .server import LocalServer, serve

__all__ = ["LocalServer", "ModelSpec", "demo_models", "parse_model_arg", "serve"]
_WHERE = {
    "LocalServer": "server",
    "serve": "server",
    "ModelSpec": "registry",
    "demo_models": "registry",
    "parse_model_arg": "registry",
}
MISSING_EXTRA = "The local server needs its optional dependencies: pip install 'replicate-widget[local]'"


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{_WHERE[name]}", __name__)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"{MISSING_EXTRA} ({exc.name} is missing).", name=exc.name) from exc
    return getattr(module, name)
