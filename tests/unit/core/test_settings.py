"""A `.env` in the working directory (the demo folder's) and the shell: which wins, and what is said."""

from __future__ import annotations

import pytest

from replicate_widget.core import settings


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "_applied", None)
    monkeypatch.setattr(settings, "_said", set())
    for name in settings.NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_setting_the_base_url_wins_over_the_shells_token_and_says_so_once(fresh, monkeypatch, capsys):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_fake")
    (fresh / ".env").write_text(
        "# a comment\nexport REPLICATE_BASE_URL='http://127.0.0.1:5555'\nREPLICATE_API_TOKEN=local_abc\nOTHER=x\n"
    )
    settings.apply_dotenv()
    settings.apply_dotenv()
    assert settings.os.environ["REPLICATE_BASE_URL"] == "http://127.0.0.1:5555"
    assert settings.os.environ["REPLICATE_API_TOKEN"] == "local_abc"
    assert "OTHER" not in settings.os.environ
    said = capsys.readouterr().err
    assert said.count("replicate-widget: models run on http://127.0.0.1:5555") == 1
    assert "local_abc" not in said


def test_a_file_without_a_base_url_only_fills_in_what_the_shell_leaves_unset(fresh, monkeypatch, capsys):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_fake")
    (fresh / ".env").write_text("REPLICATE_API_TOKEN=r8_from_the_file\n")
    settings.apply_dotenv()
    assert settings.os.environ["REPLICATE_API_TOKEN"] == "r8_fake"
    assert "REPLICATE_BASE_URL" not in settings.os.environ
    assert capsys.readouterr().err == ""


def test_a_rewritten_file_is_followed_and_its_new_server_said(fresh, capsys):
    dotenv = fresh / ".env"
    dotenv.write_text("REPLICATE_BASE_URL=http://127.0.0.1:5555\nREPLICATE_API_TOKEN=local_one\n")
    settings.apply_dotenv()
    dotenv.write_text("REPLICATE_BASE_URL=http://127.0.0.1:6666\nREPLICATE_API_TOKEN=local_two\n")
    settings.apply_dotenv()
    assert settings.os.environ["REPLICATE_API_TOKEN"] == "local_two"
    assert "http://127.0.0.1:6666" in capsys.readouterr().err


def test_no_file_changes_nothing(fresh, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_fake")
    settings.apply_dotenv()
    assert settings.os.environ["REPLICATE_API_TOKEN"] == "r8_fake"
    assert "REPLICATE_BASE_URL" not in settings.os.environ


def test_nothing_is_said_when_the_environment_already_has_the_files_settings(fresh, monkeypatch, capsys):
    """The demo's own JupyterLab starts kernels with these settings: its notebooks need no notice."""
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:5555")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "local_abc")
    (fresh / ".env").write_text("REPLICATE_BASE_URL=http://127.0.0.1:5555\nREPLICATE_API_TOKEN=local_abc\n")
    settings.apply_dotenv()
    assert capsys.readouterr().err == ""


def test_a_file_naming_a_server_but_no_token_never_gets_the_shells_token(fresh, monkeypatch, capsys):
    """A `.env` in a folder someone shared must not redirect the user's own Replicate token elsewhere."""
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_the_users_own")
    (fresh / ".env").write_text("REPLICATE_BASE_URL=https://collector.example.test\n")
    settings.apply_dotenv()
    assert settings.os.environ["REPLICATE_BASE_URL"] == "https://collector.example.test"
    assert "REPLICATE_API_TOKEN" not in settings.os.environ
    assert "models run on https://collector.example.test" in capsys.readouterr().err
