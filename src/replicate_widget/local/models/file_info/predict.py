# mypy: disallow-subclassing-any=False
"""demo/file-info: any file in; JSON out: name, size, sha256, detected type and a summary for its kind."""

import hashlib
import mimetypes
import re
import wave
import zipfile
from typing import Any

from cog import BaseRunner, Input, Path

# Leading bytes -> (mime type, kind); checked before trusting the file name.
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "image"),
    (b"\xff\xd8\xff", "image/jpeg", "image"),
    (b"GIF8", "image/gif", "image"),
    (b"%PDF-", "application/pdf", "pdf"),
    (b"PK\x03\x04", "application/zip", "zip"),
    (b"PK\x05\x06", "application/zip", "zip"),
    (b"ID3", "audio/mpeg", "audio"),
    (b"fLaC", "audio/flac", "audio"),
    (b"OggS", "audio/ogg", "audio"),
]


def _detect(path: Path, head: bytes) -> tuple[str, str]:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "audio"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "image"
    if head[4:8] == b"ftyp":
        guessed = mimetypes.guess_type(path.name)[0] or "video/mp4"
        return guessed, guessed.split("/")[0]
    for magic, mime, kind in _SIGNATURES:
        if head.startswith(magic):
            return mime, kind
    by_name = mimetypes.guess_type(path.name)[0]
    if by_name and by_name != "application/octet-stream":
        return by_name, by_name.split("/")[0]
    try:
        head.decode("utf-8")
        return "text/plain", "text"
    except UnicodeDecodeError:
        return "application/octet-stream", "binary"


def _summary(path: Path, kind: str) -> dict[str, Any]:
    if kind == "image":
        from PIL import Image

        with Image.open(path) as image:
            return {"width": image.width, "height": image.height, "mode": image.mode, "format": image.format}
    if kind == "audio":
        if path.read_bytes()[:4] == b"RIFF":
            with wave.open(str(path)) as audio:
                return {
                    "duration": audio.getnframes() / audio.getframerate(),
                    "channels": audio.getnchannels(),
                    "sample_rate": audio.getframerate(),
                }
        import mutagen

        parsed = mutagen.File(path)
        if parsed is not None and parsed.info is not None:
            return {"duration": round(parsed.info.length, 3)}
        return {}
    if kind == "video":
        import mutagen

        parsed = mutagen.File(path)
        return {"duration": round(parsed.info.length, 3)} if parsed is not None and parsed.info else {}
    if kind == "pdf":
        from pypdf import PdfReader

        return {"pages": len(PdfReader(path).pages)}
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            entries = [{"name": i.filename, "size": i.file_size} for i in archive.infolist()]
        return {"entries": len(entries), "listing": entries[:100]}
    if kind == "text":
        text = path.read_text(errors="replace")
        return {"lines": len(text.splitlines()), "characters": len(text)}
    return {}


class Runner(BaseRunner):
    def run(self, file: Path = Input(description="Any file")) -> dict[str, Any]:
        path = Path(file)
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            head = handle.read(64)
            handle.seek(0)
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        mime, kind = _detect(path, head)
        try:
            summary = _summary(path, kind)
        except Exception as exc:  # a broken file still gets its basic facts
            summary = {"error": f"could not read it as {kind}: {exc}"}
        # Cog downloads an input to a temporary file named "tmp" + 8 random characters + the original name;
        # a data URI has no name, and Cog calls it "file" + an extension guessed from its type. (The local
        # server gives Cog a data URI with a name= parameter as a URL ending in that name: local/inputs.py.)
        name: str | None = re.sub(r"^tmp[a-z0-9_]{8}", "", path.name) or path.name
        if re.match(r"^file(\.[A-Za-z0-9]+)?$", name or ""):
            name = None
        print(f"{name or 'a data URI'}: {mime}, {path.stat().st_size} bytes")
        return {
            "name": name,
            "size": path.stat().st_size,
            "sha256": digest.hexdigest(),
            "type": mime,
            "kind": kind,
            "summary": summary,
        }
