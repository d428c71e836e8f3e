"""Tests for cnnlib.evalplots: figures of the confusion matrix and per-class accuracy, run comparison.

    .venv/bin/python -m pytest tests/test_evalplots.py -q
"""
from __future__ import annotations

import json
import math

import plotly.graph_objects as go
import pytest
import torch

from cnnlib.checkpoints import run_meta
from cnnlib.config import TrainConfig
from cnnlib.evalplots import (comparison_table, confusion_figure, curves_figure, per_class_figure, run_labels,
                              selected_cell)
from cnnlib.train import EpochEnd

CLASSES = ("cat", "dog", "frog")
CM = torch.tensor([[8, 2, 0], [1, 6, 3], [0, 0, 0]])


def test_confusion_figure_counts():
    fig = confusion_figure(CM, CLASSES)
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    hm = fig.data[0]
    assert hm.type == "heatmap"
    assert [list(r) for r in hm.z] == CM.tolist()
    assert list(hm.x) == list(hm.y) == list(CLASSES)
    assert [list(r) for r in hm.text] == [["8", "2", "0"], ["1", "6", "3"], ["0", "0", "0"]]
    assert hm.texttemplate == "%{text}"
    fig.to_json()   # serialisable as Streamlit will send it


def test_confusion_figure_normalized():
    hm = confusion_figure(CM, CLASSES, normalized=True).data[0]
    z = [list(r) for r in hm.z]
    assert z[0] == pytest.approx([0.8, 0.2, 0.0])
    assert z[1] == pytest.approx([0.1, 0.6, 0.3])
    assert z[2] == [0.0, 0.0, 0.0]                   # a class with no test image stays empty, not NaN
    assert list(hm.text[0]) == ["80%", "20%", "0%"]
    assert hm.zmax == 1


def test_confusion_figure_has_one_clickable_marker_per_cell():
    cells = confusion_figure(CM, CLASSES).data[1]
    assert cells.type == "scatter" and cells.mode == "markers" and cells.marker.color == "rgba(0,0,0,0)"
    # point i*K + j sits on true class i (a row), answer j (a column), and tells the cell's count on hover
    assert list(cells.y[3:6]) == ["dog"] * 3 and list(cells.x[3:6]) == list(CLASSES)
    assert list(cells.text[3:6]) == ["1", "6", "3"] and "%{text}" in cells.hovertemplate
    assert confusion_figure(CM, CLASSES).data[0].hoverinfo == "skip"
    # small markers and no hover cut-off: a click anywhere in a cell goes to that cell's marker, not a neighbour's
    assert cells.marker.size < 10 and confusion_figure(CM, CLASSES).layout.hoverdistance == -1


def point(curve: int, index: int) -> dict:
    """One point of Streamlit's selection state, as a click on a chart sends it."""
    return {"curve_number": curve, "point_number": index, "point_index": index, "x": "dog", "y": "cat"}


def test_selected_cell_reads_a_click():
    assert selected_cell({"points": [point(1, 5)], "point_indices": [5]}, "confusion", 3) == (1, 2)
    assert selected_cell({"points": [point(1, 0)]}, "confusion", 3) == (0, 0)
    assert selected_cell({"points": [point(1, 0), point(1, 8)]}, "confusion", 3) == (2, 2)   # the last one
    assert selected_cell({"points": [point(0, 2)]}, "per_class", 3) == (2, None)             # a bar: its mistakes
    for nothing in (None, {}, {"points": []}, {"points": [point(0, 4)]},                     # the heatmap itself
                    {"points": [point(1, 9)]}, {"points": [{"curve_number": 1}]}):
        assert selected_cell(nothing, "confusion", 3) is None
    assert selected_cell({"points": [point(0, 3)]}, "per_class", 3) is None


def test_per_class_figure():
    per_class = torch.tensor([0.8, 0.6, math.nan], dtype=torch.float64)
    fig = per_class_figure(per_class, CLASSES, overall=0.7)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(fig.data) == 1 and len(bars) == 1
    assert list(bars[0].x) == list(CLASSES)
    assert list(bars[0].y[:2]) == pytest.approx([0.8, 0.6]) and math.isnan(bars[0].y[2])
    assert list(bars[0].text) == ["80%", "60%", "no images"]
    assert fig.layout.shapes[0].y0 == 0.7           # the overall line
    json.loads(fig.to_json())
    assert len(per_class_figure([0.5, 0.25], ("a", "b")).layout.shapes) == 0


def meta(name: str, accs: list[float], losses: list[float], **cfg_changes) -> dict:
    epochs = [EpochEnd(i, 2.0 - i / 10, a - 0.05, l, a, 3.0, 3.0 * (i + 1))
              for i, (a, l) in enumerate(zip(accs, losses))]
    m = run_meta(TrainConfig().replace(**cfg_changes), CLASSES, epochs, name=name, dataset="Shapes-10")
    return json.loads(json.dumps(m))   # exactly what a run.json read back holds


def test_curves_figure():
    metas = [meta("slow", [0.3, 0.4, 0.5], [1.8, 1.5, 1.3]), meta("fast", [0.5, 0.6], [1.2, 1.0], lr=0.01)]
    fig = curves_figure(metas)
    assert len(fig.data) == 4                                   # accuracy and loss per run
    acc = [t for t in fig.data if t.xaxis == "x"]
    loss = [t for t in fig.data if t.xaxis == "x2"]
    assert [t.name for t in acc] == ["slow", "fast"] and [t.name for t in loss] == ["slow", "fast"]
    assert list(acc[0].x) == [1, 2, 3] and list(acc[0].y) == [0.3, 0.4, 0.5]
    assert list(loss[1].x) == [1, 2] and list(loss[1].y) == [1.2, 1.0]
    assert acc[0].line.color == loss[0].line.color != acc[1].line.color
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert len(curves_figure(metas, train=True).data) == 8
    assert len(curves_figure([]).data) == 0


def test_comparison_table():
    metas = [meta("slow", [0.3, 0.5, 0.4], [1.8, 1.3, 1.4]),
             meta("fast", [0.5, 0.6], [1.2, 1.0], lr=0.01, optimizer="adam")]
    metas[1]["seconds"] = 4.26
    metas[1]["changes"] = [{"epoch": 0, "step": 5, "lr": 0.02, "momentum": 0.9}]
    rows = comparison_table(metas)
    assert len(rows) == 2
    assert list(rows[0]) == ["run", "optimizer", "lr", "state", "epochs", "best acc", "final acc", "seconds",
                             "changes"]
    assert rows[0] == {"run": "slow", "optimizer": "sgd", "lr": 0.001, "state": "finished", "epochs": 3,
                       "best acc": 0.5, "final acc": 0.4, "seconds": 9.0, "changes": 0}
    assert rows[1]["lr"] == 0.01 and rows[1]["optimizer"] == "adam"
    assert rows[1]["seconds"] == 4.3 and rows[1]["changes"] == 1 and rows[1]["best acc"] == 0.6


def test_comparison_table_same_settings_and_empty_run():
    a, b = meta("a", [0.5], [1.0]), meta("a", [], [])
    b["dataset"] = "CIFAR-10"
    rows = comparison_table([a, b])
    assert [r["run"] for r in rows] == ["a", "a (2)"] == run_labels([a, b])
    assert list(rows[0]) == ["run", "dataset", "state", "epochs", "best acc", "final acc", "seconds"]
    assert rows[1]["best acc"] is None and rows[1]["epochs"] == 0 and rows[1]["seconds"] == 0.0
    assert comparison_table([]) == []
