"""cnnlib.history: a run's record, and the one figure of its training time that every page shows.

    .venv/bin/python -m pytest tests/test_history.py -q
"""
from cnnlib import session
from cnnlib.compare import comparison_table
from cnnlib.config import TrainConfig
from cnnlib.history import History, best_accuracy
from cnnlib.runs import run_label
from cnnlib.train import EpochEnd, Step
from cnnlib.words import tr


def test_a_runs_training_time_is_one_figure_everywhere():
    from cnnlib.train import Finished
    h = History(TrainConfig(epochs=3))
    assert h.seconds == 0.0
    h.steps = [Step(0, 50, 100, 1.5, 0.3, 1000.0, 0.1, 4.0), Step(1, 20, 100, 1.2, 0.4, 1000.0, 0.1, 9.5)]
    h.epochs = [EpochEnd(0, 1.3, 0.4, 1.0, 0.5, 8.0, 8.0)]
    assert h.seconds == 9.5                               # stopped mid-epoch: the latest clock
    assert session.summary(h)["Training time"] == "10 s"
    h.finished = Finished(3, 0.5, 0.5, 30.2, ())
    assert h.seconds == 30.2 and session.summary(h)["Training time"] == "30 s"


def test_the_best_accuracy_is_of_full_tests_and_a_quick_tests_figure_says_so():
    h = History(TrainConfig(epochs=3, test_sample=2000))
    h.epochs = [EpochEnd(0, 1.3, 0.4, 1.0, 0.81, 8.0, 8.0, 2000), EpochEnd(1, 1.2, 0.5, 0.9, 0.86, 8.0, 16.0, 2000)]
    assert h.best_acc() == 0.86                           # stopped before a full test: judged on its samples
    assert session.summary(h)["Final test accuracy"] == "86.0 % (a quick test of 2,000 images)"
    h.epochs.append(EpochEnd(2, 1.1, 0.6, 0.8, 0.85, 8.0, 24.0))
    assert h.best_acc() == 0.85                           # a sample's 86 % was an estimate: the full test's 85 %
    assert session.summary(h)["Best test accuracy"] == "85.0 %"
    assert session.summary(h)["Final test accuracy"] == "85.0 %"
    records = [{"test_acc": e.test_acc, "sampled": e.sampled} for e in h.epochs]
    assert best_accuracy(records) == best_accuracy(records[-1:] + records[:-1]) == 0.85
    assert best_accuracy([{"test_acc": 0.5}, {"test_acc": 0.6}]) == 0.6          # an older run.json: all full
    assert best_accuracy([]) == 0.0
    meta = {"name": "r", "state": "finished", "created": "2026-12-01T10:00", "config": {"epochs": 3},
            "epochs": [dict(r, epoch=i, elapsed=8.0 * (i + 1)) for i, r in enumerate(records)]}
    assert "best 85 %" in tr(run_label(meta), "en")
    [row] = comparison_table([meta])
    assert row["best acc"] == 0.85 and row["final acc"] == 0.85


def test_a_quick_test_has_an_open_marker_whatever_holds_it():
    from cnnlib import history
    from cnnlib.train import Tested
    records = [{"test_acc": 0.5}, {"test_acc": 0.6, "sampled": 2000}]           # run.json's, an older one first
    tests = [Tested(0, 5, 1.0, 0.4, 1.0, sampled=500), Tested(0, 9, 1.0, 0.5, 2.0)]
    assert history.test_markers(records) == ["circle", "circle-open"]
    assert history.test_markers(tests) == ["circle-open", "circle"]
