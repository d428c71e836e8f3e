"""A browser session's run on the server (cnnlib.session): the registry that finds a session's run
again by its token after a reload or a dropped connection and stops it once its pages are gone for
good, one run at a time saved when it ends, the progress line and summary of a run (one that ended
before its first report too), and when the live chart is due for a redraw.

    .venv/bin/python -m pytest tests/test_session.py -q
"""
from __future__ import annotations

import time

import pytest
from smalldata import finished_history as history

from cnnlib import inference, session
from cnnlib.config import TrainConfig, preset
from cnnlib.data import Dataset, make_shapes10
from cnnlib.history import History
from cnnlib.session import SessionRun, Sessions
from cnnlib.train import EpochEnd, Step, Tested


def tiny(n=80) -> Dataset:
    x, y = make_shapes10(n, seed=1)
    return Dataset("tiny", tuple("abcdefghij"), x, y, x[:20], y[:20])


class FakeRunner:
    def __init__(self):
        self.stopped = []

    def stop(self, timeout: float = 10.0) -> bool:
        self.stopped.append(timeout)
        return True


class RecordingRunner:
    """A run that records what its session asks of it."""

    def __init__(self):
        self.calls = []
        self.model = "its network"

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def stop(self, timeout: float = 10.0) -> bool:
        self.calls.append(("stop", timeout))
        return False                                  # not ended within the time

    def change(self, lr: float | None = None, momentum: float | None = None) -> None:
        if lr is not None and lr <= 0:
            raise ValueError("lr out of range")
        self.calls.append(("change", lr, momentum))


def test_a_session_run_passes_pause_resume_stop_and_change_on_to_its_run():
    """The pages act on a run through its SessionRun, never through its runner."""
    lab = SessionRun()
    lab.pause()                                       # no run yet: nothing to pause, resume or change
    lab.resume()
    lab.change(lr=0.1)
    assert lab.stop(5) is True and lab.model is None and lab.predictor() is None
    lab.runner = runner = RecordingRunner()
    lab.pause()
    lab.resume()
    assert lab.stop(2.5) is False                     # the run's own answer, with the page's time-out
    lab.change(lr=0.05, momentum=0.8)
    lab.change(momentum=0.9)                          # a setting the link fixes is left as it is
    with pytest.raises(ValueError, match="out of range"):
        lab.change(lr=-1.0)
    assert runner.calls == ["pause", "resume", ("stop", 2.5), ("change", 0.05, 0.8), ("change", None, 0.9)]
    assert lab.model == "its network"


def test_a_token_finds_the_same_session_run_from_any_page():
    reg = Sessions(ttl=120)
    first = reg.attach("tok-a", "page-1")
    assert isinstance(first, SessionRun)
    assert reg.attach("tok-a", "page-2") is first              # a reload, or a second tab
    assert reg.attach("tok-b", "page-3") is not first          # another student
    assert len(reg) == 2 and "tok-a" in reg and "tok-c" not in reg


def test_a_run_is_stopped_only_after_its_pages_are_gone_for_the_time_out():
    reg = Sessions(ttl=120)
    run = reg.attach("tok", "page-1")
    run.runner = FakeRunner()
    t0 = time.monotonic()
    connected = {"page-1"}
    assert reg.reap(connected.__contains__, now=t0 + 500) == []           # connected: kept however long
    connected.clear()                                                      # the connection drops
    assert reg.reap(connected.__contains__, now=t0 + 560) == []           # 60 s later: may come back
    reg.attach("tok", "page-2")                                            # a reload: a new page, same token
    connected.add("page-2")
    assert reg.reap(connected.__contains__, now=t0 + 700) == []
    assert run.runner.stopped == [] and reg.get("tok") is run
    connected.clear()                                                      # the tab is closed for good
    assert reg.reap(connected.__contains__, now=t0 + 800) == []           # within the time-out
    assert reg.reap(connected.__contains__, now=t0 + 821) == ["tok"]      # past it
    assert run.runner.stopped == [0] and "tok" not in reg                 # asked to stop, not waited for


def test_a_session_without_a_run_is_forgotten_too():
    reg = Sessions(ttl=1)
    reg.attach("idle", "p")
    assert reg.reap(lambda v: False, now=time.monotonic() + 2) == ["idle"] and len(reg) == 0


def test_the_progress_line_of_a_run_that_ended_before_its_first_report():
    """A run that diverged in its first steps said "Starting…" for ever."""
    for state, words in (("diverged", "Diverged in its first steps"), ("failed", "Failed before training began"),
                         ("stopped", "Stopped before the first steps"), ("loading", "Loading the data")):
        assert session.progress(History(TrainConfig(), state=state))[1].startswith(words)
    assert session.progress(History(TrainConfig(), state="running"))[1] == "Starting…"


