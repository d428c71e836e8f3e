"""Following a run: anyone who opens a run's follow link (?follow=<id>, the id in its history and its
run.json) sees that run read-only: its live chart and progress while it trains, its summary once it
has ended, and its curves from run.json once it has been saved and its session is gone.

A class of thirty may follow the teacher's run. Each follower's page asks for the chart every few
seconds, so the figure is built once per change for all of them (`Board.chart`), not once per
follower, and its curves are numbers in arrays, which cost Streamlit a third as much to send as lists
(BENCHMARKS.md §7).
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from cnnlib.history import History
from cnnlib.runner import Runner
from cnnlib.session import Sessions, chart_drawn, chart_due, chart_key

FOLLOW_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")


@dataclass
class Followed:
    """What a follow link shows: a run still held by a session (its runner), or a saved one (its folder
    and run.json)."""
    runner: Runner | None = None
    folder: Path | None = None
    meta: dict | None = None


class Board:
    """Every run that can be followed on this server: those the sessions hold, found by follow id, and
    the saved ones, found in the runs folder. Keeps one chart per followed run, shared by its followers."""

    def __init__(self, sessions: Sessions, saved_runs: Callable[[], list[tuple[Path, dict]]]):
        self._sessions = sessions
        self._saved_runs = saved_runs
        self._lock = threading.Lock()
        self._charts: dict[str, tuple[tuple, go.Figure]] = {}   # follow id -> (what chart_due remembers, figure)

    def find(self, follow_id: str) -> Followed | None:
        """The run with this follow id, live first, then saved; None for an id no run here has."""
        if not FOLLOW_ID.fullmatch(follow_id or ""):
            return None
        for run in self._sessions.active():
            runner = run.runner
            if runner is not None and runner.follow_id == follow_id:
                return Followed(runner=runner)
        for folder, meta in self._saved_runs():
            if meta.get("follow") == follow_id:
                return Followed(folder=folder, meta=meta)
        return None

    def chart(self, follow_id: str, h: History, build: Callable[[History], go.Figure],
              now: float | None = None) -> go.Figure:
        """The run's live chart as its followers see it: built again only when `session.chart_due` says
        so (an epoch's end or a state change at once, new points every few seconds), once for everyone."""
        now = time.monotonic() if now is None else now
        key = chart_key(h)
        with self._lock:
            drawn, figure = self._charts.get(follow_id, (None, None))
            if figure is None or chart_due(drawn, key, h, now):
                figure = build(h)
                self._charts[follow_id] = (chart_drawn(key, h, now), figure)
            if len(self._charts) > 256:        # runs long gone: keep the newest charts only
                for old in list(self._charts)[:-128]:
                    del self._charts[old]
            return figure
