"""Model handles, search, collections and deployments against the local server over real HTTP."""

import asyncio
import contextlib
import inspect
import re
import sys
from pathlib import Path
from typing import Literal

import httpx
import pytest

import replicate_widget as rw

SAMPLES = Path(__file__).resolve().parents[2] / "notebooks" / "samples"


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def paths(server, method=None):
    return [e["path"] for e in server.log.entries if method is None or e["method"] == method]


def schema_requests(server):
    """Requests that fetch a schema: a model record, a version, a deployment."""
    return [p for p in paths(server, "GET") if p.startswith(("/v1/models/", "/v1/deployments/"))]


# ---- the handle: signature, docstring, attributes -------------------------------------------------------
def test_signature_is_the_input_schema_in_x_order(client):
    m = client.model("demo/slow-echo")
    sig = inspect.signature(m)
    assert list(sig.parameters) == ["text", "seconds", "steps", "fail"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    text, seconds, steps, fail = sig.parameters.values()
    assert text.default is inspect.Parameter.empty  # required: no default
    assert text.annotation is str
    assert (seconds.default, seconds.annotation) == (2.0, float)
    assert (steps.default, steps.annotation) == (10, int)
    assert fail.default is None  # optional without a default


def test_enums_are_literals_and_files_take_paths(client):
    sig = inspect.signature(client.model("demo/grayscale"))
    assert sig.parameters["output_format"].annotation == Literal["png", "jpeg", "webp"]
    assert sig.parameters["output_format"].default == "png"
    image = sig.parameters["image"]
    assert image.default is inspect.Parameter.empty
    assert Path in image.annotation.__args__
    assert str(sig) == (
        "(*, image: pathlib.Path | str, invert: bool = False, "
        "output_format: Literal['png', 'jpeg', 'webp'] = 'png')"
    )


def test_docstring_lists_every_field(client):
    doc = client.model("demo/slow-echo").__doc__
    assert doc.startswith("demo/slow-echo: Echo text after a while")
    for line in (
        "text : str, required",
        "Text to echo back",
        "seconds : float, 0 to 600, default 2.0",
        "steps : int, 1 to 1000, default 10",
        "fail : str, optional",
        "Output: str",
    ):
        assert line in doc, line
    grayscale = client.model("demo/grayscale").__doc__
    assert "output_format : one of 'png', 'jpeg', 'webp', default 'png'" in grayscale
    assert "image : file (a path, URL or bytes), required" in grayscale
    assert "Output: a file (rw.FileOutput)" in grayscale
    assert inspect.getdoc(client.model("demo/grayscale")) == grayscale
    assert type(client.model("demo/grayscale")).__doc__.startswith("A model of Replicate")


def test_ref_str_repr_and_bad_refs(client):
    m = client.model("demo/grayscale")
    assert (m.ref, str(m), repr(m)) == ("demo/grayscale", "demo/grayscale", "rw.model('demo/grayscale')")
    version = "a" * 64
    assert rw.model(f"demo/grayscale:{version}", lazy=True).ref == f"demo/grayscale:{version}"
    with pytest.raises(rw.InputError, match="not understood"):
        rw.model("not a model")
    d = rw.deployment("demo/grayscale-prod", lazy=True)
    assert (d.ref, repr(d)) == ("deployments/demo/grayscale-prod", "rw.deployment('demo/grayscale-prod')")
    assert type(rw.model("deployments/demo/grayscale-prod", lazy=True)) is type(d)


def test_the_schema_is_fetched_once_on_first_use(server, client):
    m = client.model("demo/grayscale", lazy=True)
    assert server.log.entries == []  # making a lazy handle asks nothing
    inspect.signature(m)
    m.__doc__  # noqa: B018
    m._repr_html_()
    assert m.schema.available
    assert schema_requests(server) == ["/v1/models/demo/grayscale"]


# ---- running -----------------------------------------------------------------------------------------------
def test_calling_runs_the_model(server, client):
    echo = client.model("demo/slow-echo")
    assert echo(text="hello", seconds=0) == "hello"
    [create] = [e for e in server.log.entries if e["method"] == "POST"]
    assert create["path"] == "/v1/models/demo/slow-echo/predictions"
    prediction = echo.predict(text="again", seconds=0)
    assert isinstance(prediction, rw.Prediction)
    assert (prediction.status, prediction.output) == ("succeeded", "again")
    assert echo.run_batch([{"text": "a", "seconds": 0}, {"text": "b", "seconds": 0}]) == ["a", "b"]


def test_files_and_bound_options(server, client):
    gray = client.model("demo/grayscale", strategy="upload")
    out = gray(image=SAMPLES / "sunset.jpg", output_format="png")
    assert isinstance(out, rw.FileOutput)
    assert out.read().startswith(b"\x89PNG")
    assert paths(server, "POST")[0] == "/v1/files"  # the bound strategy: uploaded though small


def test_unknown_keyword_names_the_real_inputs(server, client):
    with pytest.raises(rw.InputError) as info:
        client.model("demo/slow-echo")(txt="hello")
    assert "'txt' is not an input of this model (its inputs: text, seconds, steps, fail)" in str(info.value)
    assert paths(server, "POST") == []


def test_run_functions_and_playground_take_a_handle(server, client):
    echo = client.model("demo/slow-echo", progress=False)
    # the handle's client is used: the default client would have no token for this server
    assert rw.run(echo, {"text": "through rw.run", "seconds": 0}) == "through rw.run"
    assert rw.predict(echo, {"text": "p", "seconds": 0}).output == "p"
    assert rw.run_batch(echo, [{"text": "x", "seconds": 0}]) == ["x"]
    assert "".join(rw.stream(client.model("demo/story"), {"sentences": 1, "delay": 0})).strip()
    pg = rw.Playground(echo)
    assert pg.model == "demo/slow-echo"
    assert [spec["name"] for spec in pg.form] == ["text", "seconds", "steps", "fail"]
    assert echo.playground().model == "demo/slow-echo"


def test_async_forms(client):
    story = client.model("demo/story")

    async def main():
        chunks = [c async for c in rw.async_stream(story, {"sentences": 2, "delay": 0})]
        direct = [c async for c in story.async_stream(sentences=1, delay=0)]
        echoed = await client.model("demo/slow-echo").async_run(text="async", seconds=0)
        return chunks, direct, echoed

    chunks, direct, echoed = asyncio.run(main())
    assert len(chunks) > 3
    assert all(isinstance(c, str) for c in chunks)
    assert "".join(chunks).count(".") >= 2
    assert direct
    assert echoed == "async"


def test_leaving_an_async_stream_early_cancels_it(server, client):
    async def main():
        chunks = rw.async_stream("demo/story", {"sentences": 50, "delay": 0.2}, client=client)
        async with contextlib.aclosing(chunks):  # as Python asks for async generators left early
            async for _chunk in chunks:
                break
        return [p for p in paths(server, "POST") if p.endswith("/cancel")]  # cancelled at once

    assert asyncio.run(main())


# ---- the card ----------------------------------------------------------------------------------------------
def test_the_card_is_static_html_with_everything(server, client):
    card = client.model("demo/grayscale")._repr_html_()
    assert "<script" not in card
    assert "Turn an image into grayscale." in card
    assert re.search(r"\d+ runs?", card)
    for name in ("image", "invert", "output_format"):
        assert f">{name}</td>" in card
    assert "The image to convert" in card
    assert "a file (rw.FileOutput)" in card
    assert "rw.model(&#x27;demo/grayscale&#x27;)<wbr>.playground()" in card  # may wrap before .playground()
    cover = re.search(r'<img src="([^"]+)"', card).group(1)
    page = re.search(r'<a href="([^"]+)"', card).group(1)
    # A browser loads both without the token: they are outside the API.
    image = httpx.get(cover, trust_env=False)
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert image.text.startswith("<svg")
    assert httpx.get(page, trust_env=False).status_code == 200
    assert server.token not in card


def test_the_run_count_counts_runs(server, client):
    def runs():  # a new client each time: a client keeps the records it fetched
        fresh = rw.Client(api_token=server.token, base_url=server.base_url)
        return fresh.model("demo/file-info").record["run_count"]

    before = runs()
    client.model("demo/file-info")(file=SAMPLES / "notes.txt")
    assert runs() == before + 1


def test_an_unknown_model_is_a_404_naming_the_models_and_its_card_says_so(client):
    m = client.model("demo/nope", lazy=True)
    with pytest.raises(rw.APIError) as info:
        m(text="x")
    assert info.value.status == 404
    assert "demo/grayscale" in info.value.detail
    assert "does not exist" in m._repr_html_()
    assert str(inspect.signature(m)) == "(**inputs)"  # Tab completion must not raise


# ---- search and collections ----------------------------------------------------------------------------
def test_search_lists_handles_without_fetching_schemas(server, client):
    results = client.search("image")
    assert [m.ref for m in results][:2] == ["demo/contact-sheet", "demo/grayscale"]
    assert all(isinstance(m, type(client.model("a/b", lazy=True))) for m in results)
    grid = results._repr_html_()
    assert grid.count('class="rw-card"') == len(results)
    assert "rw.model(&#x27;demo/grayscale&#x27;)<wbr>.playground()" in grid
    assert paths(server) == ["/v1/search"]  # listing and showing the grid fetched no schema
    assert server.log.entries[0]["path"] == "/v1/search"
    inspect.signature(results[1])
    assert schema_requests(server) == ["/v1/models/demo/grayscale"]


def test_search_limit_and_empty_query(server, client):
    assert len(client.search("text", limit=1)) == 1
    with pytest.raises(rw.InputError, match="needs words"):
        rw.search("   ", client=client)
    with pytest.raises(rw.InputError, match="limit"):
        rw.search("x", limit=0, client=client)
    assert paths(server) == ["/v1/search"]


def test_search_falls_back_to_query_models(server, client):
    server.faults.fail(route="GET /v1/search", status=404)
    results = rw.search("story", client=client)
    assert [m.ref for m in results] == ["demo/story"]
    assert [(e["method"], e["path"], e["status"]) for e in server.log.entries] == [
        ("GET", "/v1/search", 404),
        ("QUERY", "/v1/models", 200),
    ]


def test_search_errors_other_than_missing_are_raised(server, client):
    server.faults.fail(route="GET /v1/search", status=500)
    with pytest.raises(rw.APIError) as info:
        client.search("story")
    assert info.value.status == 500


def test_collections(server, client):
    listed = client.collections()
    assert [c.slug for c in listed] == ["image-tools", "text-generation", "file-utilities"]
    assert "rw.collection(&#x27;image-tools&#x27;)" in listed._repr_html_()
    tools = rw.collection("image-tools", client=client)
    assert [m.ref for m in tools] == ["demo/grayscale", "demo/contact-sheet"]
    assert tools.heading == "Image tools"
    assert "Image tools" in tools._repr_html_()
    assert schema_requests(server) == []
    with pytest.raises(rw.APIError) as info:
        client.collection("nope")
    assert info.value.status == 404
    assert "image-tools, text-generation, file-utilities" in info.value.detail


# ---- deployments -------------------------------------------------------------------------------------------
def test_a_deployment_runs_at_its_own_endpoint(server, client):
    d = client.deployment("demo/grayscale-prod")
    assert inspect.signature(d) == inspect.signature(client.model("demo/grayscale"))
    out = d(image=SAMPLES / "sunset.jpg")
    assert out.read().startswith(b"\x89PNG")
    created = [e for e in server.log.entries if e["method"] == "POST"]
    assert [e["path"] for e in created] == ["/v1/deployments/demo/grayscale-prod/predictions"]
    assert "/v1/deployments/demo/grayscale-prod" in paths(server, "GET")
    # the schema is the current release's version
    version = client.record("deployments/demo/grayscale-prod")["current_release"]["version"]
    assert f"/v1/models/demo/grayscale/versions/{version}" in paths(server, "GET")


def test_a_deployment_by_string_never_runs_the_model_of_that_name(server, client):
    out = client.run("deployments/demo/grayscale-prod", {"image": SAMPLES / "sunset.jpg"})
    assert isinstance(out, rw.FileOutput)
    posts = paths(server, "POST")
    assert posts == ["/v1/deployments/demo/grayscale-prod/predictions"]


def test_a_deployment_card(client):
    card = client.deployment("demo/grayscale-prod")._repr_html_()
    assert "deployments/demo/" in card
    assert "grayscale-prod" in card
    assert "runs demo/grayscale · release 1 · cpu" in card
    assert "rw.deployment(&#x27;demo/grayscale-prod&#x27;)<wbr>.playground()" in card
    assert ">output_format</td>" in card


def test_an_unknown_deployment_is_a_404_naming_the_deployments(client):
    with pytest.raises(rw.APIError) as info:
        client.deployment("demo/nope")(image=SAMPLES / "sunset.jpg")
    assert info.value.status == 404
    assert "demo/grayscale-prod" in info.value.detail


# ---- progress ----------------------------------------------------------------------------------------------
def test_a_progress_callable_hears_every_kind(client, tmp_path):
    events = []
    echo = client.model("demo/slow-echo", progress=events.append, wait=False)
    assert echo(text="p", seconds=0.6, steps=4) == "p"
    kinds = {e.kind for e in events}
    assert {"status", "logs", "progress"} <= kinds
    fractions = [e.fraction for e in events if e.kind == "progress"]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert [e.status for e in events if e.kind == "status"][-1] == "succeeded"
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x00" * 1_500_000)
    uploads = []
    client.model("demo/file-info", progress=uploads.append)(file=big)
    sent = [e.sent for e in uploads if e.kind == "upload"]
    assert sent[-1] == 1_500_000


def test_a_handle_s_progress_hears_of_retries(server, client):
    server.faults.rate_limit(route="POST /v1/models/demo/slow-echo/predictions", retry_after=0.2)
    events = []
    assert client.model("demo/slow-echo", progress=events.append)(text="again", seconds=0) == "again"
    [retry] = [e for e in events if e.kind == "retry"]
    assert retry.message.startswith("retrying in ")
    assert [e["status"] for e in server.log.entries if e["method"] == "POST"] == [429, 201]


class _Terminal:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_automatic_progress_is_one_terminal_line_only_on_a_terminal(client, monkeypatch, capsys):
    echo = client.model("demo/slow-echo")
    echo(text="quiet", seconds=0)
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: nothing
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    echo(text="loud", seconds=0.5, steps=5)
    echo.run_batch([{"text": "a", "seconds": 0}, {"text": "b", "seconds": 0}])
    lines = terminal.text.split("\n")
    assert len(lines) == 3  # one line per call, each ended once
    # the last line keeps the prediction's id, to find it again (rw.prediction)
    assert re.fullmatch(
        r".*✓ demo/slow-echo succeeded in \d+\.\d s · prediction \w+ on demo/slow-echo *", lines[0]
    )
    assert re.fullmatch(r".*demo/slow-echo: 2/2 done in \d+\.\d s *", lines[1])
    assert lines[2] == ""
    terminal.text = ""
    echo.with_options(progress=False)(text="off", seconds=0)
    assert terminal.text == ""
