"""cnnlib.history: a run's record, and the one figure of its training time that every page shows.

    .venv/bin/python -m pytest tests/test_history.py -q
"""
from cnnlib import session
from cnnlib.config import TrainConfig
from cnnlib.history import History
from cnnlib.train import EpochEnd, Step


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
