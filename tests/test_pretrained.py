"""The models shipped in pretrained/: they load safely, and on CIFAR-10 test images (the compact JPEG
copy that ships with CNN Lab, assets/cifar10-jpeg.npz) they reach the accuracy their run.json records.

    .venv/bin/python -m pytest tests/test_pretrained.py -q
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnlib import cifar10_pack
from cnnlib.checkpoints import load_run
from cnnlib.data import CIFAR10_CLASSES
from cnnlib.inference import probabilities
from cnnlib.train import evaluate

ROOT = Path(__file__).resolve().parents[1]
RUNS = sorted(p.parent for p in (ROOT / "pretrained").glob("*/run.json"))
CHECK = 2000   # test images checked: enough for the accuracy to be within ~2 points (1 std ~1.1)


def cifar10_test_images(n: int, classes: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """n test images of the shipped copy, evenly spaced: (n, 3, 32, 32) uint8 and their labels as
    indices into `classes`."""
    test = [(label, data) for split, label, data in cifar10_pack.files(cifar10_pack.PACK) if split == "test"]
    picked = test[:: max(1, len(test) // n)][:n]         # spread over the classes (files are grouped by class)
    x = np.stack([np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) for _, data in picked])
    y = torch.tensor([classes.index(CIFAR10_CLASSES[label]) for label, _ in picked])
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), y


def test_pretrained_models_are_shipped_and_small():
    assert [r.name for r in RUNS] == ["cpu-5min-cifar10", "tutorial-cifar10"]     # the two the README describes
    for run in RUNS:
        assert (run / "weights.pt").stat().st_size <= 10 * 1024 ** 2


@pytest.mark.parametrize("folder", RUNS, ids=[r.name for r in RUNS])
def test_pretrained_model_loads_and_records_how_it_was_made(folder):
    run = load_run(folder)
    assert run.classes == ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    assert run.meta["command"].startswith("python -m cnnlib train")
    assert set(run.meta["per_class_acc"]) == set(run.classes)
    assert run.meta["epochs"], "per-epoch metrics are recorded"
    black = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    p = probabilities(run.model, black, run.meta.get("mean"), run.meta.get("std"))
    assert p.shape == (2, 10) and torch.allclose(p.sum(1), torch.ones(2))


@pytest.mark.slow
@pytest.mark.parametrize("folder", RUNS, ids=[r.name for r in RUNS])
def test_pretrained_model_reaches_its_recorded_accuracy(folder):
    run = load_run(folder)
    x, y = cifar10_test_images(CHECK, run.classes)
    mean, std = ((torch.tensor(run.meta["mean"]), torch.tensor(run.meta["std"])) if run.meta.get("mean")
                 else (None, None))
    acc = evaluate(run.model, x, y, mean, std, tta=run.config.tta).accuracy
    recorded = run.meta["epochs"][-1]["test_acc"]
    assert abs(acc - recorded) < 0.04, f"{folder.name}: {acc:.1%} on {CHECK} test images, recorded {recorded:.1%}"
