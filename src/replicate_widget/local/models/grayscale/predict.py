# mypy: disallow-subclassing-any=False
"""demo/grayscale: an image in, the same image in grayscale out."""

from cog import BaseRunner, Input, Path
from PIL import Image, ImageOps


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
        out = Path(f"/tmp/gray-{id(gray)}.{output_format}")  # Cog uploads and deletes it
        gray.save(out, format=output_format.upper())
        return out
