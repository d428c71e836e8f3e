"""Tests for cnnlib.compare: saved runs' labels, their test curves side by side and the table of what
differs between them.

    .venv/bin/python -m pytest tests/test_compare.py -q
"""
from __future__ import annotations

import json

from cnnlib.checkpoints import run_meta
from cnnlib.compare import comparison_table, curves_figure, run_labels
from cnnlib.config import TrainConfig
from cnnlib.train import EpochEnd

CLASSES = ("cat", "dog", "frog")


def meta(name: str, accs: list[float], losses: list[float], **cfg_changes) -> dict:
    epochs = [EpochEnd(i, 2.0 - i / 10, a - 0.05, loss, a, 3.0, 3.0 * (i + 1))
              for i, (a, loss) in enumerate(zip(accs, losses))]
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
    metas[0]["epochs"][0]["sampled"] = metas[0]["epochs"][1]["sampled"] = 2000     # two quick tests, then a full one
    assert list(curves_figure(metas).data[0].marker.symbol) == ["circle-open", "circle-open", "circle"]
    assert list(curves_figure(metas).data[2].marker.symbol) == ["circle", "circle"]


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
