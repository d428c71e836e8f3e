"""Shared by the benchmark scripts: the data (the compact CIFAR-10 copy that ships with CNN Lab,
assets/cifar10-jpeg.npz: the same JPEG files as ../shared/data's copy, decoded once and cached under
bench/out/ with cnnlib's own tensor cache; or the built-in Shapes-10 set) and running a measurement
in a fresh process of its own."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from cnnlib import cifar10_pack  # noqa: E402
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


def load_bench_data(which: str = "auto") -> Dataset:
    """'auto' or 'cifar10' (the shipped compact copy of CIFAR-10), or 'builtin' (Shapes-10)."""
    if which in ("auto", "cifar10"):
        return cached(OUT / "cifar10-compact.pt",
                      lambda: Dataset(cifar10_pack.NAME, *cifar10_pack.load(cifar10_pack.PACK)))
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
