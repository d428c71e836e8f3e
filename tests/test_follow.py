"""Following a run (cnnlib.follow): a follow id finds the run a session holds, or else its saved
run.json; the chart its followers see is built once per change, for all of them.

    .venv/bin/python -m pytest tests/test_follow.py -q
"""
from __future__ import annotations

from pathlib import Path

from smalldata import tiny_dataset

from cnnlib.config import TrainConfig
from cnnlib.follow import Board
from cnnlib.history import History
from cnnlib.runner import Runner
from cnnlib.session import Sessions, chart_key
from cnnlib.train import EpochEnd, Step


def test_a_follow_id_finds_the_live_run_then_the_saved_one():
    sessions = Sessions(ttl=60)
    run = sessions.attach("token-a", "page")
    run.runner = Runner(TrainConfig(epochs=1), tiny_dataset())
    fid = run.runner.follow_id
    saved = [(Path("runs/x"), {"follow": "someone-elses-id", "name": "x"}), (Path("runs/y"), {"follow": fid})]
    board = Board(sessions, lambda: saved)
    assert board.find(fid).runner is run.runner                       # held by its session: live
    run.runner = None                                                  # New run, or the session is gone
    found = board.find(fid)
    assert found.runner is None and found.folder == Path("runs/y")   # then from its run.json
    assert board.find("no-such-run-here") is None
    for junk in ("", "../../etc", "x" * 200, "a b c d e f g h"):
        assert board.find(junk) is None


def history(n_steps: int, epochs: int = 0) -> History:
    h = History(TrainConfig(epochs=5), state="running", started_at=1.0, follow="follow-id-1")
    h.steps = [Step(0, i + 1, 100, 1.0, 0.5, 1000.0, 0.1, 0.5 * (i + 1)) for i in range(n_steps)]
    h.epochs = [EpochEnd(e, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0) for e in range(epochs)]
    return h


def test_thirty_followers_get_one_figure_built_per_change():
    built = []

    def build(h):
        built.append(len(h.steps))
        return object()

    board = Board(Sessions(ttl=60), lambda: [])
    h = history(10)
    figures = {id(board.chart("follow-id-1", h, build, now=100.0)) for _ in range(30)}
    assert built == [10] and len(figures) == 1                       # thirty followers, one figure
    h2 = history(12)
    board.chart("follow-id-1", h2, build, now=100.5)                   # new points: they wait a little
    assert built == [10]
    board.chart("follow-id-1", h2, build, now=102.1)
    assert built == [10, 12]
    h3 = history(12, epochs=1)                                        # an epoch's result shows at once
    assert chart_key(h3) != chart_key(h2)
    board.chart("follow-id-1", h3, build, now=102.2)
    assert built == [10, 12, 12]
