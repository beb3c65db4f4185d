"""What the local server knows about its models beyond their code: search tags, collections, deployments.

The shapes follow Replicate's API (GET /v1/search, /v1/collections, /v1/deployments); the contents describe
the demo models. Models added with --model get no tags or collection, but search still finds them by name
and description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .registry import ModelSpec, Registry

# ref -> (tags, a longer description, as Replicate's search generates one)
_SEARCH_METADATA: dict[str, tuple[list[str], str]] = {
    "demo/grayscale": (
        ["image-to-image", "image", "grayscale", "photo"],
        "Converts a photo or any image to shades of gray, optionally inverted, as PNG, JPEG or WebP.",
    ),
    "demo/file-info": (
        ["file", "metadata", "utility", "pdf", "audio", "zip"],
        "Reports what a file is: its type, size and sha256, plus pages for PDFs, duration for audio, "
        "dimensions for images and the entries of a zip archive.",
    ),
    "demo/contact-sheet": (
        ["image", "images-to-image", "collage", "gallery"],
        "Lays out a list of images as one contact sheet: a grid of thumbnails on a chosen background.",
    ),
    "demo/slow-echo": (
        ["text", "echo", "progress", "testing"],
        "Echoes its text back after a set time, printing tqdm progress as it goes; handy to watch progress, "
        "cancellation and concurrency.",
    ),
    "demo/story": (
        ["text", "text-generation", "streaming", "story"],
        "Writes a short story about a prompt and streams it word by word, like a language model.",
    ),
}


@dataclass(frozen=True)
class Collection:
    slug: str
    name: str
    description: str
    models: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "slug": self.slug, "description": self.description}


COLLECTIONS = (
    Collection(
        "image-tools",
        "Image tools",
        "Turn, combine and lay out images.",
        ("demo/grayscale", "demo/contact-sheet"),
    ),
    Collection(
        "text-generation",
        "Text generation",
        "Models that write text, one of them streaming it word by word.",
        ("demo/story", "demo/slow-echo"),
    ),
    Collection("file-utilities", "File utilities", "Look inside files of any kind.", ("demo/file-info",)),
)

# A deployment runs a fixed model version under its own name, the way teams run models in production.
DEMO_DEPLOYMENTS = {"demo/grayscale-prod": "demo/grayscale"}


@dataclass(frozen=True)
class Deployment:
    owner: str
    name: str
    model: ModelSpec

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "name": self.name,
            "current_release": {
                "number": 1,
                "model": self.model.ref,
                "version": self.model.version_id,
                "created_at": self.model.created_at,
                "created_by": {"type": "user", "username": "local", "name": "Local server"},
                "configuration": {"hardware": "cpu", "min_instances": 0, "max_instances": 1},
            },
        }


def parse_deployment_arg(text: str) -> tuple[str, str]:
    """`owner/name=model-owner/model-name` -> (deployment ref, model ref)."""
    ref, sep, model = text.partition("=")
    pattern = re.compile(r"^[\w.-]+/[\w.-]+$")
    if not sep or not pattern.match(ref) or not pattern.match(model):
        raise ValueError(f"--deployment {text!r}: expected owner/name=model-owner/model-name")
    return ref, model


def build_deployments(registry: Registry, extra: Iterable[str] = ()) -> dict[str, Deployment]:
    """The demo deployment (when its model is served) plus ``extra`` `owner/name=model` strings."""
    wanted = dict(DEMO_DEPLOYMENTS)
    for text in extra:
        ref, model = parse_deployment_arg(text)
        wanted[ref] = model
    deployments = {}
    for ref, model_ref in wanted.items():
        owner, _, name = model_ref.partition("/")
        spec = registry.get(owner, name)
        if spec is None:
            if ref in DEMO_DEPLOYMENTS:
                continue  # the demo model was replaced or left out: no demo deployment then
            known = ", ".join(s.ref for s in registry)
            raise ValueError(
                f"--deployment {ref}={model_ref}: no model {model_ref} here (it serves: {known})"
            )
        dep_owner, _, dep_name = ref.partition("/")
        deployments[ref] = Deployment(dep_owner, dep_name, spec)
    return deployments


def search_metadata(spec: ModelSpec) -> tuple[list[str], str]:
    tags, generated = _SEARCH_METADATA.get(spec.ref, ([], ""))
    return list(tags), generated or spec.description


def score(spec: ModelSpec, query: str) -> float:
    """How well ``spec`` matches: every word of the query counts, in the name most, then tags, then text."""
    tags, generated = search_metadata(spec)
    words = [w for w in re.split(r"[^\w-]+", query.lower()) if w]
    total = 0.0
    for word in words:
        if word in spec.ref.lower():
            total += 3
        if any(word in tag for tag in tags):
            total += 2
        if word in (spec.description + " " + generated).lower():
            total += 1
    return total / max(1, len(words))


def collection_matches(collection: Collection, query: str) -> bool:
    words = [w for w in re.split(r"[^\w-]+", query.lower()) if w]
    text = f"{collection.slug} {collection.name} {collection.description}".lower()
    return any(word in text for word in words)
