"""Tests for cnnlib.evaluation: a network tested on a test split (confusion matrix, per-class accuracy,
mistakes) and the images of a cell of its confusion matrix.

    .venv/bin/python -m pytest tests/test_evaluation.py -q
"""
from __future__ import annotations

import pytest
import torch

from cnnlib.data import Dataset
from cnnlib.evaluation import EvalReport, cell_images, cell_tiles, confusion_matrix, evaluate_split, evaluate_test
from cnnlib.models import build_model
from cnnlib.train import evaluate

MEAN, STD = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]   # as run.json stores them: plain lists


def images(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)


@pytest.fixture(scope="module")
def small_data() -> Dataset:
    g = torch.Generator().manual_seed(1)
    x = images(130, 16, seed=1)
    y = torch.randint(0, 4, (130,), generator=g)
    return Dataset("tiny", ("a", "b", "c", "d"), x[:30], y[:30], x[30:], y[30:])


@pytest.mark.parametrize("norm", [False, True])
def test_confusion_matches_evaluate(small_data, norm):
    torch.manual_seed(0)
    model = build_model("tutorial", 4, image_size=16)
    mean, std = (MEAN, STD) if norm else (None, None)
    rep = evaluate_test(model, small_data, mean, std)
    ev = evaluate(model, small_data.x_test, small_data.y_test,
                  torch.tensor(MEAN) if norm else None, torch.tensor(STD) if norm else None)
    n = len(small_data.y_test)
    assert isinstance(rep, EvalReport)
    assert rep.confusion.shape == (4, 4) and rep.confusion.dtype == torch.int64
    assert int(rep.confusion.sum()) == n
    assert rep.confusion.sum(1).tolist() == small_data.class_counts("test")    # rows are true classes
    assert int(rep.confusion.trace()) / n == pytest.approx(ev.accuracy)
    assert rep.accuracy == pytest.approx(ev.accuracy)
    assert rep.loss == pytest.approx(ev.loss, rel=1e-5)
    # per-class accuracy is the confusion matrix's diagonal over its rows
    assert torch.allclose(rep.per_class, rep.confusion.diagonal().double() / rep.confusion.sum(1))
    # every wrong answer is listed once, most confident first, and really is wrong
    assert len(rep.mistakes) == n - int(rep.confusion.trace())
    conf = [m.confidence for m in rep.mistakes]
    assert conf == sorted(conf, reverse=True)
    assert len({m.index for m in rep.mistakes}) == len(rep.mistakes)
    for m in rep.mistakes:
        assert m.true == int(small_data.y_test[m.index]) != m.predicted == int(ev.predictions[m.index])
        assert m.confidence == pytest.approx(float(ev.confidence[m.index]))
    # each image's answer is kept, compactly, and every cell lists exactly the matrix's count
    assert rep.predictions.dtype == rep.labels.dtype == torch.int16 and rep.confidence.dtype == torch.float16
    assert rep.predictions.tolist() == ev.predictions.tolist() and rep.labels.tolist() == small_data.y_test.tolist()
    for t in range(4):
        for p in range(4):
            cell = cell_images(rep, t, p, limit=n)
            assert len(cell.indices) == int(rep.confusion[t, p]) and cell.more == 0
        assert len(cell_images(rep, t, None, limit=n).indices) == int(rep.confusion[t].sum() - rep.confusion[t, t])


def made_up_report() -> EvalReport:
    """Seven test images of 3 classes: labels, the network's answers and its confidence in each."""
    labels = torch.tensor([0, 0, 0, 1, 1, 0, 2], dtype=torch.int16)
    answers = torch.tensor([0, 1, 0, 1, 0, 1, 2], dtype=torch.int16)
    conf = torch.tensor([0.5, 0.6, 0.9, 0.7, 0.8, 0.95, 0.4], dtype=torch.float16)
    cm = confusion_matrix(labels, answers, 3)
    return EvalReport(4 / 7, 1.0, cm, cm.diagonal().double() / cm.sum(1), [], labels, answers, conf)


def test_cell_images_most_confident_first_at_most_limit():
    rep = made_up_report()
    right = cell_images(rep, 0, 0)                     # the diagonal: class 0's right answers
    assert right.indices == [2, 0] and right.confidence == pytest.approx([0.9, 0.5], abs=1e-3) and right.more == 0
    assert cell_images(rep, 0, 1).indices == [5, 1]    # cat taken for dog, the surest first
    top = cell_images(rep, 0, 1, limit=1)
    assert top.indices == [5] and top.more == 1
    assert cell_images(rep, 1, None).indices == [4]    # a bar: every wrong answer for class 1
    assert cell_images(rep, 0, None).indices == [5, 1]
    empty = cell_images(rep, 2, 0)
    assert empty.indices == [] and empty.more == 0
    assert cell_images(rep, 0, 0, limit=0).more == 2
    old = EvalReport(0.0, 0.0, torch.zeros(2, 2), torch.zeros(2), [])     # made before answers were kept
    assert cell_images(old, 0, 1).indices == []


def test_cell_tiles_caption_each_image_with_its_answer():
    rep = made_up_report()
    ds = Dataset("made up", ("cat", "dog", "frog"), images(2, 8), torch.zeros(2, dtype=torch.long),
                 images(7, 8, seed=1), rep.labels.long())
    tiles, more = cell_tiles(rep, ds, 0, None, n=1, scale=2)
    assert more == 1 and len(tiles) == 1
    image, caption = tiles[0]
    assert caption == "cat → dog (95 %)" and image.shape == (16, 16, 3)
    assert (image[::2, ::2] == ds.x_test[5].permute(1, 2, 0).numpy()).all()      # image 5, the surest mistake
    tiles, more = cell_tiles(rep, ds, 0, 0, names=["gato", "perro", "rana"])
    assert [c for _, c in tiles] == ["gato → gato (90 %)", "gato → gato (50 %)"] and more == 0


def test_cell_images_ties_keep_test_order():
    labels = torch.zeros(4, dtype=torch.int16)
    rep = EvalReport(1.0, 0.0, torch.tensor([[4]]), torch.ones(1), [], labels, labels.clone(),
                     torch.full((4,), 0.5, dtype=torch.float16))
    assert cell_images(rep, 0, 0).indices == [0, 1, 2, 3]


def test_confusion_matrix_known_values():
    y = torch.tensor([0, 0, 1, 1, 1, 2])
    p = torch.tensor([0, 1, 1, 1, 0, 1])
    cm = confusion_matrix(y, p, 4)
    assert cm.tolist() == [[1, 1, 0, 0], [1, 2, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


def test_class_without_test_images_is_nan():
    torch.manual_seed(0)
    model = build_model("tutorial", 3, image_size=16)
    x, y = images(6, 16), torch.tensor([0, 0, 1, 1, 0, 1])
    rep = evaluate_split(model, x, y, 3)
    assert torch.isnan(rep.per_class[2]) and not torch.isnan(rep.per_class[:2]).any()
