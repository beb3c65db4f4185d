"""Account, models, versions and predictions, shaped like Replicate's API."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .bodies import parse_json, read_body
from .inputs import InputProblem
from .problems import Problem, invalid_input, not_found
from .registry import ModelSpec
from .state import ServerState
from .validation import validate_input

_VERSION_FIELDS = {"version", "input", "webhook", "webhook_events_filter", "stream"}
_MODEL_FIELDS = _VERSION_FIELDS - {"version"}
_PREFER_WAIT = re.compile(r"^wait(?:=(\d{1,9}))?$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# A deadline further out than a day is a mistake (Replicate stops any run after 30 minutes anyway); and
# nan, inf or 1e12 seconds used to reach asyncio and timedelta, which answered with a 500.
MAX_CANCEL_AFTER = 24 * 3600.0


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _model_or_404(request: Request) -> ModelSpec:
    owner, name = request.path_params["owner"], request.path_params["name"]
    spec = _state(request).registry.get(owner, name)
    if spec is None:
        known = ", ".join(s.ref for s in _state(request).registry)
        raise not_found(
            "Model", f"Model {owner}/{name} does not exist on this local server (it serves: {known})."
        )
    return spec


async def account(request: Request) -> Response:
    return JSONResponse({"type": "user", "username": "local", "name": "Local server", "github_url": None})


async def list_models(request: Request) -> Response:
    state = _state(request)
    results = [spec.model_json(state.base_url, state.predictions.count(spec)) for spec in state.registry]
    return JSONResponse({"next": None, "previous": None, "results": results})


async def get_model(request: Request) -> Response:
    state = _state(request)
    spec = _model_or_404(request)
    return JSONResponse(spec.model_json(state.base_url, state.predictions.count(spec)))


async def list_versions(request: Request) -> Response:
    spec = _model_or_404(request)
    return JSONResponse({"next": None, "previous": None, "results": [spec.version_json()]})


async def get_version(request: Request) -> Response:
    spec = _model_or_404(request)
    if request.path_params["version_id"] != spec.version_id:
        raise not_found(
            "Version", f"Version {request.path_params['version_id']} of {spec.ref} does not exist."
        )
    return JSONResponse(spec.version_json())


async def _json_body(request: Request, allowed: set[str]) -> dict[str, Any]:
    body = parse_json(await read_body(request))
    if not isinstance(body, dict):
        raise Problem(422, "Invalid request body", "The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    missing = sorted({"input", "version"} & allowed - set(body))
    fields = [
        {
            "type": "additional_property_not_allowed",
            "field": name,
            "description": f"Additional property {name} is not allowed",
        }
        for name in unknown
    ] + [{"type": "required", "field": name, "description": f"{name} is required"} for name in missing]
    if fields:
        detail = "".join(f"- {f['description']}\n" for f in fields)
        raise Problem(422, "Invalid request body", detail, invalid_fields=fields)
    return body


def _wait_seconds(prefer: str | None) -> float | None:
    for token in (prefer or "").split(","):
        match = _PREFER_WAIT.match(token.strip())
        if match:
            return float(min(60, max(1, int(match.group(1) or 60))))
    return None


def _cancel_after(text: str | None) -> float | None:
    """`30s`, `5m`, `1h30m45s` or a bare number of seconds, from 0 to 24 h. No 5 s minimum here, so tests
    stay quick."""
    if text is None:
        return None
    text = text.strip()
    try:
        total = float(text)
    except ValueError:
        match = _DURATION.match(text)
        if not text or not match:
            raise Problem(
                422, "Invalid Cancel-After", f"Cancel-After {text!r} is not a duration like 30s, 5m or 1h30m."
            ) from None
        hours, minutes, seconds = (float(g or 0) for g in match.groups())
        total = hours * 3600 + minutes * 60 + seconds
    if not (math.isfinite(total) and 0 <= total <= MAX_CANCEL_AFTER):
        raise Problem(
            422,
            "Invalid Cancel-After",
            f"Cancel-After {text!r} is out of range: give a duration from 0s to 24h, like 30s, 5m or 1h30m.",
        )
    return total


async def _create(request: Request, spec: ModelSpec, version: str, body: dict[str, Any]) -> Response:
    state = _state(request)
    cancel_after = _cancel_after(request.headers.get("cancel-after"))
    problems = validate_input(body.get("input"), spec.schema)
    if problems:
        raise invalid_input(problems)
    try:
        cog_input, record = state.resolver.resolve(body["input"], spec.schema)
    except InputProblem as exc:
        raise invalid_input(exc.problems) from exc
    prediction = state.predictions.create(spec, version, body["input"], cog_input, cancel_after)
    entry = request.state.log_entry
    if entry is not None:
        entry["inputs"] = record
        entry["prediction_id"] = prediction.id
    wait = _wait_seconds(request.headers.get("prefer"))
    status = 201
    if wait is not None:
        await state.predictions.wait(prediction, wait)
        status = 201 if prediction.terminal else 202
    payload = prediction.to_json(state.base_url)
    return JSONResponse(payload, status_code=status, headers={"Location": payload["urls"]["get"]})


async def create_prediction(request: Request) -> Response:
    state = _state(request)
    body = await _json_body(request, _VERSION_FIELDS)
    ref = body["version"]
    if not isinstance(ref, str):
        raise Problem(422, "Invalid version or not permitted", "version must be a string")
    model_ref, _, version_id = ref.rpartition(":") if ":" in ref else ("", "", ref)
    spec = None
    if _HEX64.match(version_id):
        spec = state.registry.by_version(version_id)
        if spec is not None and model_ref and model_ref != spec.ref:
            spec = None
    elif not model_ref and "/" in ref:  # `owner/name` for official models
        owner, _, name = ref.partition("/")
        spec = state.registry.get(owner, name)
        version_id = "hidden"
    if spec is None:
        raise Problem(
            422, "Invalid version or not permitted",
            f"Version {ref!r} does not exist here. Use a version id from GET /v1/models/{{owner}}/{{name}}, "
            "owner/name:version, or owner/name.",
        )  # fmt: skip
    return await _create(request, spec, version_id, body)


async def create_model_prediction(request: Request) -> Response:
    spec = _model_or_404(request)
    body = await _json_body(request, _MODEL_FIELDS)
    # Replicate reports "hidden" as the version of predictions made through an official model's endpoint.
    return await _create(request, spec, "hidden", body)


def _prediction_or_404(request: Request) -> Any:
    prediction_id = request.path_params["prediction_id"]
    prediction = _state(request).predictions.get(prediction_id)
    if prediction is None:
        raise not_found("Prediction", f"Prediction {prediction_id} not found.")
    return prediction


async def get_prediction(request: Request) -> Response:
    return JSONResponse(_prediction_or_404(request).to_json(_state(request).base_url))


async def cancel_prediction(request: Request) -> Response:
    prediction = _prediction_or_404(request)
    await _state(request).predictions.cancel(prediction)
    return JSONResponse(prediction.to_json(_state(request).base_url))


def _time_filter(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Problem(
            400, "Invalid filter", f"{name} must be an ISO 8601 time with a zone, like 2026-01-31T12:00:00Z."
        )
    return moment


async def list_predictions(request: Request) -> Response:
    """Newest first, 100 a page; ``created_after``/``created_before`` filter as on Replicate (exclusive)."""
    state = _state(request)
    after, before = _time_filter(request, "created_after"), _time_filter(request, "created_before")
    page, cursor = state.predictions.page(request.query_params.get("cursor"), after, before)
    filters = {k: v for k in ("created_after", "created_before") if (v := request.query_params.get(k))}
    next_url = (
        f"{state.base_url}/v1/predictions?{urlencode({**filters, 'cursor': cursor})}" if cursor else None
    )
    return JSONResponse(
        {"next": next_url, "previous": None, "results": [p.to_json(state.base_url) for p in page]}
    )


routes = [
    Route("/v1/account", account, methods=["GET"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{owner}/{name}", get_model, methods=["GET"]),
    Route("/v1/models/{owner}/{name}/versions", list_versions, methods=["GET"]),
    Route("/v1/models/{owner}/{name}/versions/{version_id}", get_version, methods=["GET"]),
    Route("/v1/models/{owner}/{name}/predictions", create_model_prediction, methods=["POST"]),
    Route("/v1/predictions", create_prediction, methods=["POST"]),
    Route("/v1/predictions", list_predictions, methods=["GET"]),
    Route("/v1/predictions/{prediction_id}", get_prediction, methods=["GET"]),
    Route("/v1/predictions/{prediction_id}/cancel", cancel_prediction, methods=["POST"]),
]
