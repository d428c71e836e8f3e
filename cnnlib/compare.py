"""Comparing saved runs: a distinct label per run, their test curves side by side, and a table of the
settings that differ between them beside their results. Pure functions that return a Plotly figure
or plain lists of dicts; no Streamlit, so each is testable on its own.

Runs are read as the run.json dicts that `cnnlib.checkpoints.run_meta` writes; accuracies are
fractions 0..1. Each figure's and table's words are in the language `lang` ("en" or "es", cnnlib.words).
"""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnlib.evalplots import COLORS
from cnnlib.history import STATES, best_accuracy, test_markers
from cnnlib.words import say, tr


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
    two traces per run (accuracy, loss), plus two dotted training traces per run if `train`. A quick
    test of a sample (TrainConfig.test_sample) is an open marker, as on the live chart."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(say("plots.test_accuracy_title", lang),
                                                        say("plots.test_loss_title", lang)))
    for i, (m, label) in enumerate(zip(metas, run_labels(metas, lang))):
        epochs = m.get("epochs") or []
        x = [e["epoch"] + 1 for e in epochs]   # epochs are stored 0-based
        color = COLORS[i % len(COLORS)]
        symbols = test_markers(epochs)
        for col, key in ((1, "test_acc"), (2, "test_loss")):
            fig.add_trace(go.Scatter(x=x, y=[e[key] for e in epochs], name=label, legendgroup=label,
                                     showlegend=col == 1, mode="lines+markers", line=dict(color=color),
                                     marker=dict(symbol=symbols)), row=1, col=col)
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
        epochs = m.get("epochs") or []
        acc = [e["test_acc"] for e in epochs]
        state = m.get("state")
        row = {column("run", lang): label,    # the config's own names; the data set's name said in `lang`
               **dict((column(k, lang), tr(c.get(k), lang)) if k == "dataset" else (k, c.get(k)) for k in differ)}
        row.update({column("state", lang): say(f"state.{state}", lang) if state in STATES else state,
                    column("epochs", lang): len(acc), column("best", lang): best_accuracy(epochs) if acc else None,
                    column("final", lang): acc[-1] if acc else None, column("seconds", lang): round(_seconds(m), 1)})
        if any_changes:
            row[column("changes", lang)] = len(m.get("changes") or [])
        rows.append(row)
    return rows


def column(name: str, lang: str = "en") -> str:
    """A comparison table's column in `lang`: run, dataset, state, epochs, best, final, seconds, changes
    (in English "best acc" and "final acc" for best and final)."""
    return say(f"table.{name}", lang)
