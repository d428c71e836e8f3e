"""Small data sets made in the test process, for tests and fixtures alike (a plain module: test
files cannot import from conftest.py, which is ambiguous beside tests/e2e/conftest.py)."""
from __future__ import annotations

import io

from PIL import Image

from cnnlib.data import SHAPES10_CLASSES, Dataset, make_shapes10


def png(color=(200, 30, 30), size=(50, 40), mode="RGB") -> bytes:
    """The bytes of a plain-coloured PNG, as a user's upload would arrive."""
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def tiny_dataset(n_train: int = 64, n_test: int = 32, seed: int = 0) -> Dataset:
    """A few Shapes-10 images: enough for the engine to run a handful of steps in milliseconds."""
    xtr, ytr = make_shapes10(n_train, seed)
    xte, yte = make_shapes10(n_test, seed + 1)
    return Dataset("tiny", SHAPES10_CLASSES, xtr, ytr, xte, yte)
