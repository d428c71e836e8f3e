"""Small data sets (and a small run's history) made in the test process, for tests and fixtures alike
(a plain module: test files cannot import from conftest.py, which is ambiguous beside tests/e2e/conftest.py)."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from cnnlib.config import TrainConfig
from cnnlib.data import SHAPES10_CLASSES, Dataset, make_shapes10
from cnnlib.history import History
from cnnlib.train import Changed, EpochEnd, Finished, Step


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


def finished_history() -> History:
    """A finished run of two epochs of four steps, with one live change: what charts and summaries draw."""
    h = History(TrainConfig(epochs=2))
    h.steps = [Step(e, s, 4, 2.3 - 0.1 * (4 * e + s), 0.2, 900.0, 0.001, 0.5 * (4 * e + s))
               for e in range(2) for s in range(1, 5)]
    h.epochs = [EpochEnd(0, 2.0, 0.3, 1.9, 0.35, 2.0, 2.0), EpochEnd(1, 1.8, 0.4, 1.7, 0.42, 2.0, 4.0)]
    h.changes = [Changed(1, 2, 0.01, 0.8)]
    h.finished = Finished(2, 0.42, 0.42, 4.0)
    h.state = "finished"
    return h
