"""A network tested on a data set's test split: its accuracy and loss, the confusion matrix, the
accuracy of each class and its mistakes (the most confident first), every image's answer kept
compactly so that a page can show the images of any cell of the matrix (`cell_images`), and those
images enlarged and captioned with their answers (`cell_tiles`, `mistakes`).

Pure computation on tensors: images are uint8 (N, 3, H, W) as everywhere in cnnlib, normalisation is
the run's `mean`/`std` lists (run.json meta "mean"/"std", or None). The engine's own test
(`cnnlib.train.evaluate`) gives the answers, with the run's test-time views, so that the accuracy
here is the one the run recorded.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from cnnlib.data import Dataset
from cnnlib.plots import upscale
from cnnlib.train import evaluate, per_class_accuracy

Stats = Sequence[float] | torch.Tensor | None   # per-channel mean or std, as stored in run.json


def _stats(v: Stats) -> torch.Tensor | None:
    return None if v is None else torch.as_tensor(v, dtype=torch.float32)


@dataclass(frozen=True)
class Mistake:
    index: int            # position in the test split (x_test[index])
    true: int             # true class
    predicted: int        # class the network chose
    confidence: float     # softmax probability of the predicted class, 0..1


@dataclass
class EvalReport:
    accuracy: float                     # 0..1, as cnnlib.train.evaluate computes it
    loss: float                         # mean cross-entropy
    confusion: torch.Tensor             # (K, K) int64 counts; row = true class, column = predicted
    per_class: torch.Tensor             # (K,) float accuracy per true class; NaN for a class with no test image
    mistakes: list[Mistake] = field(default_factory=list)   # most confident mistake first
    # every test image's answer, compact because reports are cached for the whole server (N bytes x 6)
    labels: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int16), repr=False)
    predictions: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int16), repr=False)
    confidence: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.float16), repr=False)


def confusion_matrix(y: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K, K) int64 counts; row = true class, column = predicted class."""
    k = num_classes
    idx = y.cpu().long() * k + predictions.cpu().long()
    return torch.bincount(idx, minlength=k * k).reshape(k, k)


def evaluate_split(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
                   mean: Stats = None, std: Stats = None, batch_size: int = 0, tta: str = "none") -> EvalReport:
    """Confusion matrix, per-class accuracy and mistakes of `model` on uint8 x (N, 3, H, W), labels y;
    each answer averaged over the `tta` views (TrainConfig.tta), as the run's own tests were."""
    ev = evaluate(model, x, y, _stats(mean), _stats(std), batch_size=batch_size, tta=tta)
    cm = confusion_matrix(y, ev.predictions, num_classes)
    y_cpu = y.cpu()
    per_class = torch.tensor(per_class_accuracy(ev.predictions, y_cpu, num_classes, empty=math.nan),
                             dtype=torch.float64)
    wrong = (ev.predictions != y_cpu).nonzero().flatten()
    order = wrong[ev.confidence[wrong].argsort(descending=True, stable=True)]
    mistakes = [Mistake(int(i), int(y_cpu[i]), int(ev.predictions[i]), float(ev.confidence[i]))
                for i in order.tolist()]
    return EvalReport(ev.accuracy, ev.loss, cm, per_class, mistakes, y_cpu.to(torch.int16),
                      ev.predictions.cpu().to(torch.int16), ev.confidence.cpu().to(torch.float16))


@dataclass(frozen=True)
class CellImages:
    indices: list[int]        # positions in the test split, most confident answer first
    confidence: list[float]   # the network's confidence in its answer for each, 0..1
    more: int                 # how many more images the cell holds than `indices` lists


def cell_images(report: EvalReport, true: int, predicted: int | None = None, limit: int = 16) -> CellImages:
    """The test images of class `true` that the network answered `predicted` (a cell of the confusion
    matrix; the diagonal holds the class's correct answers), or every wrong answer for `true` when
    `predicted` is None (a bar of the per-class chart): at most `limit`, the most confident first
    (ties in test-split order)."""
    hit = report.labels == true
    hit &= (report.predictions != true) if predicted is None else (report.predictions == predicted)
    found = hit.nonzero().flatten()
    order = found[report.confidence[found].float().argsort(descending=True, stable=True)]
    shown = order[:max(0, limit)]
    return CellImages(shown.tolist(), report.confidence[shown].float().tolist(), len(order) - len(shown))


def evaluate_test(model: nn.Module, data: Dataset, mean: Stats = None, std: Stats = None,
                  batch_size: int = 0, tta: str = "none") -> EvalReport:
    """`evaluate_split` on a data set's test split."""
    return evaluate_split(model, data.x_test, data.y_test, len(data.classes), mean, std, batch_size, tta)


def mistakes(report: EvalReport, ds: Dataset, n: int = 24, scale: int = 4,
             names: Sequence[str] | None = None) -> list[tuple[np.ndarray, str]]:
    """The n most confident mistakes as (enlarged image, "true → predicted (confidence)"), the classes
    called by `names` (as a page shows them; by default the data set's own)."""
    names = names or ds.classes
    return [(upscale(ds.x_test[m.index], scale),
             f"{names[m.true]} → {names[m.predicted]} ({100 * m.confidence:.0f} %)")
            for m in report.mistakes[:n]]


def cell_tiles(report: EvalReport, ds: Dataset, true: int, predicted: int | None, n: int = 16, scale: int = 4,
               names: Sequence[str] | None = None) -> tuple[list[tuple[np.ndarray, str]], int]:
    """The test images of one confusion cell (`cell_images`; `predicted` None: every mistake
    of class `true`), most confident first, captioned as `mistakes` does; and how many more it holds."""
    names = names or ds.classes
    cell = cell_images(report, true, predicted, n)
    tiles = [(upscale(ds.x_test[i], scale), f"{names[true]} → {names[int(report.predictions[i])]} ({100 * c:.0f} %)")
             for i, c in zip(cell.indices, cell.confidence)]
    return tiles, cell.more
