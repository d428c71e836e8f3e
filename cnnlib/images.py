"""Turning one image file (any format and size Pillow reads) into the 32x32 RGB tensor a network sees."""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = 64_000_000  # refuse decompression bombs well before memory runs out


class ImageError(ValueError):
    """A file that is not a readable image."""


def open_image(data: bytes | str) -> Image.Image:
    """Open bytes or a path as an upright RGB image: EXIF rotation applied, first frame of an
    animation, alpha composited on white, grayscale and palettes expanded."""
    try:
        im = Image.open(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
        im.seek(0)
        im.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageError(f"not a readable image ({type(e).__name__}: {e}). "
                         "Use a PNG, JPEG, WebP, BMP or GIF file.") from None
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    return im.convert("RGB")


def to_square(im: Image.Image, size: int = 32) -> Image.Image:
    """Centre-crop to a square, then resize to size x size with antialiasing."""
    return ImageOps.fit(im, (size, size), method=Image.Resampling.BICUBIC if im.width < size else Image.Resampling.LANCZOS)


def to_tensor_uint8(im: Image.Image, size: int = 32) -> torch.Tensor:
    """(3, size, size) uint8, as the data sets store images."""
    a = np.asarray(to_square(im, size), dtype=np.uint8)
    return torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous()
