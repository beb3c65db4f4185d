"""test/two-files: two files in, each one's size and sha256 out (a model for the storage tests only)."""

import hashlib

from cog import BaseRunner, Input, Path


def _facts(path: Path) -> dict[str, object]:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


class Runner(BaseRunner):
    def run(
        self,
        big: Path = Input(description="A large file"),  # noqa: B008
        small: Path = Input(description="A small file"),  # noqa: B008
    ) -> dict[str, dict[str, object]]:
        return {"big": _facts(big), "small": _facts(small)}
