"""CIFAR-10 in the box: the compact JPEG copy that ships with CNN Lab (assets/cifar10-jpeg.npz, made by
scripts/pack_cifar10.py), read without a network. The pack holds one JPEG header shared by all 60,000
files and each file's scan data after it; header + scan data is the file, byte for byte. Decoding
all of it takes a few seconds, straight into the uint8 tensors that every session then shares (the
caller caches them on disk, cnnlib.data.cached).

JPEG (quality about 75) loses a little detail: a network scores about 3 points lower on this copy
than on the original files, which a download of CIFAR-10 replaces.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image

PACK = Path(__file__).resolve().parents[1] / "assets" / "cifar10-jpeg.npz"
NAME = "CIFAR-10 (compact copy)"


def pack_path() -> Path:
    """The shipped copy: $CNNLAB_CIFAR10_PACK, or assets/cifar10-jpeg.npz beside the cnnlib package."""
    return Path(os.environ.get("CNNLAB_CIFAR10_PACK") or PACK)


def available() -> bool:
    return pack_path().is_file()


def files(path: str | os.PathLike | None = None) -> Iterator[tuple[str, int, bytes]]:
    """(split, label, the JPEG file's bytes) of every image in the pack, in its own order."""
    with np.load(path or pack_path()) as z:
        header, payload, lengths = z["header"].tobytes(), z["payload"], z["lengths"].astype(np.int64)
        labels, split = z["labels"], z["split"]
    ends = np.cumsum(lengths)
    for i, end in enumerate(ends.tolist()):
        yield ("train" if split[i] == 0 else "test"), int(labels[i]), header + payload[end - lengths[i]:end].tobytes()


def load(path: str | os.PathLike | None = None) -> tuple[tuple[str, ...], torch.Tensor, torch.Tensor,
                                                         torch.Tensor, torch.Tensor]:
    """Decode the pack: (classes, x_train, y_train, x_test, y_test), images uint8 (N, 3, 32, 32),
    labels int64, each split in CIFAR-10's own order. The images are decoded straight into one
    buffer of both splits (184 MB, the only full-size copy), one after the other: a 32×32 JPEG
    decodes in about 60 µs, most of it Python's, so threads only wait for each other (measured)."""
    with np.load(path or pack_path()) as z:
        header, payload, lengths = z["header"].tobytes(), z["payload"], z["lengths"].astype(np.int64)
        labels, split, classes = z["labels"].astype(np.int64), z["split"], tuple(str(c) for c in z["classes"])
    ends = np.cumsum(lengths)
    starts = ends - lengths
    order = np.argsort(split, kind="stable")                          # the training images first
    n_train = int((split == 0).sum())
    images = np.empty((len(order), 3, 32, 32), dtype=np.uint8)

    for j, i in enumerate(order):
        with Image.open(io.BytesIO(header + payload[starts[i]:ends[i]].tobytes())) as im:
            images[j] = np.asarray(im if im.mode == "RGB" else im.convert("RGB")).transpose(2, 0, 1)
    x, y = torch.from_numpy(images), torch.from_numpy(labels[order])
    return classes, x[:n_train], y[:n_train], x[n_train:], y[n_train:]
