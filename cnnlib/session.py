"""One browser session's run, without Streamlit: the run itself (one at a time, saved when it
ends), every session's run on the server by the token in its address (found again after a reload or a
dropped connection, stopped once its pages are gone for good), and the progress and summary lines
the Train page shows."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from torch import nn

from cnnlib.config import TrainConfig
from cnnlib.data import Dataset
from cnnlib.guess import Guess
from cnnlib.history import History, best_accuracy, test_results
from cnnlib.inference import Predictor, predictor_from_runner
from cnnlib.links import Setup
from cnnlib.runner import Runner, Slots
from cnnlib.runs import load_continuation, runs_dir, save_history
from cnnlib.train import work_done
from cnnlib.words import Message

# --- one browser session's run ------------------------------------------------------------------

class SessionRun:
    """What one student's browser session keeps on the server: its run (one at a time, saved when it
    ends), the data set it chose and its uploaded data sets, and the Train page's settings. Kept in
    `Sessions` under a token in the page's address, so that a reload or a second tab finds it again."""

    def __init__(self):
        self.runner: Runner | None = None
        self.source: str | None = None        # the data set chosen in the sidebar (None: the server's default)
        self.uploads: list[str] = []          # image-folder zips this session uploaded, as data sources
        self.settings: dict = {}              # the Train page's widget values, to restore after a reload
        self.setup: Setup = Setup()           # what the link that opened it set, fixed and hid (cnnlib.links)
        self.lang: str | None = None          # the language chosen in the sidebar (None: the link's, or the browser's)

    def start(self, cfg: TrainConfig, data: Dataset, slots: Slots | None = None,
              folder: str | os.PathLike | None = None, name: str = "", guess: Guess | None = None,
              parent: str | os.PathLike | None = None) -> Runner:
        """Start a new run (refused while one is alive), saved into `folder` when it ends, as `name`
        (by default its network and data set, in English: runs.history_meta), with the student's
        `guess` of how it will go, if any. With `parent`, a saved run's folder, the run continues it
        (runs.continuation gives its config), loaded in the worker."""
        if self.runner is not None and self.runner.alive:
            raise RuntimeError(Message("session.already_training"))
        folder = Path(folder or runs_dir())
        start = (lambda: load_continuation(parent)) if parent else None
        self.runner = Runner(cfg, data, slots, on_end=lambda model, h: save_history(folder, model, h, name),
                             guess=guess, start=start, parent=Path(parent).name if parent else "")
        self.runner.start()
        return self.runner

    @property
    def busy(self) -> bool:
        """True while the run's thread is alive: training, or saving the run after it ended."""
        return self.runner is not None and self.runner.alive

    @property
    def stopping(self) -> bool:
        """True after Stop, until the run has ended and been saved."""
        return self.runner is not None and self.runner.stopping

    def snapshot(self) -> History | None:
        return self.runner.snapshot() if self.runner else None

    # The pages act on the run through these, never through `runner`: without a run they do nothing.
    def pause(self) -> None:
        """Pause the run after its current step (Runner.pause)."""
        if self.runner is not None:
            self.runner.pause()

    def resume(self) -> None:
        """Go on with a paused run (Runner.resume)."""
        if self.runner is not None:
            self.runner.resume()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the run to stop; True once it has ended (and been saved) within `timeout` s."""
        return self.runner.stop(timeout) if self.runner is not None else True

    def change(self, lr: float | None = None, momentum: float | None = None) -> None:
        """Live change of the run's learning rate or momentum; raises ValueError for a value out of range."""
        if self.runner is not None:
            self.runner.change(lr=lr, momentum=momentum)

    @property
    def model(self) -> nn.Module | None:
        """The run's network once it has ended, until it is saved (a run that could not be saved is
        downloaded from it); None before and after."""
        return self.runner.model if self.runner is not None else None

    def predictor(self) -> Predictor | None:
        """The run's model for the pages' predictions and tests (inference.predictor_from_runner: an
        epoch's copy while it trains), or None without one."""
        return predictor_from_runner(self.runner) if self.runner is not None else None

    def queue(self) -> tuple[int, float | None]:
        """The run's place in the line for a training slot and the expected wait (Runner.queue)."""
        return self.runner.queue() if self.runner is not None else (0, None)

    def clear(self) -> None:
        """Forget an ended run (the New run button)."""
        self.close()
        self.runner = None

    def close(self, timeout: float = 10.0) -> None:
        if self.runner is not None:
            self.runner.stop(timeout)


