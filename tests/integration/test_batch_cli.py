"""`replicate-widget batch` against the local server: saved outputs, exit status, resume, --retry-failed."""

import json

import pytest
from PIL import Image

from replicate_widget import cli

ECHO_CREATE = "/v1/models/demo/slow-echo/predictions"


@pytest.fixture
def env(server, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    return server


def creates(server, path=ECHO_CREATE):
    return [e for e in server.log.entries if e["method"] == "POST" and e["path"] == path]


def test_a_glob_of_images_is_saved_and_exits_0(env, tmp_path, capsys):
    for n in range(3):
        Image.new("RGB", (10 + n, 10), "blue").save(tmp_path / f"shot{n}.png")
    (tmp_path / "skip.txt").write_text("not matched by the glob")
    out = tmp_path / "gray"
    code = cli.main(["batch", "demo/grayscale", "--inputs", str(tmp_path / "*.png"), "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["shot0-gray.png", "shot1-gray.png", "shot2-gray.png"]
    captured = capsys.readouterr()
    assert "3/3 done" in captured.err  # the progress line's last state
    assert str(out / "results.jsonl") in captured.out


def test_a_failed_item_exits_1_and_a_rerun_retries_only_on_request(env, tmp_path, capsys):
    inputs = tmp_path / "in.jsonl"
    lines = [{"text": "ok", "seconds": 0}, {"text": "no", "seconds": 0, "fail": "bad input"}]
    inputs.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    args = ["batch", "demo/slow-echo", "--inputs", str(inputs), "--out", str(tmp_path / "out")]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "failed: item-00002 (demo/slow-echo): " in err
    assert "bad input" in err
    assert len(creates(env)) == 2
    assert cli.main(args) == 1  # resumed: nothing to do, the failure still stands
    assert len(creates(env)) == 2
    assert cli.main([*args, "--retry-failed"]) == 1
    assert len(creates(env)) == 3  # only the failed item again
    rows = [json.loads(r) for r in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["succeeded", "failed"]


def test_bad_inputs_say_what_to_give(env, tmp_path, capsys):
    code = cli.main(["batch", "demo/grayscale", "--inputs", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert code == 1
    assert "is not a folder, a glob pattern or a .jsonl file" in capsys.readouterr().err


def test_several_models_each_in_a_folder_of_its_own(env, tmp_path):
    Image.new("RGB", (12, 12), "red").save(tmp_path / "one.png")
    out = tmp_path / "out"
    args = [
        "batch",
        "demo/grayscale",
        "demo/file-info",
        "--inputs",
        str(tmp_path / "*.png"),
        "--out",
        str(out),
    ]
    assert cli.main(args) == 0
    assert [p.name for p in (out / "demo-grayscale").iterdir()] == ["one-gray.png"]
    rows = [json.loads(r) for r in (out / "results.jsonl").read_text().splitlines()]
    assert [r["model"] for r in rows] == ["demo/grayscale", "demo/file-info"]
    assert rows[1]["output"]["kind"] == "image"
