"""The README's Python snippets run as written, from where the README says: in the folder `replicate-widget
demo` makes (its samples beside them), with the kernel's environment pointing at the local server.

A block fenced ```python runs; one fenced ```python no-run can't run here: it needs a picked file, a token of
the user's own or a bucket, or it lists signatures rather than calls.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from replicate_widget.cli.demo import copy_notebooks, notebooks_source

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(\S*)[ \t]*([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
RUNS, NO_RUN = "python", "python no-run"
FEWEST_RUNNABLE = 2  # the top snippet and the local server's; a snippet that stops running must not vanish


def python_blocks() -> list[tuple[str, str, int]]:
    """(fence, code, line) for every fenced block whose language is Python."""
    text = README.read_text()
    found = []
    for match in FENCE.finditer(text):
        language, rest, code = match.groups()
        if language.lower() in ("py", "python", "python3"):
            fence = f"{language} {rest}".strip()
            found.append((fence, code, text.count("\n", 0, match.start()) + 1))
    return found


def test_every_python_block_says_whether_it_runs():
    fences = {fence for fence, _, _ in python_blocks()}
    unknown = fences - {RUNS, NO_RUN}
    assert not unknown, f"fence Python blocks as `{RUNS}` or `{NO_RUN}`, not {unknown}"


def test_the_readme_python_blocks_run_against_the_local_server(server, tmp_path, monkeypatch, capsys):
    copy_notebooks(notebooks_source(), tmp_path)  # the layout `replicate-widget demo` makes
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPLICATE_BASE_URL", server.base_url)
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    runnable = [(code, line) for fence, code, line in python_blocks() if fence == RUNS]
    ran = 0
    for code, line in runnable:
        seen = len(server.log.entries)
        try:
            exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
        except Exception as exc:
            pytest.fail(f"the README's block at line {line} failed: {type(exc).__name__}: {exc}")
        ran += 1
        if "serve()" not in code:  # the block that starts a server of its own talks to that one
            assert len(server.log.entries) > seen, f"the block at line {line} made no request"
    print(f"{ran} README blocks ran")
    assert ran == len(runnable)
    assert ran >= FEWEST_RUNNABLE
    # What they did is on disk and on screen: the inverted sunset, and a story from the other server.
    assert (tmp_path / "sunset-inverted.png").read_bytes().startswith(b"\x89PNG")
    said = capsys.readouterr().out
    assert "sunset-gray.png image/png" in said  # the input's name reached the model in its data URI
    assert "Once upon a time, a lighthouse keeper." in said