class Sessions:
    """Every browser session's `SessionRun` on this server, by a token that the page keeps in its
    address. A reload, a dropped connection or a second tab with the same address comes back to the
    same run. A run is stopped (and saved) only once no page has shown it for `ttl` seconds (the
    server's disconnected-session time-out); a page that is open and connected keeps it however
    long it waits: `reap(connected)` asks which of the pages that showed it still are."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._runs: dict[str, SessionRun] = {}
        self._viewers: dict[str, set[str]] = {}   # token -> ids of the pages (Streamlit sessions) that showed it
        self._seen: dict[str, float] = {}          # token -> time.monotonic() a connected page last showed it

    def attach(self, token: str, viewer: str) -> SessionRun:
        """The SessionRun under `token` (a new one the first time), shown by the page `viewer`."""
        with self._lock:
            run = self._runs.setdefault(token, SessionRun())
            self._viewers.setdefault(token, set()).add(viewer)
            self._seen[token] = time.monotonic()
            return run

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, token: str) -> bool:
        return token in self._runs

    def get(self, token: str) -> SessionRun | None:
        """The SessionRun under `token`, if there is one (without counting as a page showing it)."""
        return self._runs.get(token)

    def active(self) -> list[SessionRun]:
        with self._lock:
            return list(self._runs.values())

    def reap(self, connected: Callable[[str], bool], now: float | None = None) -> list[str]:
        """Forget the sessions that no connected page has shown for `ttl` seconds, stopping their runs
        (each then saves itself in its own thread); returns their tokens."""
        now = time.monotonic() if now is None else now
        gone = []
        with self._lock:
            for token, viewers in self._viewers.items():
                viewers.intersection_update({v for v in viewers if connected(v)})
                if viewers:
                    self._seen[token] = now
                elif now - self._seen[token] > self.ttl:
                    gone.append(token)
            runs = [self._runs.pop(t) for t in gone]
            for t in gone:
                del self._viewers[t], self._seen[t]
        for run in runs:
            run.close(timeout=0)        # ask the thread to stop; it saves the run without holding anyone up
        return gone


_BEFORE_STEPS = ("waiting", "loading", "paused", "finished", "stopped", "diverged", "failed")


def progress(h: History) -> tuple[float, Message]:
    """Fraction done and a one-line status: epoch, step, ETA (until the run ends) and images per second."""
    cfg, s = h.config, h.last_step
    if s is None:  # nothing trained yet, or a run that ended before its first progress report
        return 0.0, Message(f"session.{h.state}" if h.state in _BEFORE_STEPS else "session.starting")
    taken, total = s.epoch * s.steps + s.step, cfg.epochs * s.steps
    done = taken / total
    # the time left, from the work left: steps on smaller images (cfg.shrink_to) take less each
    work, whole = work_done(cfg, h.image_size, taken, total), work_done(cfg, h.image_size, total, total)
    left = s.elapsed / work * (whole - work) if work > 0 else 0.0
    eta = "" if h.ended else Message("session.eta", time=duration(left))  # an ended run has nothing left to wait for
    text = Message("session.progress", epoch=s.epoch + 1, epochs=cfg.epochs, step=s.step, steps=s.steps, eta=eta,
                   rate=s.images_per_s)
    return min(1.0, done), text


# The live chart: each redraw costs the browser about the same, whatever the figure holds (about a
# sixth of a core-second in headless Chromium; a one-line chart costs nearly as much as the full one,
# an unchanged chart nothing: BENCHMARKS.md §5). So a long run redraws its curves less often;
# epoch results, live changes and state changes still show at once.
CHART_EVERY = 2.0     # seconds between redraws of the growing curves, at first
CHART_SLOWEST = 10.0  # seconds between them at most, for long runs
CHART_SHARE = 8       # after the first seconds, a redraw every 1/CHART_SHARE of the time trained so far


def chart_key(h: History) -> tuple:
    """What a live chart must show at once when it changes: the run, its state, its epochs' results
    and live changes. New loss points and test checks within an epoch (eval_every) wait for
    `chart_due`: `fast-cpu` checks every 50 steps, which is about every redraw."""
    return h.started_at, h.state, len(h.epochs), len(h.changes)


def chart_drawn(key: tuple, h: History, now: float) -> tuple:
    """What `chart_due` remembers of a chart drawn from `h` at `now` with `key`."""
    return key, (len(h.steps), len(h.tests)), now


def chart_due(drawn: tuple | None, key: tuple, h: History, now: float) -> bool:
    """Whether the live chart needs drawing again. `drawn` is `chart_drawn()` of the chart on show,
    None if none is; `key` is `chart_key(h)` plus whatever else the chart shows (a page's toggles);
    `now` is a time.monotonic() reading. A new key is drawn at once.
    New points wait until an eighth of the training time so far has passed since the last redraw
    (at least CHART_EVERY s, at most CHART_SLOWEST s): each redraw adds about the same share of the
    curves, and a five-minute run redraws about 40 times instead of 150 (a 12-second one 6 times, as
    before)."""
    if drawn is None or drawn[0] != key:
        return True
    wait = min(CHART_SLOWEST, max(CHART_EVERY, h.seconds / CHART_SHARE))
    return chart_drawn(key, h, now)[1] != drawn[1] and now - drawn[2] >= wait


def summary(h: History) -> dict[Message, str]:
    """Best and final test accuracy and training time of a run, as display strings (Messages)."""
    return _summary(h.epochs, h.config.epochs, h.seconds)


def summary_of_meta(meta: dict) -> dict[Message, str]:
    """The same for a saved run, from its (checked) run.json."""
    epochs = meta["epochs"]
    seconds = meta["seconds"] if meta.get("seconds") is not None else (epochs[-1]["elapsed"] if epochs else 0.0)
    return _summary(epochs, meta["config"]["epochs"], seconds)


def _summary(epochs: list, planned: int, seconds: float) -> dict[Message, str]:
    """From a run's epochs (EpochEnds or run.json's records): the best of its full tests (history.
    best_accuracy), and the latest test's figure, said to be a sample's where it was one."""
    rows = test_results(epochs)
    final, sampled = rows[-1] if rows else (0.0, 0)
    latest = Message("percent", value=100 * final)
    return {Message("session.best"): Message("percent", value=100 * best_accuracy(epochs)),
            Message("session.final"): Message("session.on_sample", value=latest, n=sampled) if sampled else latest,
            Message("session.epochs"): Message("session.epochs_of", done=len(rows), total=planned),
            Message("session.time"): duration(seconds)}


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
