"""Model references and where their predictions go: parse "owner/name[:version]" (or
"deployments/owner/name"), look the model up once.

For `owner/name` the model record decides: an official model takes predictions at its own endpoint, any
other runs its latest version. Records and schemas are kept per client in a `ModelRecords`, which flows use
through its methods only.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .network.http import Call, Flow, json_object, send
from .schema import ModelSchema

_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
# Letters, digits, '_', '-' and '.', but not a name of dots only: "../predictions" would climb out of
# /v1/models/ to another endpoint.
_NAME = re.compile(r"^(?!\.+$)[\w.-]+$")
DEPLOYMENT_PREFIX = "deployments/"


@dataclass(frozen=True)
class ModelRef:
    owner: str | None
    name: str | None
    version: str | None
    # "deployments/owner/name": the deployment's own endpoint, never the model of the same name
    deployment: bool = False

    @classmethod
    def parse(cls, ref: str) -> ModelRef:
        if not isinstance(ref, str):
            raise InputError(
                f"Model reference {ref!r} not understood: give a string, "
                "'owner/name' or 'owner/name:version'."
            )
        ref = ref.strip()
        if _VERSION_ID.match(ref):
            return cls(None, None, ref)
        deployment = ref.startswith(DEPLOYMENT_PREFIX)
        path, _, version = ref.removeprefix(DEPLOYMENT_PREFIX).partition(":")
        owner, _, name = path.partition("/")
        if (
            not (_NAME.match(owner) and _NAME.match(name))
            or (version and not _VERSION_ID.match(version))
            or (deployment and version)
        ):
            raise InputError(
                f"Model reference {ref!r} not understood: use 'owner/name', 'owner/name:<64-hex version>', "
                "a bare 64-hex version id, or 'deployments/owner/name' for a deployment."
            )
        return cls(owner, name, version or None, deployment)

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class Target:
    """Where to create predictions of a model, and its schema."""

    create_url: str
    version: str | None  # None: the official-model endpoint, which takes no version
    schema: ModelSchema


class ModelRecords:
    """Model and version records (and their schemas) one client has fetched: they don't change under us."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}  # a model or version URL -> its record
        self._schemas: dict[str, ModelSchema] = {}
        # (base URL, reference) -> its Target: made from the records above, which stay, so it stays too.
        self._targets: dict[tuple[str, str], Target] = {}

    def fetch_flow(self, url: str) -> Flow:
        """The record at ``url``: from memory, else fetched once and remembered."""
        with self._lock:
            record = self._records.get(url)
        if record is None:
            record = json_object((yield from send(Call("GET", url))))
            with self._lock:
                record = self._records.setdefault(url, record)
        return record

    def schema(self, key: str, version_record: dict[str, Any]) -> ModelSchema:
        """The schema of a version record, read once per key."""
        with self._lock:
            if key not in self._schemas:
                self._schemas[key] = ModelSchema(version_record.get("openapi_schema"))
            return self._schemas[key]


def resolve_flow(base_url: str, records: ModelRecords, ref_text: str) -> Flow:
    """The `Target` of a model reference (the model or version lookup goes through ``records``)."""
    # Every run resolves its reference: after the first, from memory at once (parsing it and reading the
    # records again was ~7 us of a run's client time).
    key = (base_url, ref_text) if isinstance(ref_text, str) else None
    known = records._targets.get(key) if key is not None else None
    if known is not None:
        return known
    target = yield from _resolve_flow(base_url, records, ref_text)
    if key is not None:
        with records._lock:
            records._targets.setdefault(key, target)
    return target


def _resolve_flow(base_url: str, records: ModelRecords, ref_text: str) -> Flow:
    ref = ModelRef.parse(ref_text)
    if ref.owner is None:  # a bare version id: no way to ask for its schema
        return Target(f"{base_url}/v1/predictions", ref.version, ModelSchema(None))
    if ref.deployment:
        return (yield from _deployment_target(base_url, records, ref))
    if ref.version is not None:
        url = f"{base_url}/v1/models/{ref.slug}/versions/{ref.version}"
        version = yield from records.fetch_flow(url)
        return Target(f"{base_url}/v1/predictions", ref.version, records.schema(url, version))
    model_url = f"{base_url}/v1/models/{ref.slug}"
    record = yield from records.fetch_flow(model_url)
    latest = _object(record.get("latest_version"))
    schema = records.schema(model_url, latest)
    if record.get("is_official"):
        return Target(f"{base_url}/v1/models/{ref.slug}/predictions", None, schema)
    if not latest.get("id"):
        raise InputError(f"{ref.slug} has no published version to run; give one as '{ref.slug}:<version>'.")
    return Target(f"{base_url}/v1/predictions", str(latest["id"]), schema)


def _deployment_target(base_url: str, records: ModelRecords, ref: ModelRef) -> Flow:
    """A deployment runs its current release; the schema is that release's version's."""
    record = yield from records.fetch_flow(f"{base_url}/v1/deployments/{ref.slug}")
    release = _object(record.get("current_release"))
    model, version = release.get("model"), release.get("version")
    schema = ModelSchema(None)
    if isinstance(model, str) and isinstance(version, str):
        url = f"{base_url}/v1/models/{model}/versions/{version}"
        schema = records.schema(url, (yield from records.fetch_flow(url)))
    return Target(f"{base_url}/v1/deployments/{ref.slug}/predictions", None, schema)


def _object(value: Any) -> dict[str, Any]:
    """A sub-record, or {} where the API sent none (or something that is not one)."""
    return value if isinstance(value, dict) else {}
