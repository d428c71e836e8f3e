"""A browser session's run on the server (cnnlib.session): the registry that finds a session's run
again by its token after a reload or a dropped connection and stops it once its pages are gone for
good, and the progress line of a run that ended before its first report.

    .venv/bin/python -m pytest tests/test_session.py -q
"""
from __future__ import annotations

import time

from cnnlib import session
from cnnlib.config import TrainConfig
from cnnlib.history import History
from cnnlib.session import Sessions, SessionRun


class FakeRunner:
    def __init__(self):
        self.stopped = []

    def stop(self, timeout: float = 10.0) -> bool:
        self.stopped.append(timeout)
        return True


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
