"""Tests for cnnlib.evalplots: figures of the confusion matrix and per-class accuracy, and of accuracy
against an adversarial change.

    .venv/bin/python -m pytest tests/test_evalplots.py -q
"""
from __future__ import annotations

import json
import math

import plotly.graph_objects as go
import pytest
import torch

from cnnlib.adversarial import EPSILONS
from cnnlib.evalplots import confusion_figure, per_class_figure, robustness_figure, selected_cell

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


def test_robustness_figure_draws_epsilon_in_levels_of_255():
    fig = robustness_figure(EPSILONS, [0.9, 0.8, 0.7, 0.5, 0.3, 0.1], 500)
    assert list(fig.data[0].x) == [0, 1, 2, 4, 8, 16] and list(fig.data[0].y)[-1] == 0.1
    title = fig.layout.title.text
    assert "Test accuracy against ε" in title and "500 test images, one view each" in title
    es = robustness_figure(EPSILONS, [0.5] * 6, 60, lang="es")
    assert "Precisión de prueba según ε" in es.layout.title.text and "60 imágenes de prueba" in es.layout.title.text
    assert es.layout.xaxis.title.text == "ε (niveles de 255 por píxel)"


def test_the_chosen_cell_or_row_is_outlined_on_the_confusion_matrix():
    from cnnlib.evalplots import CHOSEN
    cm, names = torch.arange(16).view(4, 4), ["a", "b", "c", "d"]
    assert not confusion_figure(cm, names).layout.shapes                 # nothing chosen: no outline
    (cell,) = confusion_figure(cm, names, chosen=(2, 1)).layout.shapes
    assert (cell.x0, cell.x1, cell.y0, cell.y1) == (0.5, 1.5, 1.5, 2.5)   # row c, column b
    assert cell.line.color == CHOSEN and cell.xref == "x" and cell.yref == "y"
    (row,) = confusion_figure(cm, names, normalized=True, chosen=(3, None)).layout.shapes
    assert (row.x0, row.x1, row.y0, row.y1) == (-0.5, 3.5, 2.5, 3.5)     # any wrong answer: all of row d
