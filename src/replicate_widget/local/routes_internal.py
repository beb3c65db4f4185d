"""Routes that are not Replicate's API: Cog's callbacks, output files, streams, and the test controls.

Cog's callbacks and output/stream URLs carry unguessable tokens instead of the API token, as Replicate's
delivery and streaming URLs do; the `/_local/` controls require the API token (the Gate checks it).
"""

from __future__ import annotations

import json
import mimetypes
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .bodies import parse_json, read_body
from .files import output_headers, url_segment
from .problems import Problem, not_found
from .state import ServerState
from .streaming import stream_prediction
from .web_page import web_page


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _check_cog(request: Request) -> ServerState:
    state = _state(request)
    if request.path_params["cog_token"] != state.cog_token:
        raise not_found("Route", "Unknown callback.")
    return state


async def cog_webhook(request: Request) -> Response:
    state = _check_cog(request)
    state.predictions.apply_cog(json.loads(await request.body()))
    return Response(status_code=200)


async def cog_upload(request: Request) -> Response:
    """Cog PUTs each output file here; its output value becomes the URL we answer in Location."""
    state = _check_cog(request)
    segment = url_segment(request.path_params["filename"], default="output")
    filename = unquote(segment)  # a base name: no "/", never "." or ".."
    folder = state.outputs / secrets.token_urlsafe(24)
    folder.mkdir()
    with (folder / filename).open("wb") as out:
        async for chunk in request.stream():
            out.write(chunk)
    content_type = request.headers.get("content-type") or mimetypes.guess_type(filename)[0] or ""
    (folder / ".content-type").write_text(content_type)
    url = f"{state.base_url}/_outputs/{folder.name}/{segment}"
    return Response(status_code=201, headers={"Location": url})


async def get_output(request: Request) -> Response:
    state = _state(request)
    token, filename = request.path_params["token"], request.path_params["filename"]
    folder = state.outputs / token
    path = folder / filename
    if "/" in token or ".." in token or "/" in filename or filename.startswith(".") or not path.is_file():
        raise not_found("File", "This output file does not exist (or the server was restarted).")
    content_type = (folder / ".content-type").read_text() or None
    return FileResponse(path, media_type=content_type, headers=output_headers(content_type, filename))


async def local_log(request: Request) -> Response:
    state = _state(request)
    if request.method == "DELETE":
        state.log.clear()
        return Response(status_code=204)
    return JSONResponse({"entries": state.log.entries})


async def local_faults(request: Request) -> Response:
    """POST {"kind": "fail"|"delay"|"drop"|"rate_limit", "route": "POST /v1/files", ...}; DELETE clears."""
    state = _state(request)
    if request.method == "DELETE":
        state.faults.clear()
        return Response(status_code=204)
    try:
        body: dict[str, Any] = parse_json(await read_body(request))
        kind = body.pop("kind")
        arms: dict[str, Callable[..., None]] = {
            "fail": state.faults.fail,
            "delay": state.faults.delay,
            "drop": state.faults.drop,
            "rate_limit": state.faults.rate_limit,
            "answer": state.faults.answer,
        }
        arms[kind](**body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Problem(422, "Invalid fault", f"Expected kind, route and that kind's options: {exc!r}") from exc
    return JSONResponse({"armed": len(state.faults.armed)}, status_code=201)


async def local_workers(request: Request) -> Response:
    return JSONResponse({"workers": _state(request).workers.describe()})


routes = [
    Route("/_cog/{cog_token}/webhook", cog_webhook, methods=["POST"]),
    Route("/_cog/{cog_token}/upload/{filename:path}", cog_upload, methods=["PUT"]),
    Route("/_outputs/{token}/{filename}", get_output, methods=["GET"]),
    Route("/_stream/{prediction_id}/{token}", stream_prediction, methods=["GET"]),
    Route("/p/{prediction_id}", web_page, methods=["GET"]),
    Route("/_local/log", local_log, methods=["GET", "DELETE"]),
    Route("/_local/faults", local_faults, methods=["POST", "DELETE"]),
    Route("/_local/workers", local_workers, methods=["GET"]),
]
