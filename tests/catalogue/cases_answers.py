"""Cases of issue 22 entering through a Python call that looks things up: malformed schemas and records,
answers that are not JSON objects, handles of things that are not names, search and collections. The local
server's ``answer`` fault stands in for a hostile or broken API (or a proxy's HTML page)."""

from __future__ import annotations

import copy
import inspect
import json
from typing import Any

import replicate_widget as rw

from . import Case

ECHO = "/v1/models/demo/slow-echo"


def _record(ctx: Any, model: str = "demo/slow-echo") -> dict[str, Any]:
    record: dict[str, Any] = ctx.api().get(f"/v1/models/{model}").json()
    return record


def _answer(ctx: Any, route: str, body: Any, **options: Any) -> None:
    ctx.server.faults.answer(route, body if isinstance(body, str) else json.dumps(body), **options)


def _malformed(change: Any) -> Any:
    """A case: the model record's schema altered by ``change``; everything a user touches must still work."""

    def act(ctx: Any) -> None:
        record = _record(ctx)
        broken = copy.deepcopy(record)
        change(broken["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"])
        _answer(ctx, f"GET {ECHO}", broken)
        m = ctx.client.model("demo/slow-echo")
        assert str(inspect.signature(m)) == "(**inputs)"  # like a model without a schema: any keyword goes
        assert "could not be read" in m.__doc__
        assert "could not be read" in m._repr_html_()
        rw.Playground(m).close()
        assert m(text="still runs", seconds=0) == "still runs"  # the server checks the input instead

    return act


def _set(key: str, value: Any, field: str = "seconds") -> Any:
    return lambda schema: schema["properties"][field].__setitem__(key, value)


def _odd_run_count(ctx: Any) -> None:
    record = {**_record(ctx), "run_count": "many"}
    _answer(ctx, f"GET {ECHO}", record)
    card = ctx.client.model("demo/slow-echo")._repr_html_()
    assert "slow-echo" in card
    assert " runs" not in card


def _hostile_links(ctx: Any) -> None:
    record = {**_record(ctx), "url": "javascript:alert(1)", "cover_image_url": "javascript:alert(2)"}
    _answer(ctx, f"GET {ECHO}", record)
    card = ctx.client.model("demo/slow-echo")._repr_html_()
    assert "javascript:" not in card
    assert "<a " not in card


def _secret_default(ctx: Any) -> None:
    record = _record(ctx)
    schema = record["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"]
    schema["properties"]["fail"].update({"default": "sk-very-secret", "x-cog-secret": True})
    _answer(ctx, f"GET {ECHO}", record)
    m = ctx.client.model("demo/slow-echo")
    shown = str(inspect.signature(m)) + m.__doc__ + m._repr_html_()
    assert "sk-very-secret" not in shown
    assert "fail: str = <hidden>" in str(inspect.signature(m))


def _typo(ctx: Any) -> Any:
    try:
        return ctx.client.model("demo/grayscal")
    finally:
        assert [e["path"] for e in ctx.server.log.entries] == ["/v1/models/demo/grayscal"]  # one request


def _typo_lazy(ctx: Any) -> None:
    m = ctx.client.model("demo/grayscal", lazy=True)
    assert ctx.server.log.entries == []
    assert str(inspect.signature(m)) == "(**inputs)"


def _checked_at_once(ctx: Any) -> None:
    m = ctx.client.model("demo/grayscale")
    assert [e["path"] for e in ctx.server.log.entries] == ["/v1/models/demo/grayscale"]
    assert "image" in inspect.signature(m).parameters  # the schema came with the check: no second request
    assert len(ctx.server.log.entries) == 1


def _skipped_record(ctx: Any) -> None:
    good = ctx.api().get("/v1/search", params={"query": "image"}).json()
    good["models"] = [*good["models"][:1], {"model": {"owner": "x", "name": 5}}, "nonsense", None]
    _answer(ctx, "GET /v1/search", good)
    found = ctx.client.search("image")
    assert [m.ref for m in found] == ["demo/contact-sheet"]
    assert found.note.endswith("(3 malformed records skipped)"), found.note


def _search_html(ctx: Any) -> Any:
    _answer(ctx, "GET /v1/search", "<html><body>Sign in to the Wi-Fi</body></html>", content_type="text/html")
    return ctx.client.search("image")


def _record_answer(body: str, content_type: str = "application/json") -> Any:
    def act(ctx: Any) -> Any:
        _answer(ctx, f"GET {ECHO}", body, content_type=content_type)
        return ctx.client.run("demo/slow-echo", {"text": "hi", "seconds": 0})

    return act


