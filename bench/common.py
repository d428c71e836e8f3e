"""Shared by the benchmark scripts: the data (the CIFAR-10 copy in ../shared/data, decoded once and
cached under bench/out/ with cnnlib's own tensor cache, or the built-in Shapes-10 set when that copy
is absent) and running a measurement in a fresh process of its own."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The shared CIFAR-10 copy beside the checkout; on the GPU machine, where only the checkout travels,
# a copy in the checkout's own shared/data (ignored by git; BENCHMARKS.md §4 says how).
SHARED = next((p for p in (ROOT.parent / "shared" / "data", ROOT / "shared" / "data")
               if (p / "cifar10-jpeg.npz").exists()), ROOT.parent / "shared" / "data")
OUT = ROOT / "bench" / "out"

from cnnlib.data import Dataset, cached, load_builtin  # noqa: E402


class TutorialNet(torch.nn.Module):
    """The tutorial's network as the tutorial writes it: plain nn layers, nn.Dropout. The baseline
    for "same model, same maths"; cnnlib's TutorialCNN has the same layers and maths, faster."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1)
        self.act1 = nn.ReLU()
        self.drop1 = nn.Dropout(0.3)
        self.conv2 = nn.Conv2d(32, 32, kernel_size=3, stride=1, padding=1)
        self.act2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(kernel_size=2)
        self.flat = nn.Flatten()
        self.fc3 = nn.Linear(8192, 512)
        self.act3 = nn.ReLU()
        self.drop3 = nn.Dropout(0.5)
        self.fc4 = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        return self.fc4(self.drop3(self.act3(self.fc3(self.flat(x)))))


def _decode_shared_copy() -> Dataset:
    """Every image of the shared JPEG copy, decoded by the copy's own reader."""
    spec = importlib.util.spec_from_file_location("cifar10_jpeg", SHARED / "cifar10_jpeg.py")
    reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
    xtr, ytr, xte, yte, classes = reader.load(str(SHARED / "cifar10-jpeg.npz"))
    t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()  # noqa: E731  NHWC -> NCHW
    return Dataset("CIFAR-10 (shared JPEG copy)", tuple(classes), t(xtr), torch.from_numpy(ytr),
                   t(xte), torch.from_numpy(yte))


def load_bench_data(which: str = "auto") -> Dataset:
    """'auto' (shared CIFAR-10 copy if present, else Shapes-10), 'cifar10' or 'builtin'."""
    if which in ("auto", "cifar10") and (SHARED / "cifar10-jpeg.npz").exists():
        return cached(OUT / "cifar10-jpeg.pt", _decode_shared_copy)
    if which == "cifar10":
        raise SystemExit("The shared CIFAR-10 copy (../shared/data/cifar10-jpeg.npz) is not here.")
    return load_builtin()


def worker_records(script: str, *args: str) -> Iterator[dict]:
    """Run `script` with `args` in a fresh Python process (so no measurement inherits another's
    allocator or thread state) and yield each JSON line it prints, as it prints it."""
    proc = subprocess.Popen([sys.executable, script, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    for line in proc.stdout:
        if line.startswith("{"):
            yield json.loads(line)
    if proc.wait():
        raise RuntimeError(f"{Path(script).name} {' '.join(args)} failed with exit status {proc.returncode}")
