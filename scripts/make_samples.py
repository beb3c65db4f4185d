"""Makes the small sample files the demo notebooks use when no file was picked (run once; outputs committed).

Everything is generated here, so the samples carry no third-party content: a synthetic photo, a two-page PDF,
a zip, a short tone, a short video clip (needs ffmpeg) and a text file.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "samples"


def photo(path: Path) -> None:
    """A sunset over hills: smooth gradients and shapes, so grayscale and thumbnails look like something."""
    w, h = 960, 640
    img = Image.new("RGB", (w, h))
    px = img.load()
    assert px is not None
    for y in range(h):
        t = y / h
        sky = (int(255 - 90 * t), int(150 - 60 * t + 40 * (1 - t)), int(90 + 120 * t))
        for x in range(w):
            px[x, y] = sky
    draw = ImageDraw.Draw(img)
    draw.ellipse((600, 180, 760, 340), fill=(255, 214, 120))
    for i, (base, color) in enumerate([(430, (60, 90, 110)), (500, (40, 70, 80)), (560, (25, 45, 50))]):
        pts = [(x, base + 40 * math.sin(x / (90 + 30 * i) + i)) for x in range(0, w + 20, 20)]
        draw.polygon([*pts, (w, h), (0, h)], fill=color)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    img.save(path, quality=88)


def pdf(path: Path) -> None:
    pages = []
    for n in (1, 2):
        page = Image.new("RGB", (595, 842), "white")
        d = ImageDraw.Draw(page)
        d.rectangle((60, 60, 535, 140), outline="black", width=3)
        d.text((80, 90), f"replicate-widget sample document, page {n} of 2", fill="black")
        for i in range(20):
            d.line((60, 200 + 28 * i, 535 - (i % 4) * 60, 200 + 28 * i), fill=(120, 120, 120), width=2)
        pages.append(page)
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=72)


def archive(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", "A small archive for demo/file-info.\n")
        z.writestr("data/numbers.csv", "n,square\n" + "".join(f"{i},{i * i}\n" for i in range(50)))
        z.writestr("data/empty.txt", "")


def tone(path: Path, seconds: float = 1.5, rate: int = 16000) -> None:
    """A 440 Hz tone with a fade, as 16-bit mono WAV."""
    frames = bytearray()
    total = int(seconds * rate)
    for i in range(total):
        fade = min(1.0, i / 800, (total - i) / 800)
        frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * 440 * i / rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def clip(path: Path) -> None:
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is needed for the video sample: apt-get install ffmpeg")
    subprocess.run(
        ["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "32k", "-shortest", "-movflags", "+faststart", str(path)],
        check=True,
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    photo(OUT / "sunset.jpg")
    pdf(OUT / "document.pdf")
    archive(OUT / "archive.zip")
    tone(OUT / "tone.wav")
    clip(OUT / "clip.mp4")
    (OUT / "notes.txt").write_text("Three lines of plain text.\nThey stand in for a text file you picked.\nThe end.\n")
    for p in sorted(OUT.iterdir()):
        print(f"{p.name:14} {p.stat().st_size:>8} bytes")


if __name__ == "__main__":
    main()