def _run_answer(route: str, seconds: float) -> Any:
    """The create (or, for a run long enough to be polled, a poll) answers an HTML page."""

    def act(ctx: Any) -> Any:
        _answer(ctx, route, "<html>Sign in</html>", content_type="text/html")
        return ctx.client.run("demo/slow-echo", {"text": "hi", "seconds": seconds})

    return act


P = "Python call"
# fmt: off
_MALFORMED = [
    ("property-not-object", "an Input property that is a string, not an object",
     lambda s: s["properties"].__setitem__("seconds", "a number")),
    ("x-order-text", "x-order: 'first'", _set("x-order", "first")),
    ("required-true", "required: true (not a list)", lambda s: s.__setitem__("required", True)),
    ("minimum-text", "minimum: '0' (a string)", _set("minimum", "0")),
    ("description-number", "description: 5 (a number)", _set("description", 5)),
    ("properties-list", "properties: [] (a list)", lambda s: s.__setitem__("properties", ["text"])),
]
CASES = [
    *[Case(f"py-schema-{name}", P, f"a model whose schema has {what}", "ok",
           "signature (**inputs), docstring and card say the schema could not be read; the Playground opens; "
           "runs are checked by the server", _malformed(change)) for name, what, change in _MALFORMED],
    Case("py-record-run-count-text", P, "a model record with run_count: 'many'", "ok",
         "the card shows no run count", _odd_run_count),
    Case("py-record-javascript-links", P, "a record whose url and cover are javascript: URLs", "ok",
         "the card links only http(s) URLs: no link, no image", _hostile_links),
    Case("py-secret-default", P, "a secret field (x-cog-secret) with a default", "ok",
         "inspect.signature shows <hidden>, the docstring and card 'default hidden'", _secret_default),
    Case("py-answer-html", P, "an HTML page where the model record should be (a proxy, a portal)", "APIError",
         "answered a body that is not JSON (text/html), not the JSON object the API sends",
         _record_answer("<html>Sign in</html>", "text/html")),
    Case("py-answer-html-create", P, "an HTML page where the created prediction should be", "APIError",
         "/predictions answered a body that is not JSON (text/html)",
         _run_answer("POST /v1/models/demo/slow-echo/predictions", 0)),
    Case("py-answer-html-poll", P, "an HTML page where a poll of a running prediction should answer",
         "APIError", "answered a body that is not JSON (text/html)",
         _run_answer("GET /v1/predictions/", 3)),
    Case("py-answer-empty", P, "an empty 200 answer for the model record", "APIError",
         "answered an empty body", _record_answer("")),
    Case("py-answer-list", P, "a JSON list where the model record should be", "APIError",
         "answered JSON that is not an object (list)", _record_answer("[1, 2]")),
    Case("py-search-html", P, "rw.search when the API answers HTML", "APIError",
         "/v1/search answered a body that is not JSON (text/html)", _search_html),
    Case("py-search-malformed-record", P, "a search answer with 3 malformed records", "ok",
         "the good ones are listed; the note says '(3 malformed records skipped)'", _skipped_record),
    Case("py-search-1mb", P, "rw.search('x' * 1_000_000)", "InputError",
         "rw.search takes at most 1,000 characters", lambda c: c.client.search("x" * 1_000_000)),
    Case("py-search-limit-bool", P, "rw.search('image', limit=True)", "InputError",
         "limit must be an integer from 1 to 50, not True", lambda c: c.client.search("image", limit=True)),
    Case("py-collection-slug-escaped", P, "rw.collection('a?b')", "APIError 404",
         "Collection a?b does not exist", lambda c: c.client.collection("a?b")),
    Case("py-model-42", P, "rw.model(42)", "InputError", "Model reference 42 not understood",
         lambda c: c.client.model(42)),
    Case("py-deployment-bytes", P, "rw.deployment(b'x')", "InputError",
         "A deployment is named 'owner/name', not b'x' (bytes)", lambda c: c.client.deployment(b"x")),
    Case("py-collection-3", P, "rw.collection(3)", "InputError",
         "A collection slug is a string like 'super-resolution', not 3", lambda c: c.client.collection(3)),
    Case("py-model-dot-segments", P, "rw.model('../predictions')", "InputError",
         "Model reference '../predictions' not understood", lambda c: c.client.model("../predictions")),
    Case("py-model-typo", P, "rw.model('demo/grayscal') (a typo)", "APIError 404",
         "Model demo/grayscal does not exist on this local server", _typo),
    Case("py-model-typo-lazy", P, "rw.model('demo/grayscal', lazy=True)", "ok",
         "no request until first use; the signature is then (**inputs)", _typo_lazy),
    Case("py-model-checked-once", P, "rw.model('demo/grayscale')", "ok",
         "one request when the handle is made; the signature comes from it", _checked_at_once),
]
# fmt: on
