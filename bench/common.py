"""Shared by the benchmark scripts: the CIFAR-10 copy in ../shared/data (decoded once and cached
under bench/out/), or the built-in Shapes-10 set when that copy is absent."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"

from cnnlib.data import Dataset, load_builtin  # noqa: E402


def cifar10_arrays() -> Path | None:
    """bench/out/cifar10-uint8.npz, made from the shared JPEG copy on first use; None without it."""
    cache = OUT / "cifar10-uint8.npz"
    if cache.exists():
        return cache
    if not (SHARED / "cifar10-jpeg.npz").exists():
        return None
    spec = importlib.util.spec_from_file_location("cifar10_jpeg", SHARED / "cifar10_jpeg.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    xtr, ytr, xte, yte, classes = mod.load(str(SHARED / "cifar10-jpeg.npz"))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(cache, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, classes=np.array(classes))
    return cache


def load_bench_data(which: str = "auto") -> Dataset:
    """'auto' (shared CIFAR-10 copy if present, else Shapes-10), 'cifar10' or 'builtin'."""
    path = cifar10_arrays() if which in ("auto", "cifar10") else None
    if path is None:
        if which == "cifar10":
            raise SystemExit("The shared CIFAR-10 copy (../shared/data/cifar10-jpeg.npz) is not here.")
        return load_builtin()
    z = np.load(path)
    t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()  # noqa: E731  NHWC -> NCHW
    return Dataset("CIFAR-10 (shared JPEG copy)", tuple(str(c) for c in z["classes"]),
                   t(z["x_train"]), torch.from_numpy(z["y_train"]), t(z["x_test"]), torch.from_numpy(z["y_test"]))
