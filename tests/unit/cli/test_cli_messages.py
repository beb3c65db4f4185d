"""What the command line says to a person: its help, and what to do when no token is set (in shell terms)."""

from __future__ import annotations

import pytest

from replicate_widget.cli import main


def test_help_says_what_each_command_does_for_a_user(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "module" not in shown  # how the code is laid out is not the user's business
    for command, says in [
        ("demo", "demo notebooks in JupyterLab"),
        ("serve", "local server that behaves like Replicate"),
        ("run", "run a model once and save its output files"),
    ]:
        assert command in shown
        assert says in " ".join(shown.split()), shown
    assert "replicate-widget demo --on-replicate" in shown


def test_run_without_a_token_says_how_to_set_one_in_the_shell(capsys, monkeypatch):
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9")  # never reached: no token, no request
    assert main(["run", "demo/grayscale", "-i", "image=@photo.jpg"]) == 1
    said = capsys.readouterr().err
    assert "export REPLICATE_API_TOKEN=r8_" in said, said
    assert "replicate-widget serve" in said
    assert "rw.login" not in said  # Python advice means nothing in a shell


def test_demo_on_replicate_without_a_token_refuses_before_starting_anything(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "local_from_an_earlier_serve")  # not a Replicate token
    folder = tmp_path / "demo"
    assert main(["demo", "--on-replicate", "--no-browser", f"--dir={folder}"]) == 1
    said = capsys.readouterr().out
    assert "export REPLICATE_API_TOKEN=r8_" in said, said
    assert not folder.exists()  # nothing copied, nothing started


def test_run_saves_same_named_outputs_of_one_run_side_by_side(tmp_path, capsys):
    from replicate_widget.cli.run import _emit
    from replicate_widget.core.outputs.file_output import FileOutput

    first, second = FileOutput("data:text/plain,first"), FileOutput("data:text/plain,second")
    assert first.filename == second.filename == "output.txt"
    shown = _emit({"files": [first, second], "again": first}, tmp_path)
    assert shown == {
        "files": [str(tmp_path / "output.txt"), str(tmp_path / "output-1.txt")],
        "again": str(tmp_path / "output-2.txt"),
    }
    assert (tmp_path / "output.txt").read_text() == "first"
    assert (tmp_path / "output-1.txt").read_text() == "second"
    assert "output.files[1]: saved" in capsys.readouterr().out
