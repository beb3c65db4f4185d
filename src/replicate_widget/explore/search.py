"""Finding models: rw.search (GET /v1/search, or QUERY /v1/models where search is missing), rw.collection and
rw.collections. Results are handles made from the listing's records: listing fetches no schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ..core.client import Client, default_client
from ..core.errors import APIError, InputError
from ..core.network.http import Call, Flow, json_object, send
from ..core.refs import ModelRef
from . import cards
from .handle import Model

MAX_LIMIT = 50  # GET /v1/search's own bound
MAX_QUERY = 1000  # characters: a search is a few keywords; far longer URLs are refused on the way
_MAX_PAGES = 20  # of the collections list: a guard against a server whose `next` never ends
_SEARCH_MISSING = (404, 405, 501)


class ModelList(list[Model]):
    """A list of model handles that displays as a grid of cards."""

    def __init__(self, handles: list[Model], heading: str = "", note: str = "") -> None:
        super().__init__(handles)
        self.heading = heading
        self.note = note

    def _repr_html_(self) -> str:
        return cards.grid(self, self.heading, self.note)


@dataclass(frozen=True)
class CollectionInfo:
    slug: str
    name: str
    description: str

    def models(self, *, client: Client | None = None) -> ModelList:
        return collection(self.slug, client=client)


class CollectionList(list[CollectionInfo]):
    """rw.collections(): displays as a table, each with the line that opens it."""

    def _repr_html_(self) -> str:
        return cards.collections_table((c.name, c.description, c.slug) for c in self)


def _client(client: Client | None) -> Client:
    return client if client is not None else default_client()


def _search_flow(client: Client, query: str, limit: int) -> Flow:
    """Model records and the search's metadata; QUERY /v1/models where GET /v1/search does not exist."""
    url = f"{client.base_url}/v1/search?{urlencode({'query': query, 'limit': limit})}"
    try:
        answer = json_object((yield from send(Call("GET", url))))
    except APIError as exc:
        if exc.status not in _SEARCH_MISSING:
            raise
    else:
        items = _items(answer, "models")
        return [
            (item.get("model"), item.get("metadata") if isinstance(item.get("metadata"), dict) else {})
            if isinstance(item, dict)
            else (None, {})
            for item in items
        ]
    encoded = query.encode()
    call = Call(
        "QUERY",
        f"{client.base_url}/v1/models",
        headers={"content-type": "text/plain; charset=utf-8", "content-length": str(len(encoded))},
        body=lambda: iter([encoded]),
    )
    answer = json_object((yield from send(call)))
    return [(record, {}) for record in _items(answer, "results")[:limit]]


def _items(answer: dict[str, Any], key: str) -> list[Any]:
    items = answer.get(key)
    return items if isinstance(items, list) else []


def search(query: str, limit: int = 20, *, client: Client | None = None) -> ModelList:
    """Models matching ``query`` as handles, best first; displays as a grid of cards.

    Uses Replicate's search API (GET /v1/search, in beta) and falls back to QUERY /v1/models where it is
    missing. Nothing beyond the listing is fetched: a handle gets its schema when first used.
    """
    if not isinstance(query, str) or not query.strip():
        raise InputError(
            "rw.search needs words to look for, like rw.search('upscale') or rw.search('speech')."
        )
    if len(query) > MAX_QUERY:  # a URL of a megabyte is refused by httpx (InvalidURL), and by servers
        raise InputError(
            f"rw.search takes at most {MAX_QUERY:,} characters of words to look for; this query has "
            f"{len(query):,}. Give a few keywords."
        )
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}.")
    found = _client(client).drive(_search_flow(_client(client), query.strip(), limit))
    handles = [_handle(record, client, metadata) for record, metadata in found if _slug(record)]
    note = f"{len(handles)} model{'s' if len(handles) != 1 else ''} for {query.strip()!r}"
    return ModelList(handles, note=note + _skipped(len(found) - len(handles)))


def _skipped(count: int) -> str:
    return f" ({count} malformed record{'s' if count != 1 else ''} skipped)" if count else ""


def _slug(record: Any) -> str:
    """'owner/name' of a listed record; "" for a record that is not one (it is skipped, and counted)."""
    if not isinstance(record, dict):
        return ""
    owner, name = record.get("owner"), record.get("name")
    if not (isinstance(owner, str) and isinstance(name, str)):
        return ""
    try:
        ModelRef.parse(f"{owner}/{name}")
    except InputError:
        return ""
    return f"{owner}/{name}"


def _handle(record: dict[str, Any], client: Client | None, metadata: dict[str, Any] | None = None) -> Model:
    listed = dict(record)
    if metadata and metadata.get("generated_description") and not listed.get("description"):
        listed["description"] = metadata["generated_description"]
    return Model(_slug(record), client=client, record=listed)


def _get_flow(url: str) -> Flow:
    return json_object((yield from send(Call("GET", url))))


def collection(slug: str, *, client: Client | None = None) -> ModelList:
    """The models of the collection ``slug`` (like 'super-resolution') as handles; displays as a grid."""
    if not isinstance(slug, str):
        raise InputError(
            f"A collection slug is a string like 'super-resolution', not {slug!r}; see rw.collections()."
        )
    slug = slug.strip()
    if not slug or "/" in slug:
        raise InputError(
            f"A collection slug looks like 'super-resolution', not {slug!r}; see rw.collections()."
        )
    api = _client(client)
    answer = api.drive(_get_flow(f"{api.base_url}/v1/collections/{quote(slug, safe='')}"))
    records = _items(answer, "models")
    handles = [_handle(record, client) for record in records if _slug(record)]
    note = str(answer.get("description") or "") + _skipped(len(records) - len(handles))
    return ModelList(handles, heading=str(answer.get("name") or slug), note=note.strip())


def collections(*, client: Client | None = None) -> CollectionList:
    """Every collection (slug, name, description); rw.collection(slug) gives one's models."""
    api = _client(client)
    found = CollectionList()
    url: str | None = f"{api.base_url}/v1/collections"
    pages = 0
    while url and pages < _MAX_PAGES:
        answer = api.drive(_get_flow(url))
        found.extend(
            CollectionInfo(str(c.get("slug", "")), str(c.get("name", "")), str(c.get("description") or ""))
            for c in _items(answer, "results")
            if isinstance(c, dict) and isinstance(c.get("slug"), str)
        )
        following = answer.get("next")
        url, pages = following if isinstance(following, str) else None, pages + 1
    return found
