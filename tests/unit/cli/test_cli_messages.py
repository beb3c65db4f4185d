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
