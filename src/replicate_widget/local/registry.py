"""The models a server serves: the demo predictors shipped in this package, plus any the user adds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ids import iso, utcnow

MODELS_DIR = Path(__file__).parent / "models"
# When versions were "pushed": fixed, so model records are the same across restarts.
_DEMO_CREATED_AT = "2026-01-01T00:00:00.000000Z"

# name -> (folder, description, how many predictions one worker runs at once). More than one needs an
# `async def run` AND the COG_MAX_CONCURRENCY environment variable: with coglet 0.23.1 the
# `@cog.concurrent(max=N)` decorator alone still gave one slot (measured), so workers.py sets the variable.
_DEMOS: dict[str, tuple[str, str, int]] = {
    "grayscale": ("grayscale", "Turn an image into grayscale.", 1),
    "file-info": ("file_info", "Describe any file: type, size, sha256 and a summary per kind.", 1),
    "contact-sheet": ("contact_sheet", "Lay out a list of images as one contact-sheet image.", 1),
    "slow-echo": ("slow_echo", "Echo text after a while, printing progress; cancellable; concurrent.", 8),
    "story": ("story", "Stream a short story, word by word.", 1),
}


def _accept_anything_schema() -> dict[str, Any]:
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {"Input": {"type": "object", "title": "Input", "properties": {}}, "Output": {}}
        },
    }


@dataclass(frozen=True)
class ModelSpec:
    owner: str
    name: str
    predictor: Path  # the predict.py file
    class_name: str
    schema: dict[str, Any] | None  # None: no schema file, so inputs are not validated
    description: str = ""
    concurrency: int = 1
    created_at: str = field(default=_DEMO_CREATED_AT)

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def version_id(self) -> str:
        """64 hex characters that change only when the predictor's source or schema change."""
        digest = hashlib.sha256(self.predictor.read_bytes())
        digest.update(json.dumps(self.schema, sort_keys=True).encode())
        return digest.hexdigest()

    @property
    def openapi_schema(self) -> dict[str, Any]:
        return self.schema if self.schema is not None else _accept_anything_schema()

    @property
    def input_schema(self) -> dict[str, Any] | None:
        if self.schema is None:
            return None
        schema: dict[str, Any] = self.schema["components"]["schemas"]["Input"]
        return schema

    @property
    def output_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.openapi_schema["components"]["schemas"].get("Output", {})
        return schema

    @property
    def streams(self) -> bool:
        post = self.openapi_schema.get("paths", {}).get("/predictions", {}).get("post", {})
        return bool(post.get("x-cog-streaming"))

    @property
    def iterates(self) -> bool:
        """Output is an iterator: partial output from Cog's webhooks is meaningful."""
        return self.output_schema.get("x-cog-array-type") == "iterator"

    def version_json(self) -> dict[str, Any]:
        return {
            "id": self.version_id,
            "created_at": self.created_at,
            "cog_version": "0.23.1",
            "openapi_schema": self.openapi_schema,
        }

    def model_json(self, base_url: str, run_count: int = 0) -> dict[str, Any]:
        return {
            "url": f"{base_url}/models/{self.ref}",  # a page served without the token (routes_explore)
            "owner": self.owner,
            "name": self.name,
            "description": self.description,
            "visibility": "public",
            "github_url": None,
            "paper_url": None,
            "license_url": None,
            "run_count": run_count,
            "cover_image_url": f"{base_url}/_covers/{self.ref}.svg",
            "default_example": None,
            "is_official": True,
            "latest_version": self.version_json(),
        }


def demo_models() -> list[ModelSpec]:
    specs = []
    for name, (folder, description, concurrency) in _DEMOS.items():
        directory = MODELS_DIR / folder
        schema = json.loads((directory / "openapi_schema.json").read_text())
        specs.append(
            ModelSpec("demo", name, directory / "predict.py", "Runner", schema, description, concurrency)
        )
    return specs


def parse_model_arg(text: str) -> ModelSpec:
    """`owner/name=path/predict.py:Predictor` -> a spec; the schema comes from `.cog/openapi_schema.json`."""
    ref, sep, target = text.partition("=")
    owner, slash, name = ref.partition("/")
    if not sep or not slash or not owner or not name or "/" in name:
        raise ValueError(f"--model {text!r}: expected owner/name=path/to/predict.py:ClassName")
    path_text, colon, class_name = target.rpartition(":")
    if not colon:
        path_text, class_name = target, "Predictor"
    predictor = Path(path_text).expanduser().resolve()
    if not predictor.is_file():
        raise ValueError(f"--model {text!r}: {predictor} is not a file")
    schema_file = predictor.parent / ".cog" / "openapi_schema.json"
    schema = json.loads(schema_file.read_text()) if schema_file.is_file() else None
    return ModelSpec(
        owner, name, predictor, class_name, schema, f"{predictor.name}:{class_name}", 1, iso(utcnow()) or ""
    )


class Registry:
    def __init__(self, specs: list[ModelSpec]) -> None:
        self._by_ref = {spec.ref: spec for spec in specs}
        self._by_version = {spec.version_id: spec for spec in specs}

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._by_ref.values())

    def get(self, owner: str, name: str) -> ModelSpec | None:
        return self._by_ref.get(f"{owner}/{name}")

    def by_version(self, version_id: str) -> ModelSpec | None:
        return self._by_version.get(version_id)
