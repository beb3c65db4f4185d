"""Run options: the names a run takes, and which of the places an option can be given wins."""

from __future__ import annotations

import pytest

from replicate_widget.core.options import RUN_OPTIONS, check_names, choose_storage, merge


def test_every_option_is_named_once_and_an_unknown_one_is_a_type_error_that_lists_them():
    assert {"strategy", "wait", "cancel_after", "progress", "storage", "storage_expiry", "delete_uploads",
            "timeout"} == RUN_OPTIONS  # fmt: skip
    check_names({"wait": 5, "timeout": 3}, "run")
    with pytest.raises(TypeError, match=r"run\(\) got an unexpected keyword argument 'wiat'.*wait"):
        check_names({"wiat": 5}, "run")


def test_the_call_beats_the_handle_which_beats_the_widget():
    widget = {"storage": "s3://wdg/p", "strategy": "upload"}
    handle = {"storage": "s3://hnd/p", "wait": 5}
    merged = merge({}, handle=handle, widget=widget)
    assert merged == {"storage": "s3://hnd/p", "strategy": "upload", "wait": 5}
    assert merge({"storage": "s3://cli/p"}, handle=handle, widget=widget)["storage"] == "s3://cli/p"
    assert merge({}, widget=widget)["storage"] == "s3://wdg/p"
    # storage=None is "not said here": it never hides a lower level's bucket; False does ("no bucket")
    assert merge({"storage": None}, handle=handle)["storage"] == "s3://hnd/p"
    assert merge({"storage": False}, handle=handle)["storage"] is False


@pytest.mark.parametrize(
    ("levels", "bucket"),
    [
        (
            {"call": "s3://arg/p", "handle": "s3://hnd/p", "widget": "s3://wdg/p", "client": "s3://cli/p"},
            "arg",
        ),
        ({"handle": "s3://hnd/p", "widget": "s3://wdg/p", "client": "s3://cli/p"}, "hnd"),
        ({"widget": "s3://wdg/p", "client": "s3://cli/p"}, "wdg"),
        ({"client": "s3://cli/p"}, "cli"),
        ({}, "env"),
    ],
)
def test_storage_comes_from_the_first_level_that_says(monkeypatch, levels, bucket):
    monkeypatch.setenv("REPLICATE_WIDGET_STORAGE", "s3://env/p")
    location = choose_storage(**levels)
    assert location is not None
    assert location.bucket == bucket


def test_storage_false_at_any_level_ends_the_search(monkeypatch):
    monkeypatch.setenv("REPLICATE_WIDGET_STORAGE", "s3://env/p")
    assert choose_storage(handle=False, widget="s3://wdg/p", client="s3://cli/p") is None
    monkeypatch.delenv("REPLICATE_WIDGET_STORAGE")
    assert choose_storage() is None
