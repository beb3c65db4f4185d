"""The numbers and fixed sets the whole package agrees on, each stated once.

Everyone imports them from here: the input planner, the output display, the browser protocol (wire/) and the
widgets. Sources: Replicate's documentation of data URIs and the Files API (reference/replicate-api.md).
"""

from __future__ import annotations

# A file smaller than this (raw bytes) may travel inline as a data: URI; Replicate advises data URIs only
# for files under 1 MB.
DATA_URI_LIMIT = 1_000_000
# Raw bytes of data URIs one request carries at most; past it the planner uploads the largest files instead.
INLINE_BUDGET = 5_000_000
# The Files API takes files up to and including 100 MiB.
FILES_API_LIMIT = 104_857_600
# Bigger files go to the user's own bucket (storage=) in parts of this size. S3 and R2 take at most 10,000
# parts per object, which caps one upload; part size x parts in flight bounds its memory
# (storage/object_store.py).
STORAGE_PART_SIZE = 8 * 1024 * 1024
STORAGE_MAX_PARTS = 10_000
STORAGE_LIMIT = STORAGE_PART_SIZE * STORAGE_MAX_PARTS
# FileInput's cap on one file when a store is configured (without one, FILES_API_LIMIT): the kernel's disk.
WIDGET_STORAGE_MAX_BYTES = 5 * 1024**3

# Output display: a saved notebook carries images (and audio, video) up to this size as they are...
EMBED_LIMIT = 1_000_000
# ...images up to this size are read once (streamed) to make a thumbnail; bigger ones are shown by URL.
THUMBNAIL_SOURCE_LIMIT = 20 * 1024 * 1024

# A prediction in one of these states changes no more.
FINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})
