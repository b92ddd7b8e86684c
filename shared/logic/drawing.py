"""What the pictures share: Pillow (one ~4 MB wheel with its own FreeType and font, where matplotlib
and numpy made the api function's asset 137 MB), the colour palette, text, and PNG encoding.

Colours: black first, then the Okabe-Ito palette (readable with colour blindness): orange, sky
blue, green, purple, blue, vermilion, yellow.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

PALETTE = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
WHITE: RGB = (255, 255, 255)
TEXT: RGB = (40, 40, 40)
FONT_PX = 11  # text height at 1x; 2x doubles every length


def rgb(colour: str) -> RGB:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def palette_colour(index: int) -> RGB:
    return rgb(PALETTE[index % len(PALETTE)])


@lru_cache(maxsize=8)
def font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled TrueType font at ``pixels`` (no system fonts needed, so Lambda draws the same)."""
    return ImageFont.load_default(size=pixels)


def text_size(draw: ImageDraw.ImageDraw, text: str, size: int) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font(size))
    return int(right - left), int(bottom - top)


def canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), WHITE)
    return image, ImageDraw.Draw(image)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
