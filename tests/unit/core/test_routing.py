"""routing.route: the one place that decides how a file travels, at each boundary of each limit."""

from __future__ import annotations

import pytest

from replicate_widget.core.errors import InputError
from replicate_widget.core.inputs.routing import route, too_large, widget_limit
from replicate_widget.core.limits import (
    DATA_URI_LIMIT,
    FILES_API_LIMIT,
    STORAGE_LIMIT,
    WIDGET_STORAGE_MAX_BYTES,
)


@pytest.mark.parametrize(
    ("size", "bucket", "expected"),
    [
        (0, False, "data-uri"),
        (DATA_URI_LIMIT - 1, False, "data-uri"),
        (DATA_URI_LIMIT - 1, True, "data-uri"),  # a bucket never takes what can go inline
        (DATA_URI_LIMIT, False, "upload"),
        (FILES_API_LIMIT, False, "upload"),
        (FILES_API_LIMIT, True, "upload"),  # the Files API still takes its own limit, bucket or not
        (FILES_API_LIMIT + 1, True, "storage"),
        (STORAGE_LIMIT, True, "storage"),
    ],
)
def test_each_size_goes_where_its_limit_says(size, bucket, expected):
    assert route("a.bin", size, bucket=bucket) == expected


def test_a_file_over_the_files_api_limit_without_a_bucket_says_how_to_send_it():
    with pytest.raises(InputError) as caught:
        route("big.mov", FILES_API_LIMIT + 1, bucket=False)
    message = str(caught.value)
    assert message.startswith(f"big.mov is {FILES_API_LIMIT + 1:,} bytes")
    assert "storage='s3://bucket/prefix'" in message
    assert "https: URL" in message


def test_a_file_over_what_a_bucket_upload_takes_is_refused_with_the_part_count():
    with pytest.raises(InputError, match="10,000 parts"):
        route("huge.bin", STORAGE_LIMIT + 1, bucket=True)


def test_the_widgets_limit_and_message_follow_the_bucket():
    assert widget_limit(bucket=False) == FILES_API_LIMIT
    assert widget_limit(bucket=True) == WIDGET_STORAGE_MAX_BYTES
    assert "For bigger files set storage=" in too_large("x", 2**28, FILES_API_LIMIT, widget=True)
    assert "For bigger" not in too_large("x", 2**33, WIDGET_STORAGE_MAX_BYTES, widget=True)
