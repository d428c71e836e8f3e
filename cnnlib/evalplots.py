"""Figures and tables for "See inside the network": the confusion matrix, per-class accuracy, and
the comparison of saved runs. Pure functions that return Plotly figures or plain lists of dicts;
no Streamlit, so each is testable on its own.

Accuracies are fractions 0..1 in the data and shown as percentages by the axes' tick format.
Run comparison reads run.json dicts as `cnnlib.checkpoints.run_meta` writes them. Each figure's and
table's words are in the language `lang` ("en" or "es", cnnlib.words).
"""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go
import torch
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from cnnlib.history import STATES
from cnnlib.words import say, tr

COLORS = qualitative.Plotly
CELL_MARKER = 6   # px: the invisible marker at each confusion cell's centre; smaller than a cell, so that
                  # Plotly's hover (and so the click) goes to the nearest centre, never to a neighbour


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
                     lang: str = "en") -> go.Figure:
    """An annotated heatmap of a (K, K) confusion matrix (row = true class, column = predicted).
    `normalized=True` divides each row by its sum and shows percentages; otherwise counts."""
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


# --- comparing runs ------------------------------------------------------------------------------

def run_labels(metas: Sequence[dict], lang: str = "en") -> list[str]:
    """A distinct label per run: its name (or creation time), with " (2)", " (3)" on repeats."""
    labels, seen = [], {}
    for i, m in enumerate(metas):
        base = str(m.get("name") or m.get("created") or say("plots.run_number", lang, n=i + 1))
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return labels


def curves_figure(metas: Sequence[dict], train: bool = False, lang: str = "en") -> go.Figure:
    """Two side-by-side panels, test accuracy and test loss per epoch, one colour per run:
    two traces per run (accuracy, loss), plus two dotted training traces per run if `train`."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(say("plots.test_accuracy_title", lang),
                                                        say("plots.test_loss_title", lang)))
    for i, (m, label) in enumerate(zip(metas, run_labels(metas, lang))):
        epochs = m.get("epochs") or []
        x = [e["epoch"] + 1 for e in epochs]   # epochs are stored 0-based
        color = COLORS[i % len(COLORS)]
        for col, key in ((1, "test_acc"), (2, "test_loss")):
            fig.add_trace(go.Scatter(x=x, y=[e[key] for e in epochs], name=label, legendgroup=label,
                                     showlegend=col == 1, mode="lines+markers", line=dict(color=color)),
                          row=1, col=col)
        if train:
            for col, key in ((1, "train_acc"), (2, "train_loss")):
                fig.add_trace(go.Scatter(x=x, y=[e[key] for e in epochs],
                                         name=say("plots.training_suffix", lang, run=label), legendgroup=label,
                                         showlegend=False, mode="lines",
                                         line=dict(color=color, dash="dot")), row=1, col=col)
    fig.update_xaxes(title_text=say("plots.epoch", lang))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_layout(margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    return fig


def _seconds(meta: dict) -> float:
    if meta.get("seconds") is not None:
        return float(meta["seconds"])
    epochs = meta.get("epochs") or []
    return float(epochs[-1].get("elapsed", 0.0)) if epochs else 0.0


def comparison_table(metas: Sequence[dict], lang: str = "en") -> list[dict]:
    """One row per run: its label, the data set and hyperparameters whose values differ between
    the runs (config keys, unchanged names), then its results: state, epochs, best and final test
    accuracy (0..1), training seconds and the number of mid-run changes if any run had some. The
    columns other than the config's are named in `lang` (`column`)."""
    configs = [dict(m.get("config") or {}, dataset=m.get("dataset")) for m in metas]
    keys = list(dict.fromkeys(k for c in configs for k in c))     # union, first-seen order
    differ = [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]
    any_changes = any(m.get("changes") for m in metas)
    rows = []
    for m, c, label in zip(metas, configs, run_labels(metas, lang)):
        acc = [e["test_acc"] for e in m.get("epochs") or []]
        state = m.get("state")
        row = {column("run", lang): label,    # the config's own names; the data set's name said in `lang`
               **dict((column(k, lang), tr(c.get(k), lang)) if k == "dataset" else (k, c.get(k)) for k in differ)}
        row.update({column("state", lang): say(f"state.{state}", lang) if state in STATES else state,
                    column("epochs", lang): len(acc), column("best", lang): max(acc) if acc else None,
                    column("final", lang): acc[-1] if acc else None, column("seconds", lang): round(_seconds(m), 1)})
        if any_changes:
            row[column("changes", lang)] = len(m.get("changes") or [])
        rows.append(row)
    return rows


def column(name: str, lang: str = "en") -> str:
    """A comparison table's column in `lang`: run, dataset, state, epochs, best, final, seconds, changes
    (in English "best acc" and "final acc" for best and final)."""
    return say(f"table.{name}", lang)


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
