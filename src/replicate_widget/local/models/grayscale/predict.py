# mypy: disallow-subclassing-any=False
"""demo/grayscale: an image in, the same image in grayscale out."""

import re
import tempfile

from cog import BaseRunner, Input, Path
from PIL import Image, ImageOps

# Cog saves a downloaded input as "tmp" + 8 random characters + its name from the URL; a data URI has no
# name, and Cog calls it "file" + an extension guessed from its type.
_COG_TEMP_PREFIX = re.compile(r"^tmp[a-z0-9_]{8}")
_NAMELESS = re.compile(r"^file(\.[A-Za-z0-9]+)?$")


def output_name(source: Path, suffix: str, extension: str) -> str:
    """`sunset-gray.png` for an input named sunset.jpg, plain `gray.png` for a data URI."""
    name = _COG_TEMP_PREFIX.sub("", source.name)
    stem = "" if _NAMELESS.match(name) else Path(name).stem
    return f"{stem}-{suffix}.{extension}" if stem else f"{suffix}.{extension}"


class Runner(BaseRunner):
    def run(
        self,
        image: Path = Input(description="The image to convert"),
        invert: bool = Input(description="Invert the gray levels too", default=False),
        output_format: str = Input(
            description="Format of the output image", choices=["png", "jpeg", "webp"], default="png"
        ),
    ) -> Path:
        with Image.open(image) as source:
            gray = ImageOps.grayscale(ImageOps.exif_transpose(source))
        if invert:
            gray = ImageOps.invert(gray)
        print(f"converted {gray.width}x{gray.height} image to grayscale")
        # A folder of its own per prediction, so the plain name never meets another run's file.
        out = Path(tempfile.mkdtemp(prefix="prediction-")) / output_name(image, "gray", output_format)
        gray.save(out, format=output_format.upper())
        return out  # Cog uploads it under this name
