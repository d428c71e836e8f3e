"""Turning one image file (PNG, JPEG, WebP, BMP, GIF, TIFF or PPM, any size up to MAX_PIXELS) into
the small square RGB tensor a network sees (at the size its data set has: 32x32 for CIFAR-10), and
the copies a page shows.

Pillow reads a file's header without decoding it, so the size is checked first: an image over
MAX_PIXELS is refused before its pixels take any memory, and a large JPEG is decoded straight at
1/2, 1/4 or 1/8 of its size when only a small image is needed. Right after decoding, the image is
reduced to the size it is needed at; no caller keeps the full decode.
"""
from __future__ import annotations

import io
import os
import warnings

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnlib.words import Message

# The files CNN Lab reads, by suffix (the pages' uploaders and image folders share this list) and
# by Pillow's format name (its JPEG reader also opens MPO, a phone's JPEG with a second picture inside).
# Any other format, even one Pillow knows, is refused before it is decoded.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ppm")
UPLOAD_TYPES = [s.lstrip(".") for s in IMAGE_SUFFIXES]          # for st.file_uploader(type=...)
FORMAT_WORDS = Message("images.formats")                          # "PNG, JPEG, WebP, BMP, GIF, TIFF or PPM"
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF", "PPM")

# The most pixels decoded for one image: a 40-megapixel photo as RGB takes 120 MB for a moment. A
# page needs at most DISPLAY_SIDE pixels a side and a network its data set's size; phones' JPEGs of more
# than 40 MP are still read, decoded at 1/2 to 1/8 of their size.
MAX_PIXELS = 40_000_000
DISPLAY_SIDE = 512

# Pillow's own guard (a DecompressionBombError from Image.open) stays as a backstop far above ours,
# which names the image's size; its warning below that is ours to give.
Image.MAX_IMAGE_PIXELS = 4 * MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageError(ValueError):
    """A file that is not a readable image, or one too large; the message says which."""


class ImageTooLarge(ImageError):
    """An image with more pixels than MAX_PIXELS."""


