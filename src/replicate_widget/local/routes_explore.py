"""Finding models, shaped like Replicate's API: search (GET /v1/search, QUERY /v1/models), collections,
deployments and their predictions; plus the cover images and model pages a browser loads without a token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .bodies import read_body
from .catalog import COLLECTIONS, Collection, Deployment, collection_matches, score, search_metadata
from .covers import cover_svg, model_page
from .problems import Problem, not_found
from .registry import ModelSpec
from .routes_predictions import _MODEL_FIELDS, _create, _json_body
from .state import ServerState

_MAX_LIMIT = 50


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _matches(state: ServerState, query: str) -> list[ModelSpec]:
    scored = [(score(spec, query), spec) for spec in state.registry]
    return [spec for value, spec in sorted(scored, key=lambda p: (-p[0], p[1].ref)) if value > 0]


def _model(state: ServerState, spec: ModelSpec) -> dict[str, Any]:
    return spec.model_json(state.base_url, state.predictions.count(spec))


async def search(request: Request) -> Response:
    """GET /v1/search?query=...&limit=...: models with metadata, matching collections, no doc pages."""
    state = _state(request)
    query = request.query_params.get("query", "").strip()
    if not query:
        raise Problem(400, "Bad Request", 'Query parameter "query" is required')
    try:
        limit = int(request.query_params.get("limit", "20"))
    except ValueError as exc:
        raise Problem(400, "Bad Request", 'Query parameter "limit" must be an integer from 1 to 50') from exc
    if not 1 <= limit <= _MAX_LIMIT:
        raise Problem(400, "Bad Request", 'Query parameter "limit" must be an integer from 1 to 50')
    models = []
    for spec in _matches(state, query)[:limit]:
        record = _model(state, spec)
        # As Replicate's search does: the version is named, its schema left out (fetch the model for it).
        record["latest_version"] = {**record["latest_version"], "openapi_schema": {}}
        tags, generated = search_metadata(spec)
        metadata = {"generated_description": generated, "score": score(spec, query), "tags": tags}
        models.append({"model": record, "metadata": metadata})
    collections = [
        {**c.summary(), "models": list(c.models)} for c in COLLECTIONS if collection_matches(c, query)
    ]
    return JSONResponse({"query": query, "models": models, "collections": collections, "pages": []})


async def query_models(request: Request) -> Response:
    """QUERY /v1/models with the query as a text/plain body: the older search, a page of model objects."""
    state = _state(request)
    query = (await read_body(request)).decode("utf-8", "replace").strip()  # capped like every body
    if not query:
        raise Problem(400, "Bad Request", "The request body must hold the search query as text/plain.")
    results = [_model(state, spec) for spec in _matches(state, query)]
    return JSONResponse({"next": None, "previous": None, "results": results})


def _served(state: ServerState, collection: Collection) -> list[ModelSpec]:
    specs = (state.registry.get(*ref.split("/", 1)) for ref in collection.models)
    return [spec for spec in specs if spec is not None]


async def list_collections(request: Request) -> Response:
    state = _state(request)
    results = [c.summary() for c in COLLECTIONS if _served(state, c)]
    return JSONResponse({"next": None, "previous": None, "results": results})


async def get_collection(request: Request) -> Response:
    state = _state(request)
    slug = request.path_params["slug"]
    found = next((c for c in COLLECTIONS if c.slug == slug and _served(state, c)), None)
    if found is None:
        known = ", ".join(c.slug for c in COLLECTIONS if _served(state, c))
        raise not_found(
            "Collection", f"Collection {slug} does not exist on this local server (it has: {known})."
        )
    models = [_model(state, spec) for spec in _served(state, found)]
    return JSONResponse({**found.summary(), "full_description": None, "models": models})


def _deployment_or_404(request: Request) -> Deployment:
    state = _state(request)
    ref = f"{request.path_params['owner']}/{request.path_params['name']}"
    deployment = state.deployments.get(ref)
    if deployment is None:
        known = ", ".join(state.deployments) or "none"
        raise not_found(
            "Deployment",
            f"Deployment {ref} does not exist on this local server (it serves: {known}; add one with "
            "`replicate-widget serve --deployment owner/name=model-owner/model-name`).",
        )
    return deployment


async def list_deployments(request: Request) -> Response:
    results = [d.to_json() for d in _state(request).deployments.values()]
    return JSONResponse({"next": None, "previous": None, "results": results})


async def get_deployment(request: Request) -> Response:
    return JSONResponse(_deployment_or_404(request).to_json())


async def create_deployment_prediction(request: Request) -> Response:
    """Runs the release's version, and the request log names the deployment's endpoint."""
    deployment = _deployment_or_404(request)
    body = await _json_body(request, _MODEL_FIELDS)
    return await _create(request, deployment.model, deployment.model.version_id, body)


def _spec_or_404(request: Request, name: str) -> ModelSpec:
    spec = _state(request).registry.get(request.path_params["owner"], name)
    if spec is None:
        raise not_found("Model", f"No model {request.path_params['owner']}/{name} on this local server.")
    return spec


async def cover(request: Request) -> Response:
    name = request.path_params["file"].removesuffix(".svg")
    svg = cover_svg(_spec_or_404(request, name))
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "max-age=3600"})


async def page(request: Request) -> Response:
    spec = _spec_or_404(request, request.path_params["name"])
    return HTMLResponse(model_page(spec, _state(request).base_url))


routes = [
    Route("/v1/search", search, methods=["GET"]),
    Route("/v1/models", query_models, methods=["QUERY"]),
    Route("/v1/collections", list_collections, methods=["GET"]),
    Route("/v1/collections/{slug}", get_collection, methods=["GET"]),
    Route("/v1/deployments", list_deployments, methods=["GET"]),
    Route("/v1/deployments/{owner}/{name}", get_deployment, methods=["GET"]),
    Route("/v1/deployments/{owner}/{name}/predictions", create_deployment_prediction, methods=["POST"]),
    Route("/_covers/{owner}/{file}", cover, methods=["GET"]),
    Route("/models/{owner}/{name}", page, methods=["GET"]),
]
