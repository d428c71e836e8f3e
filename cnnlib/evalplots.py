"""Figures of a network's evaluation: the confusion matrix and per-class accuracy of a test (and which
cell or bar a click chose), and test accuracy against the size of an adversarial change. Pure
functions that return Plotly figures; no Streamlit, so each is testable on its own.

Accuracies are fractions 0..1 in the data and shown as percentages by the axes' tick format. Each
figure's words are in the language `lang` ("en" or "es", cnnlib.words). Comparing saved runs is
cnnlib.compare's.
"""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import torch
from plotly.colors import qualitative

from cnnlib.words import say

COLORS = qualitative.Plotly
CELL_MARKER = 6   # px: the invisible marker at each confusion cell's centre; smaller than a cell, so that
                  # Plotly's hover (and so the click) goes to the nearest centre, never to a neighbour
CHOSEN = "#ff7f0e"  # the outline of the confusion matrix's chosen cell: orange on the blues


def selected_cell(selection: dict | None, chart: str, num_classes: int) -> tuple[int, int | None] | None:
    """The (true class, answer) that a click chose, from Streamlit's selection state of a chart drawn by
    `confusion_figure` (`chart="confusion"`: a cell) or `per_class_figure` ("per_class": a bar, answer
    None, meaning every wrong answer); the last point clicked counts. None when nothing (valid) is chosen."""
    for point in reversed((selection or {}).get("points") or []):
        i = point.get("point_index", point.get("point_number"))
        if not isinstance(i, int) or i < 0:
            continue
        if chart == "confusion" and point.get("curve_number") == 1 and i < num_classes ** 2:
            return divmod(i, num_classes)
        if chart == "per_class" and point.get("curve_number", 0) == 0 and i < num_classes:
            return i, None
    return None


def confusion_figure(confusion: torch.Tensor, classes: Sequence[str], normalized: bool = False,
                     lang: str = "en", chosen: tuple[int, int | None] | None = None) -> go.Figure:
    """An annotated heatmap of a (K, K) confusion matrix (row = true class, column = predicted).
    `normalized=True` divides each row by its sum and shows percentages; otherwise counts. `chosen`
    (true class, answer) outlines that cell, or with answer None the true class's whole row: the
    images shown below the chart."""
    cm = confusion.detach().cpu().double()
    if normalized:
        cm = cm / cm.sum(1, keepdim=True).clamp(min=1)
    z = cm.tolist()
    names = [str(c) for c in classes]
    text = [[f"{v:.0%}" if normalized else f"{int(v)}" for v in row] for row in z]
    k = len(names)
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, colorscale="Blues", zmin=0, zmax=1 if normalized else None,
        text=text, texttemplate="%{text}", hoverinfo="skip",
        colorbar=dict(tickformat=".0%" if normalized else None,
                      title=say("plots.share_of_row" if normalized else "plots.images", lang)),
    ))
    # Plotly cannot select a heatmap's cells: one invisible square marker per cell, row by row
    # (point i*K + j is true class i, answer j; `selected_cell` reads it back), takes the clicks and hovers
    fig.add_trace(go.Scatter(
        x=[names[j] for i in range(k) for j in range(k)], y=[names[i] for i in range(k) for j in range(k)],
        text=[v for row in text for v in row], mode="markers", showlegend=False,
        marker=dict(symbol="square", size=CELL_MARKER, color="rgba(0,0,0,0)"),
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
        hovertemplate=say("plots.hover_confusion", lang)))
    fig.update_layout(title=say("plots.confusion_rows" if normalized else "plots.confusion", lang),
                      xaxis=dict(title=say("plots.predicted_class", lang), side="bottom"),
                      yaxis=dict(title=say("plots.true_class", lang), autorange="reversed"),   # first class at the top
                      hoverdistance=-1,     # anywhere in a cell is nearest to its marker: no cut-off
                      margin=dict(l=10, r=10, t=50, b=10))
    if chosen is not None:
        true, answer = chosen                 # category i sits at i on its axis: a cell spans i - 0.5 to i + 0.5
        left, right = (-0.5, k - 0.5) if answer is None else (answer - 0.5, answer + 0.5)
        fig.add_shape(type="rect", x0=left, x1=right, y0=true - 0.5, y1=true + 0.5, xref="x", yref="y",
                      line=dict(color=CHOSEN, width=3), fillcolor="rgba(0,0,0,0)", layer="above")
    return fig


def per_class_figure(per_class: torch.Tensor | Sequence[float], classes: Sequence[str],
                     overall: float | None = None, lang: str = "en") -> go.Figure:
    """A bar per class of its test accuracy (0..1; NaN for a class with no test image, drawn as no
    bar), with a dashed line at the overall accuracy when given."""
    acc = [float(v) for v in (per_class.tolist() if isinstance(per_class, torch.Tensor) else per_class)]
    names = [str(c) for c in classes]
    fig = go.Figure(go.Bar(x=names, y=acc, marker_color=COLORS[0],
                           text=[f"{v:.0%}" if v == v else say("plots.no_images", lang) for v in acc],
                           textposition="outside",
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    if overall is not None:
        fig.add_hline(y=overall, line_dash="dash", line_color="grey",
                      annotation_text=say("plots.overall", lang, accuracy=overall), annotation_position="top left")
    fig.update_layout(title=say("plots.per_class", lang),
                      yaxis=dict(range=[0, 1.08], tickformat=".0%", title=say("plots.test_accuracy", lang)),
                      xaxis=dict(title=say("plots.true_class", lang)), margin=dict(l=10, r=10, t=50, b=10),
                      showlegend=False)
    return fig


# --- fooling the network -------------------------------------------------------------------------

def robustness_figure(epsilons: Sequence[float], accuracy: Sequence[float], n: int, lang: str = "en") -> go.Figure:
    """Test accuracy (0..1) against FGSM's epsilon (in [0, 1] units, drawn in levels of 255)."""
    levels = [round(e * 255, 2) for e in epsilons]
    fig = go.Figure(go.Scatter(x=levels, y=list(accuracy), mode="lines+markers", marker_color=COLORS[1],
                               hovertemplate="ε = %{x}/255: %{y:.1%}<extra></extra>"))
    title = f'{say("plots.robustness", lang)}<br><sup>{say("plots.robustness_sample", lang, n=n)}</sup>'
    fig.update_layout(title=title,
                      xaxis=dict(title=say("plots.epsilon", lang), tickvals=levels),
                      yaxis=dict(range=[0, 1.05], tickformat=".0%", title=say("plots.test_accuracy", lang)),
                      margin=dict(l=10, r=10, t=50, b=10), showlegend=False, height=360)
    return fig
