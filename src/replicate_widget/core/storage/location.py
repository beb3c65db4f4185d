"""Where big files go: ``storage="s3://bucket/prefix"`` (also ``gs://`` and ``az://``) parsed and checked,
which of the places it can be given wins (resolve_storage, used by options.choose_storage), and how long a
signed URL lasts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import InputError

if TYPE_CHECKING:
    from ..inputs.local_file import LocalFile

STORAGE_ENV = "REPLICATE_WIDGET_STORAGE"
DEFAULT_EXPIRY = 3600  # seconds a signed URL stays valid: long enough for a queued prediction to start
_SCHEMES = ("s3", "gs", "az")


@dataclass(frozen=True)
class StorageLocation:
    """A bucket (or Azure container) and a prefix inside it."""

    scheme: str
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, text: str) -> StorageLocation:
        parts = urlsplit(text.strip())
        if "@" in parts.netloc:  # never echoed: it may hold a key
            raise InputError(
                "storage= takes no credentials in the URL: give s3://bucket/prefix and set the cloud's own "
                "variables (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_KEY...)."
            )
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            got = f"'{scheme}:'" if scheme else "no scheme"
            raise InputError(
                f"storage= takes s3://bucket/prefix, gs://bucket/prefix or az://container/prefix; {got} "
                f"is not supported (from {text!r})."
            )
        if not parts.netloc:
            raise InputError(f"storage={text!r} names no bucket: write it as {scheme}://bucket/prefix.")
        _check_bucket(scheme, parts.netloc)
        prefix = parts.path.strip("/")
        _check_prefix(prefix, text)
        return cls(scheme, parts.netloc, prefix)

    def key_for(self, file: LocalFile, call: str = "") -> str:
        """Where these bytes go: shared by content, or under ``call``, a key no other call uses."""
        return "/".join(p for p in (self.prefix, file.sha256, call, file.name) if p)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.prefix}".rstrip("/")


# Each store's own naming rules (S3's with the legacy us-east-1 names it still serves: capitals and '_').
# obstore builds request URLs from the name, and one it can't (a space) panicked deep inside it.
_BUCKET_RULES = {
    "s3": (
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$"),
        "3 to 255 letters, digits, '.', '-' or '_', starting and ending with a letter or digit "
        "(new buckets: 3 to 63, lowercase)",
    ),
    "gs": (
        re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits, '-', '_' or '.' (222 with dots), starting and ending with a "
        "letter or digit",
    ),
    "az": (
        re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits and single '-', starting and ending with a letter or digit",
    ),
}
_BUCKET_WORD = {"s3": "An S3 bucket", "gs": "A Google Cloud Storage bucket", "az": "An Azure container"}


def _check_bucket(scheme: str, bucket: str) -> None:
    rule, words = _BUCKET_RULES[scheme]
    if not rule.match(bucket) or ".." in bucket:
        raise InputError(
            f"storage=: {bucket!r} is not a valid bucket name. {_BUCKET_WORD[scheme]} name is {words}."
        )


def _check_prefix(prefix: str, text: str) -> None:
    """A prefix the stores take as a path: no empty, '.' or '..' segment, no control character."""
    for segment in prefix.split("/") if prefix else []:
        if segment in ("", ".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in segment):
            raise InputError(
                f"storage={text!r}: the prefix {prefix!r} has an empty, '.', '..' or control-character "
                "segment; give folder names separated by single '/'."
            )


def resolve_storage(*choices: Any) -> StorageLocation | None:
    """The first choice that is given (not None), else the environment variable; False or "" means none."""
    for choice in choices:
        if choice is None:
            continue
        if isinstance(choice, StorageLocation):
            return choice
        if choice is False or choice == "":
            return None
        if not isinstance(choice, str):
            kind = type(choice).__name__
            raise InputError(f"storage= takes a URL such as 's3://bucket/prefix', not a {kind}.")
        return StorageLocation.parse(choice)
    from_env = os.environ.get(STORAGE_ENV, "").strip()
    return StorageLocation.parse(from_env) if from_env else None


def check_expiry(seconds: Any) -> int:
    # S3's signatures (SigV4) are valid for at most 7 days; GCS's too.
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= 604_800:
        raise InputError(f"storage_expiry= takes whole seconds from 1 to 604800 (7 days), not {seconds!r}.")
    return seconds
