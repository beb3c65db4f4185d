"""The Files API: `POST/GET /v1/files`, `GET/DELETE /v1/files/{id}`, and the model-facing download URL."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .bodies import ClientDisconnected, parse_json
from .files import guess_content_type, output_headers
from .multipart import MAX_FILE_SIZE, receive_upload
from .problems import Problem, not_found
from .state import ServerState

# Multipart framing around a file is a few hundred bytes; past this slack a body cannot fit the limit.
_FRAMING_SLACK = 1024 * 1024


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _metadata(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = parse_json(text, prefix="metadata", what="`metadata` field")
    if not isinstance(value, dict):
        raise Problem(400, "Malformed multipart body", "`metadata` must be a JSON object.")
    return value


async def create_file(request: Request) -> Response:
    state = _state(request)
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_FILE_SIZE + _FRAMING_SLACK:
        raise Problem(413, "Payload too large", "Files must be at most 100 MiB (104,857,600 bytes) in size")
    try:
        upload = await receive_upload(
            request.headers.get("content-type", ""), request.receive, state.files.spool
        )
    except ClientDisconnected:
        entry = request.state.log_entry
        if entry is not None:
            entry["status"] = "client disconnected"
        return Response(status_code=400)  # nobody is listening; nothing was kept
    # Clients put the name and type on the content part; Replicate's form also allows separate fields.
    name = upload.filename or upload.fields.get("filename") or "file"
    declared = upload.content_type or upload.fields.get("type")
    content_type = guess_content_type(name, declared)
    try:
        metadata = _metadata(upload.fields.get("metadata"))
    except Problem:
        upload.path.unlink(missing_ok=True)
        raise
    stored = state.files.add(upload, name, content_type, metadata)
    entry = request.state.log_entry
    if entry is not None:
        entry["upload"] = {
            "sha256": stored.sha256,
            "md5": stored.md5,
            "filename": stored.name,
            "content_type": stored.content_type,
            "size": stored.size,
            "file_id": stored.id,
        }
    return JSONResponse(stored.to_json(state.base_url), status_code=201)


async def list_files(request: Request) -> Response:
    state = _state(request)
    page, cursor = state.files.page(request.query_params.get("cursor"))
    next_url = f"{state.base_url}/v1/files?cursor={cursor}" if cursor else None
    results = [f.to_json(state.base_url) for f in page]
    return JSONResponse({"next": next_url, "previous": None, "results": results})


def _file_or_404(request: Request) -> Any:
    state = _state(request)
    file_id = request.path_params["file_id"]
    stored = state.files.get(file_id)
    if stored is None:
        raise not_found("File", f"File {file_id} not found (it may have been deleted).")
    return stored


async def get_file(request: Request) -> Response:
    return JSONResponse(_file_or_404(request).to_json(_state(request).base_url))


async def delete_file(request: Request) -> Response:
    stored = _file_or_404(request)
    _state(request).files.delete(stored.id)
    return Response(status_code=204)


async def download_blob(request: Request) -> Response:
    """What a model fetches for an uploaded file: unguessable URL, no token, as Replicate's signed URLs."""
    stored = _state(request).files.by_download_token(
        request.path_params["file_id"], request.path_params["token"]
    )
    if stored is None:
        raise not_found("File", "This download link is not valid (or the file was deleted).")
    # Inert like an output (no sniffing, sandboxed); `filename` already makes it an attachment.
    headers = {
        k: v
        for k, v in output_headers(stored.content_type, stored.name).items()
        if k != "Content-Disposition"
    }
    return FileResponse(stored.path, media_type=stored.content_type, filename=stored.name, headers=headers)


routes = [
    Route("/v1/files", create_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", get_file, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/_blobs/{file_id}/{token}/{filename:path}", download_blob, methods=["GET"]),
]