def decode(data: bytes | str | os.PathLike, min_side: int = 0) -> tuple[Image.Image, tuple[int, int]]:
    """Bytes or a path -> (an upright RGB image, the upright width and height of the image as stored).
    EXIF rotation is applied, the first frame of an animation taken, transparency composited on
    white, grayscale, palettes and 16- and 32-bit images turned to 8-bit RGB. With `min_side`, the
    image is decoded and kept no larger than needed for its shorter side to stay at least `min_side`
    pixels. Raises ImageError (ImageTooLarge over MAX_PIXELS); OSError for a path that cannot be read."""
    from_bytes = isinstance(data, (bytes, bytearray))
    try:
        im = Image.open(io.BytesIO(data) if from_bytes else data, formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(Message("images.unidentified", formats=FORMAT_WORDS)) from None
    except Image.DecompressionBombError:
        raise ImageTooLarge(Message("images.bomb", pixels=2 * Image.MAX_IMAGE_PIXELS / 1e6,
                                    limit=MAX_PIXELS / 1e6)) from None
    except OSError:
        if not from_bytes:
            raise                                  # a missing or unreadable file: the caller's to report
        raise ImageError(Message("images.damaged_header", formats=FORMAT_WORDS)) from None
    except Exception:  # noqa: BLE001 - a damaged header can raise anything; it means "not readable"
        raise ImageError(Message("images.damaged_header", formats=FORMAT_WORDS)) from None
    with im:
        stored, fmt = im.size, im.format
        if _over_limit(stored) and not (min_side and fmt in ("JPEG", "MPO")):
            raise _too_large(stored)
        if min_side and fmt in ("JPEG", "MPO"):
            im.draft(None, (min_side, min_side))   # the decoder scales by 1/2..1/8, never below min_side
            if _over_limit(im.size):
                raise _too_large(stored)
        orientation = _orientation(im)             # read now: a converted copy has no EXIF
        try:
            im.seek(0)
            im.load()
            # shrink first where Pillow can in this mode (less to convert), else after the conversion
            small = _upright(_reduce(_eight_bit(_reduce(im, min_side)), min_side), orientation)
        except Exception:  # noqa: BLE001 - Pillow's decoders raise OSError, ValueError, SyntaxError, ...
            raise ImageError(Message("images.damaged_data", format=fmt)) from None
    return small, (stored[1], stored[0]) if orientation in (5, 6, 7, 8) else stored   # a quarter turn


def _over_limit(size: tuple[int, int]) -> bool:
    """Whether an image of this (width, height) has more pixels than MAX_PIXELS."""
    return size[0] * size[1] > MAX_PIXELS


def _too_large(size: tuple[int, int]) -> ImageTooLarge:
    return ImageTooLarge(Message("images.too_large", width=size[0], height=size[1],
                                 megapixels=size[0] * size[1] / 1e6, limit=MAX_PIXELS / 1e6))


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1: as stored; 2-8: mirror and/or turn to view), 1 if there is none."""
    try:
        value = im.getexif().get(0x0112, 1)
        return value if isinstance(value, int) and value in _TRANSPOSE else 1
    except Exception:  # noqa: BLE001 - a damaged EXIF block only costs the rotation
        return 1


# EXIF orientation -> the transposition that makes the image upright (as ImageOps.exif_transpose does)
_TRANSPOSE = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
              7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


def open_image(data: bytes | str | os.PathLike, min_side: int = 0) -> Image.Image:
    """Bytes or a path -> an upright RGB image (see `decode`); raises ImageError."""
    return decode(data, min_side)[0]


def _eight_bit(im: Image.Image) -> Image.Image:
    """8-bit L or RGB, transparency composited on white. 16-bit and 32-bit modes are scaled, not
    clipped: Pillow's own conversion clips a 16-bit mid-grey (32768) to white."""
    if im.mode.startswith("I;16"):
        a = np.asarray(im)                                   # uint16, little or big endian
        return Image.fromarray((a >> 8).astype(np.uint8), "L")
    if im.mode in ("I", "F"):
        a = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(a.min(initial=0.0)), float(a.max(initial=0.0))
        if im.mode == "F" and lo >= 0 and hi <= 1:
            scale = 1 / 255                                  # floats in 0..1
        elif lo >= 0 and hi <= 255:
            scale = 1.0                                      # 8-bit values held in a wider type
        elif lo >= 0 and hi <= 65535:
            scale = 257.0                                    # 16-bit values (a 16-bit PNG read as "I")
        else:
            a, scale = a - lo, max(hi - lo, 1e-12) / 255     # anything else: stretched to 0..255
        return Image.fromarray(np.clip(np.rint(a / scale), 0, 255).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGB", im.size, (255, 255, 255))
        white.paste(im, (0, 0), im)                          # blended by its alpha
        return white
    return im if im.mode in ("L", "RGB") else im.convert("RGB")


def _reduce(im: Image.Image, min_side: int) -> Image.Image:
    """Shrink by a whole factor (a box average: quick and smooth; alpha premultiplied) while the
    shorter side stays at least twice `min_side`, so the last resize still works from more pixels
    than it keeps. Modes Pillow cannot reduce (16-bit, palettes) are left as they are."""
    k = min(im.size) // (2 * min_side) if min_side else 0
    if k < 2 or im.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "I", "F"):
        return im
    return im.reduce(k)


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    if (method := _TRANSPOSE[orientation]) is not None:
        im = im.transpose(method)
    return im.convert("RGB")                                 # a copy even when already RGB: the file closes


def display_copy(im: Image.Image, side: int = DISPLAY_SIDE) -> Image.Image:
    """A copy at most `side` pixels on its long side, for a page to show and keep."""
    if max(im.size) <= side:
        return im
    return ImageOps.contain(im, (side, side), Image.Resampling.LANCZOS)


def to_square(im: Image.Image, size: int = 32) -> Image.Image:
    """Centre-crop to a square, then resize to size x size with antialiasing."""
    method = Image.Resampling.BICUBIC if im.width < size else Image.Resampling.LANCZOS
    return ImageOps.fit(im, (size, size), method=method)


def to_tensor_uint8(im: Image.Image, size: int = 32) -> torch.Tensor:
    """(3, size, size) uint8, as the data sets store images."""
    a = np.asarray(to_square(im, size), dtype=np.uint8)
    return torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous()
