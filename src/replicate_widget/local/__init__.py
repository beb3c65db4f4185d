"""A Replicate-compatible HTTP server on 127.0.0.1 whose models are real Cog predictors.

    from replicate_widget.local import serve
    with serve() as srv:          # demo models; workers start on first use
        srv.base_url, srv.token   # REPLICATE_BASE_URL / REPLICATE_API_TOKEN for a client

The layout: server.py (serve, the handle) -> app.py (Starlette app) behind gate.py (log, faults, auth);
routes_files.py + uploads.py + files.py (Files API), routes_predictions.py + predictions.py + inputs.py +
validation.py (predictions), workers.py (Cog subprocesses and per-model queues), streaming.py (SSE),
routes_internal.py (Cog callbacks, outputs, test controls), registry.py + models/ (the demo predictors).
"""

from __future__ import annotations

from .registry import ModelSpec, demo_models, parse_model_arg
from .server import LocalServer, serve

__all__ = ["LocalServer", "ModelSpec", "demo_models", "parse_model_arg", "serve"]
