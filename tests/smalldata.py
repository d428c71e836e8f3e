"""Small data sets made in the test process, for tests and fixtures alike (a plain module: test
files cannot import from conftest.py, which is ambiguous beside tests/e2e/conftest.py)."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from cnnlib.data import SHAPES10_CLASSES, Dataset, make_shapes10


def png(color=(200, 30, 30), size=(50, 40), mode="RGB") -> bytes:
    """The bytes of a plain-coloured PNG, as a user's upload would arrive."""
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def flat_png(width: int, height: int, color=(128, 128, 128)) -> bytes:
    """The bytes of a plain RGB PNG of any size, written row by row: an 11,000 x 11,000 image
    (121 million pixels) compresses to a few hundred kB and never exists whole in this process."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\0" + bytes(color) * width                  # filter type 0, then the pixels
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def tiny_dataset(n_train: int = 64, n_test: int = 32, seed: int = 0) -> Dataset:
    """A few Shapes-10 images: enough for the engine to run a handful of steps in milliseconds."""
    xtr, ytr = make_shapes10(n_train, seed)
    xte, yte = make_shapes10(n_test, seed + 1)
    return Dataset("tiny", SHAPES10_CLASSES, xtr, ytr, xte, yte)
