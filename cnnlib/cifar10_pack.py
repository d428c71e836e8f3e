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
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

_SPLIT_FROM = 2000           # images: a smaller pack decodes faster than processes start
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


def load(path: str | os.PathLike | None = None, workers: int = 0) -> tuple:
    """Decode the pack: (classes, x_train, y_train, x_test, y_test), images uint8 (N, 3, 32, 32) torch
    tensors, labels int64, each split in CIFAR-10's own order, straight into one buffer of both splits
    (184 MB). A 32×32 JPEG decodes in about 60 µs, most of it Python's, so threads would only wait for
    each other: the decoding is split between `workers` processes (0: one per usable core), each a
    fresh Python with only numpy and Pillow, which hand their images back whole (BENCHMARKS.md §8).
    The parts are runs of that order, so each lands in one slice of the buffer."""
    import torch
    path = Path(path or pack_path())
    with np.load(path) as z:
        labels, split, classes = z["labels"].astype(np.int64), z["split"], tuple(str(c) for c in z["classes"])
    order = np.argsort(split, kind="stable")                          # the training images first
    n_train = int((split == 0).sum())
    images = np.empty((len(order), 3, 32, 32), dtype=np.uint8)
    workers = workers or _usable_cores()
    parts = np.array_split(np.arange(len(order)), workers if len(order) >= _SPLIT_FROM else 1)
    if len(parts) == 1:
        _decode(str(path), order, images)
    else:
        try:
            _decode_in_processes(path, parts, images)
        except (OSError, subprocess.SubprocessError):    # no processes to be had here: decode them all here
            _decode(str(path), order, images)
    x, y = torch.from_numpy(images), torch.from_numpy(labels[order])
    return classes, x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _decode(path: str, which: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The images `which` (indices into the pack), decoded into `out` (a new array if None), as uint8
    (N, 3, 32, 32)."""
    with np.load(path) as z:
        header, payload, lengths = z["header"].tobytes(), z["payload"], z["lengths"].astype(np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    out = np.empty((len(which), 3, 32, 32), dtype=np.uint8) if out is None else out
    for j, i in enumerate(which):
        with Image.open(io.BytesIO(header + payload[starts[i]:ends[i]].tobytes())) as im:
            out[j] = np.asarray(im if im.mode == "RGB" else im.convert("RGB")).transpose(2, 0, 1)
    return out


# What a worker process runs: it decodes images first..last of the pack's order (training images first)
# and writes them to its standard output as bytes. A plain `python -c`, not multiprocessing: under
# Streamlit, multiprocessing's new processes would run the page's script again as their main module.
_WORKER = """
import sys
import numpy as np
from cnnlib.cifar10_pack import _decode
path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with np.load(path) as z:
    order = np.argsort(z["split"], kind="stable")
sys.stdout.buffer.write(_decode(path, order[first:last]).tobytes())
"""


def _decode_in_processes(path: Path, parts: list[np.ndarray], images: np.ndarray) -> None:
    """Decode each part (a run of the pack's order) in a Python process of its own, into `images`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(path), str(part[0]), str(part[-1] + 1)],
                              stdout=subprocess.PIPE, env=env) for part in parts]
    try:
        for part, proc in zip(parts, procs):
            view = memoryview(images[part[0]:part[-1] + 1]).cast("B")    # straight into the buffer, no copy
            got = 0
            while got < len(view):
                n = proc.stdout.readinto(view[got:])
                if not n:
                    break
                got += n
            if proc.wait() != 0 or got != len(view):
                raise subprocess.SubprocessError(f"a decoding process ended with status {proc.returncode}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:                               # macOS and Windows have no affinity call
        return os.cpu_count() or 1
