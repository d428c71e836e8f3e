"""A run's record: its settings, state (`STATES`; `ENDED` are those it ends in), the engine's events
(progress, epoch results, live changes, test checks) and what it was trained on. The background
runner (cnnlib.runner) writes one as its run goes; the plots draw it, runs save it as run.json, a
browser session shows it and the command line keeps one for its run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from cnnlib.config import TrainConfig
from cnnlib.data import Dataset
from cnnlib.guess import Guess
from cnnlib.train import Changed, Diverged, EpochEnd, Finished, Step, Stopped, Tested
from cnnlib.words import Message

STATES = ("idle", "waiting", "loading", "running", "paused", "finished", "stopped", "diverged", "failed")
ENDED = ("finished", "stopped", "diverged", "failed")


def test_results(epochs) -> list[tuple[float, int]]:
    """Each test's (accuracy, images of its quick test or 0 for a full one), from EpochEnds or Testeds or
    from run.json's records (an older one has no "sampled": its tests were all full)."""
    return [(e["test_acc"], e.get("sampled", 0)) if isinstance(e, dict) else (e.test_acc, e.sampled) for e in epochs]


def test_markers(records) -> list[str]:
    """A chart marker for each test (EpochEnds, Testeds or run.json's records): open for a quick test of a
    sample, whose figure moves a point or so; filled for a test of every image."""
    return ["circle-open" if sampled else "circle" for _, sampled in test_results(records)]


def best_accuracy(epochs) -> float:
    """The best test accuracy of a run's epochs (as `test_results` reads them): the best of the tests
    that checked every test image. A quick test's figure on a sample is an estimate that moves a point
    or so either way, so the best of several would overstate the run; only a run with no full test yet
    (stopped early) is judged on its samples."""
    rows = test_results(epochs)
    return max([a for a, s in rows if not s] or [a for a, _ in rows], default=0.0)


@dataclass
class History:
    """Everything a page needs to draw a run; `Runner.snapshot()` returns a copy of it. Its sentences
    (message, save_error) are words.Messages, said in the reader's language by the page."""
    config: TrainConfig
    state: str = "idle"                                       # one of STATES
    message: str = ""                                         # what the user should read (errors, divergence)
    steps: list[Step] = field(default_factory=list)           # progress events
    epochs: list[EpochEnd] = field(default_factory=list)      # per-epoch results
    changes: list[Changed] = field(default_factory=list)      # live hyperparameter changes
    tests: list[Tested] = field(default_factory=list)         # test-set checks within epochs (eval_every)
    finished: Finished | None = None
    started_at: float = 0.0                                   # time.time() when training began
    ended_at: float = 0.0
    checkpoint: str = ""                                      # folder the run was saved to, once saved
    save_error: str = ""                                      # why it could not be saved (it stays in memory)
    dataset: str = ""                                         # name of the data set trained on
    follow: str = ""                                          # the run's follow id: ?follow=<it> shows it to anyone
    classes: tuple[str, ...] = ()
    image_size: int = 32                                      # side of the images trained on, pixels
    mean: list[float] | None = None                           # per-channel normalisation used, if any
    std: list[float] | None = None
    guess: Guess | None = None                                # what the student expected before Start (Guess first)
    parent: str = ""                                          # the saved run this one continues (its folder's name)
    resume: dict | None = field(default=None, repr=False)     # where training stood when it ended
                                                              # (TrainState.to_dict), until the run is saved

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def last_step(self) -> Step | None:
        return self.steps[-1] if self.steps else None

    @property
    def seconds(self) -> float:
        """Training time so far (tests and pauses excluded): the engine's total once finished, else
        the latest step's or epoch end's clock."""
        if self.finished:
            return self.finished.seconds
        return max([s.elapsed for s in self.steps[-1:]] + [e.elapsed for e in self.epochs[-1:]], default=0.0)

    def best_acc(self) -> float:
        return best_accuracy(self.epochs)

    def begin(self, data: Dataset) -> None:
        """Note what the run trains on: the data set, its classes and image size, and the
        normalisation the engine will use (prediction needs the same)."""
        self.dataset, self.classes, self.image_size = data.name, tuple(data.classes), data.image_size
        self.started_at = time.time()
        if self.config.normalize:
            mean, std = data.mean_std()
            self.mean, self.std = mean.tolist(), std.tolist()

    def record(self, ev) -> None:
        """Add one engine event to the history."""
        if isinstance(ev, Step):
            self.steps.append(ev)
        elif isinstance(ev, EpochEnd):
            self.epochs.append(ev)
        elif isinstance(ev, Changed):
            self.changes.append(ev)
        elif isinstance(ev, Tested):
            self.tests.append(ev)
        elif isinstance(ev, Finished):
            self.finished, self.state = ev, "finished"
        elif isinstance(ev, Stopped):
            self.state, self.message = "stopped", Message("runner.stopped_at", epoch=ev.epoch + 1, step=ev.step)
        elif isinstance(ev, Diverged):
            self.state, self.message = "diverged", ev.message