def test_the_live_chart_redraws_a_long_runs_curves_less_often_but_epoch_results_at_once():
    def run(seconds: float, n_steps: int, epochs: int = 0, tests: int = 0) -> History:
        h = History(TrainConfig(epochs=50), state="running", started_at=1.0)
        h.steps = [Step(0, i + 1, 100, 1.0, 0.5, 1000.0, 0.1, seconds * (i + 1) / n_steps) for i in range(n_steps)]
        h.epochs = [EpochEnd(e, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0) for e in range(epochs)]
        h.tests = [Tested(0, 10 * (i + 1), 1.0, 0.5, 1.0) for i in range(tests)]
        return h

    due = session.chart_due
    h = run(10, 5)
    key = (*session.chart_key(h), True)
    assert due(None, key, h, 100.0)                            # nothing on show yet
    drawn = session.chart_drawn(key, h, 100.0)
    assert not due(drawn, key, h, 130.0)                       # no new point: nothing to draw, however long
    h = run(10, 6)
    assert not due(drawn, key, h, 101.9) and due(drawn, key, h, 102.0)   # early on, every 2 s
    h = run(40, 6)
    assert not due(drawn, key, h, 104.9) and due(drawn, key, h, 105.0)   # after 40 s trained, every 40 s / 8...
    h = run(1000, 6)
    assert not due(drawn, key, h, 109.9) and due(drawn, key, h, 110.0)   # ...but never less than every 10 s
    h = run(10, 5, tests=1)                                    # a test check within the epoch waits too
    assert not due(drawn, key, h, 101.9) and due(drawn, key, h, 102.0)
    h = run(1000, 6, epochs=1)                                 # an epoch's result shows at once
    assert due(drawn, (*session.chart_key(h), True), h, 100.1)
    assert due(drawn, (*session.chart_key(run(10, 5)), False), run(10, 5), 100.1)  # so does a page toggle
    stopped = run(10, 5)
    stopped.state = "stopped"
    assert due(drawn, (*session.chart_key(stopped), True), stopped, 100.1)     # and a change of state


def test_progress_and_summary_text():
    h = history()
    fraction, text = session.progress(h)
    assert fraction == 1.0 and "Epoch 2/2" in text and "step 4/4" in text and "images/s" in text
    assert "ETA" not in text                                   # a finished run waits for nothing
    h.steps, h.state = h.steps[:4], "running"
    fraction, text = session.progress(h)
    assert fraction == 0.5 and "ETA 2 s" in text
    assert session.progress(History(TrainConfig(), state="waiting"))[1].startswith("Waiting for a free")
    s = session.summary(history())
    assert s["Best test accuracy"] == "42.0 %" and s["Training time"] == "4 s"


def test_the_eta_counts_steps_on_smaller_images_as_the_less_work_they_are():
    # 10 epochs of 100 steps, the first 300 on images of 16 pixels, not 32: a quarter of the work each
    h = History(TrainConfig(model="fast", epochs=10, shrink_to=16, shrink_for=0.3), state="running", image_size=32)
    h.steps = [Step(2, 100, 100, 1.0, 0.5, 1000.0, 0.1, 75.0)]              # 300 small steps in 75 s
    fraction, text = session.progress(h)
    assert fraction == 0.3 and "ETA 11 min 40 s" in text                       # 700 full steps at 1 s, not 175 s
    h.steps = [Step(4, 100, 100, 1.0, 0.5, 1000.0, 0.1, 275.0)]             # and 200 full ones in 200 s more
    assert "ETA 8 min 20 s" in session.progress(h)[1]                          # 500 s left: 275 / 275 * 500
    h.config = h.config.replace(model="tutorial")                              # the tutorial's CNN shrinks nothing
    assert "ETA 4 min 35 s" in session.progress(h)[1]                          # 275 s for half: 275 s more


def test_session_run_is_one_run_and_saves_on_end(tmp_path):
    ds = tiny(64)
    lab = session.SessionRun()
    cfg = preset("demo", epochs=100, batch_size=32, precision="fp32")
    lab.start(cfg, ds, folder=tmp_path)
    with pytest.raises(RuntimeError, match="already training"):
        lab.start(cfg, ds, folder=tmp_path)
    deadline = time.monotonic() + 20
    while not lab.snapshot().steps and time.monotonic() < deadline:   # a run saves once it has trained
        time.sleep(0.02)
    lab.close()                       # what a tab closed for good comes to
    h = lab.snapshot()
    assert not lab.busy and h.state == "stopped" and h.checkpoint.startswith(str(tmp_path))
    # saved: the pages read its network from its folder (one copy, shared by every session), not from the run
    assert lab.model is None and lab.predictor() is None
    assert inference.predictor_from_folder(h.checkpoint).classes == ds.classes
    lab.clear()
    assert lab.snapshot() is None
