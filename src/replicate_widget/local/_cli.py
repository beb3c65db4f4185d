"""`replicate-widget serve`: run the local server in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType


class _Stop(Exception):
    """SIGTERM or SIGHUP: stop as on Ctrl-C (workers stopped, temporary files removed), not die at once."""


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--token", default=None, help="API token to accept (default: a new local_… one)")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="OWNER/NAME=PATH/predict.py:Predictor",
        help="also serve this Cog predictor (repeatable); its schema is read from .cog/openapi_schema.json",
    )
    parser.add_argument(
        "--deployment",
        action="append",
        default=[],
        metavar="OWNER/NAME=MODEL-OWNER/MODEL-NAME",
        help="also serve a deployment of one of the models (repeatable), at /v1/deployments/OWNER/NAME",
    )
    parser.add_argument(
        "--rate-limit",
        default=None,
        metavar="N/min",
        help="refuse prediction creates past this rate with 429 and Retry-After, as Replicate does (600/min)",
    )


def main(args: argparse.Namespace) -> int:
    try:
        from . import parse_model_arg, serve
        from .record import recorded
    except ModuleNotFoundError as exc:
        print(f"error: {exc}")
        return 1
    try:
        models = [parse_model_arg(text) for text in args.model]
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    try:
        server = serve(
            models=models,
            port=args.port,
            token=args.token,
            deployments=args.deployment,
            rate_limit=args.rate_limit,
        )
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    except _Stop:  # before the server was up; its folder goes at exit (core/tempfiles.py)
        return 0
    try:
        with server as srv, recorded(srv.base_url, srv.token):
            print("Local Replicate-compatible server on", srv.base_url, "with models:")
            for spec in srv.models:
                print(f"  {spec.ref}  ({spec.description})")
            for ref, model in srv.deployments.items():
                print(f"  deployments/{ref}  (a deployment of {model})")
            if srv.rate_limit:
                print(f"Prediction creates limited to {srv.rate_limit} (429 and Retry-After past it).")
            print("\nIn a notebook's terminal, or before starting Jupyter")
            print("(`replicate-widget env` prints these again while the server runs):\n")
            print(f"export REPLICATE_BASE_URL={srv.base_url}")
            print(f"export REPLICATE_API_TOKEN={srv.token}")
            print("\nPress Ctrl-C to stop.", flush=True)
            try:
                threading.Event().wait()
            except (KeyboardInterrupt, _Stop) as stop:
                for signum in (signal.SIGTERM, signal.SIGHUP):  # a second one must not cut the cleanup short
                    signal.signal(signum, signal.SIG_IGN)
                reason = f" ({stop})" if isinstance(stop, _Stop) else ""
                print(f"\nStopping the server and its model workers{reason}…", flush=True)
    except _Stop:  # while stopping; the folder goes at exit (core/tempfiles.py)
        pass
    return 0
