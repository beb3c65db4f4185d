"""The Playground's kernel-side pieces without a server: output items, run records, code(), trait privacy."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from replicate_widget.core.outputs.file_output import make_file_output
from replicate_widget.core.schema import ModelSchema
from replicate_widget.widgets.display import log_tail
from replicate_widget.widgets.playground.code import code_for
from replicate_widget.widgets.playground.form import build_form
from replicate_widget.widgets.playground.history import PlaygroundRun
from replicate_widget.widgets.playground.outputs import describe, summary
from replicate_widget.widgets.playground.widget import Playground

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"


def schema(stem: str) -> dict:
    return json.loads((SCHEMAS / f"{stem}.json").read_text())["openapi_schema"]


def test_output_items_by_kind():
    image = make_file_output("https://replicate.delivery/x/out-0.png")
    audio = make_file_output("https://replicate.delivery/x/speech.wav")
    items = describe([image, make_file_output("https://replicate.delivery/x/out-1.webp")])
    assert [i["kind"] for i in items] == ["image", "image"]
    assert items[0]["url"] == "https://replicate.delivery/x/out-0.png"
    assert items[1]["label"] == "[1]"
    obj = describe({"audio_out": audio, "text": "bonjour"})
    assert obj[0] == {"kind": "audio", "label": "audio_out", "name": "speech.wav",
                      "url": "https://replicate.delivery/x/speech.wav"}  # fmt: skip
    assert obj[1]["kind"] == "json"
    assert json.loads(obj[1]["text"]) == {
        "audio_out": "https://replicate.delivery/x/speech.wav",
        "text": "bonjour",
    }
    assert describe("hello")[0] == {"kind": "text", "label": "", "text": "hello"}
    assert describe({"a": 1})[0]["kind"] == "json"
    assert describe(None) == []


def test_data_uri_outputs_stay_out_of_items():
    inline = make_file_output("data:image/png;base64," + "A" * 5000)
    items = describe(inline)
    assert items[0]["url"] == ""
    assert "AAAA" not in json.dumps(items)


def test_log_tail_keeps_the_last_redraw_of_progress_bars():
    logs = (
        "start\n"
        + " 10%|#  | 1/10\r 50%|#####  | 5/10\r100%|##########| 10/10\n"
        + "\n".join(f"line {i}" for i in range(100))
    )
    tail = log_tail(logs)
    assert tail.splitlines()[-1] == "line 99"
    assert len(tail.splitlines()) == 30
    assert "\r" not in log_tail("a\r b\n")


def test_code_is_python_with_only_changed_values():
    form = build_form(ModelSchema(schema("stability-ai__sdxl")))
    code = code_for("stability-ai/sdxl", form, {"prompt": "a red fox", "width": 1024, "num_outputs": 2,
                                                "image": "https://example.com/in.png"})  # fmt: skip
    ast.parse(code)
    assert "'prompt': 'a red fox'" in code
    assert "'num_outputs': 2" in code
    assert "width" not in code  # the default
    assert "'image': 'https://example.com/in.png'" in code
    assert code.startswith("import replicate_widget as rw")


def test_run_record_row():
    run = PlaygroundRun(n=3, model="demo/x", input={}, status="failed", error="Boom.\nTrace", seconds=1.5)
    assert run.public() == {"n": 3, "id": "", "status": "failed", "seconds": 1.5, "summary": "Boom."}
    assert summary("x " * 100).endswith("…")


def test_playground_from_schema_fills_defaults_and_keeps_state_small():
    pg = Playground._from_schema(schema("stability-ai__sdxl"), model="stability-ai/sdxl")
    assert [f["name"] for f in pg.form][:3] == ["prompt", "negative_prompt", "image"]
    assert pg.values["scheduler"] == "K_EULER"
    assert pg.input["num_outputs"] == 1
    assert pg.output is None
    assert pg.history == []
    assert pg.status == "idle"
    state = {k: v for k, v in pg.get_state().items() if k not in ("_esm", "_css")}
    assert len(json.dumps(state, default=str)) < 20_000  # the form and values only
    bundle = pg._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"].startswith("Playground for stability-ai/sdxl: ")
    assert "prompt" in data["text/plain"]
    assert "<code>scheduler</code>" in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data  # the live widget is still there
    pg.close()


def test_invalid_values_are_flagged_by_field_without_a_request():
    pg = Playground._from_schema(schema("stability-ai__sdxl"), model="stability-ai/sdxl")
    pg.values = {**pg.values, "num_outputs": 9, "scheduler": "nope"}
    assert pg.start() is False
    assert pg.status == "invalid"
    assert set(pg.field_errors) == {"num_outputs", "scheduler"}
    assert pg.field_errors["num_outputs"].startswith("Must be at most 4")
    assert pg.history == []
    pg.close()


def test_select_strings_become_integers_for_integer_enums():
    pg = Playground._from_schema(schema("gnobitab__fusedream"), model="gnobitab/fusedream")
    pg.values = {**pg.values, "model_size": "256"}
    assert pg.input["model_size"] == 256
    pg.close()


def test_file_fields_take_5_gib_with_a_bucket_and_100_mib_without(monkeypatch, front):
    from replicate_widget import Client
    from replicate_widget.core.limits import FILES_API_LIMIT, WIDGET_STORAGE_MAX_BYTES

    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE", raising=False)
    document = schema("stability-ai__sdxl")
    client = Client(api_token="x", base_url="http://127.0.0.1:9")
    plain = Playground("a/b", client=client, _schema=ModelSchema(document))
    assert plain.max_bytes == FILES_API_LIMIT
    over = {"name": "big.mov", "size": FILES_API_LIMIT + 1, "type": "video/quicktime"}
    refused = front(plain).request("begin", id="image:1", **over)
    assert refused["error"]["code"] == "too-large"
    assert "storage=" in refused["error"]["message"]
    big = Playground("a/b", client=client, storage="s3://bucket/p", _schema=ModelSchema(document))
    assert big.max_bytes == WIDGET_STORAGE_MAX_BYTES
    assert front(big).request("begin", id="image:1", **over)["ok"]
    assert big.storage == "s3://bucket/p"
    state = {
        k: v for k, v in big.get_state().items() if k not in ("_esm", "_css")
    }  # the bundle has help text
    assert "s3://" not in json.dumps(state, default=str)  # kernel-side only


class _Handle:
    """What rw.model returns, as core sees it (core.handles.ModelHandleLike): a ref, options and a client."""

    def __init__(self, ref, client, **options):
        self.ref, self.bound_client, self.run_options = ref, client, options


def test_eager_uploads_are_decided_by_the_client_the_playground_runs_with(monkeypatch):
    """A handle's client goes to a proxy that is neither Replicate nor the local server: no eager uploads,
    though the environment's base URL (the local server) would have had them."""
    from replicate_widget import Client

    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9")
    document = ModelSchema(schema("stability-ai__sdxl"))
    proxied = Client(api_token="x", base_url="https://models.example.test")
    pg = Playground(_Handle("a/b", proxied, storage="s3://bucket/p"), _schema=document)
    assert pg.client is proxied
    assert pg.upload == "on-run"
    assert pg.storage == "s3://bucket/p"  # the handle's bucket too
    local = Playground(_Handle("a/b", Client(api_token="x")), _schema=document)
    assert local.upload == "eager"
