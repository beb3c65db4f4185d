# mypy: disallow-subclassing-any=False
"""demo/contact-sheet: a list of images in, one contact-sheet image out."""

import math
import tempfile

from cog import BaseRunner, Input, Path
from PIL import Image, ImageOps


class Runner(BaseRunner):
    def run(
        self,
        images: list[Path] = Input(description="The images to lay out"),
        columns: int = Input(description="Images per row", default=3, ge=1, le=10),
        thumb_size: int = Input(description="Size of each cell in pixels", default=256, ge=32, le=1024),
        background: str = Input(
            description="Background colour", choices=["white", "black", "gray"], default="white"
        ),
    ) -> Path:
        if not images:
            raise ValueError("Give at least one image.")
        columns = min(columns, len(images))
        rows = math.ceil(len(images) / columns)
        sheet = Image.new("RGB", (columns * thumb_size, rows * thumb_size), background)
        for index, path in enumerate(images):
            with Image.open(path) as image:
                thumb = ImageOps.contain(
                    ImageOps.exif_transpose(image).convert("RGB"), (thumb_size, thumb_size)
                )
            row, column = divmod(index, columns)
            offset = ((thumb_size - thumb.width) // 2, (thumb_size - thumb.height) // 2)
            sheet.paste(thumb, (column * thumb_size + offset[0], row * thumb_size + offset[1]))
            print(f"placed image {index + 1}/{len(images)}")
        # A folder of its own per prediction, so the plain name never meets another run's file.
        out = Path(tempfile.mkdtemp(prefix="prediction-")) / "contact-sheet.png"
        sheet.save(out)
        return out
