"""Byte ranges of a file in transit, from the chunks on disk (``{offset: length}``, never overlapping)."""

from __future__ import annotations


def merged(chunks: dict[int, int]) -> list[list[int]]:
    """The byte ranges on disk, merged where they touch: ``[[start, end], ...]``."""
    out: list[list[int]] = []
    for offset in sorted(chunks):
        end = offset + chunks[offset]
        if out and offset <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([offset, end])
    return out


def overlapping(chunks: dict[int, int], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) already on disk, in order."""
    held = sorted((o, o + n) for o, n in chunks.items() if o < end and o + n > start)
    return [(max(o, start), min(stop, end)) for o, stop in held]


def missing(held: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) outside ``held`` (sorted, within [start, end))."""
    parts, at = [], start
    for lo, hi in held:
        if at < lo:
            parts.append((at, lo))
        at = max(at, hi)
    if at < end:
        parts.append((at, end))
    return parts
