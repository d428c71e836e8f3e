"""The background run: one training in a thread, with start, pause, resume, stop, live changes of
learning rate and momentum, and a lock-protected history that `snapshot()` copies out.

The app holds one `Runner` per browser session. The worker thread never touches the UI: it only
writes into the history under the lock. A process-wide `Slots` object caps concurrent runs.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Callable

import torch

from cnnlib.config import TrainConfig, check_value
from cnnlib.data import Dataset, DataError
from cnnlib.models import build_model
from cnnlib.train import Changed, Diverged, EpochEnd, Finished, Step, Stopped, Tested, fit, make_model

STATES = ("idle", "waiting", "loading", "running", "paused", "finished", "stopped", "diverged", "failed")
ENDED = ("finished", "stopped", "diverged", "failed")


class Slots:
    """A process-wide cap on concurrent trainings, so that many students on one server queue
    visibly instead of slowing each other to a crawl."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._sem = threading.BoundedSemaphore(self.limit)
        self._lock = threading.Lock()
        self.in_use = 0

    def acquire(self, stop: threading.Event, poll: float = 0.1) -> bool:
        """Wait for a free slot; give up (False) once `stop` is set."""
        while not stop.is_set():
            if self._sem.acquire(timeout=poll):
                with self._lock:
                    self.in_use += 1
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self.in_use -= 1
        self._sem.release()


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system keeps one (`taskset`, a
    container's cpuset), else every core of the machine."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:                  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def default_slots() -> int:
    """Concurrent trainings allowed by default: one per two usable cores, at least one (CNNLAB_MAX_RUNS overrides)."""
    env = os.environ.get("CNNLAB_MAX_RUNS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, usable_cores() // 2)


def torch_threads(slots: int | None = None, cores: int | None = None) -> int:
    """Intra-op threads for each training: the usable cores shared among the concurrent runs allowed,
    at least one (a server kept to one core by `taskset` trains with one thread, not two on it). CNNLAB_TORCH_THREADS overrides. Keeping a core back for the web server was measured
    (bench/bench_app.py, 2 cores): it cut training in the app by a fifth and answered clicks no faster."""
    env = os.environ.get("CNNLAB_TORCH_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    cores = cores or usable_cores()
    slots = slots or default_slots()
    return max(1, cores // slots)


def configure_torch(slots: int | None = None) -> int:
    """Apply `torch_threads()` to this process (call once, at app start); returns the count."""
    n = torch_threads(slots)
    torch.set_num_threads(n)
    return n


@dataclass
class History:
    """Everything a page needs to draw a run; `Runner.snapshot()` returns a copy of it."""
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
    dataset: str = ""                                         # name of the data set trained on
    classes: tuple[str, ...] = ()
    image_size: int = 32                                      # side of the images trained on, pixels
    mean: list[float] | None = None                           # per-channel normalisation used, if any
    std: list[float] | None = None

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
        return max((e.test_acc for e in self.epochs), default=0.0)

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
            self.state, self.message = "stopped", f"Stopped in epoch {ev.epoch + 1}, step {ev.step}."
        elif isinstance(ev, Diverged):
            self.state, self.message = "diverged", ev.message


class _Signals:
    """The control object the engine polls: pause, stop and pending changes."""

    def __init__(self):
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()
        self._changes: dict = {}
        self._lock = threading.Lock()

    def should_stop(self) -> bool:
        return self.stop.is_set()

    def wait_if_paused(self) -> None:
        while not self.running.wait(0.1):
            if self.stop.is_set():
                return

    def take_changes(self) -> dict:
        with self._lock:
            ch, self._changes = self._changes, {}
        return ch

    def change(self, **kw) -> None:
        with self._lock:
            self._changes.update({k: v for k, v in kw.items() if v is not None})


class Runner:
    """One training run in a background thread.

    `data` is a Dataset or a function that loads one (called in the worker, so a slow download
    does not block the page). `on_end(model, history)` runs in the worker when the run ends
    (finished, stopped or diverged), e.g. to save a checkpoint; its return value, a path, is
    recorded in the history.
    """

    def __init__(self, cfg: TrainConfig, data: Dataset | Callable[[], Dataset], slots: Slots | None = None,
                 on_end: Callable[[torch.nn.Module, History], str | os.PathLike | None] | None = None):
        self.cfg = cfg
        self._data = data
        self._slots = slots
        self._on_end = on_end
        self._signals = _Signals()
        self._lock = threading.Lock()
        self._history = History(cfg)
        self._thread: threading.Thread | None = None
        self.model: torch.nn.Module | None = None
        self._epoch_state: dict[str, torch.Tensor] | None = None
        self._epoch_copy: tuple[torch.nn.Module, int] | None = None

    # --- control, from the page ---
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("This run was already started; make a new Runner for a new run.")
        problems = self.cfg.validate()
        if problems:
            raise ValueError(" ".join(problems))
        self._thread = threading.Thread(target=self._work, name="cnnlab-train", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self._history.state == "running":
                self._signals.running.clear()
                self._history.state = "paused"

    def resume(self) -> None:
        with self._lock:
            if self._history.state == "paused":
                self._history.state = "running"
                self._signals.running.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the run to stop and wait up to `timeout` s for its thread; True once it has ended."""
        self._signals.stop.set()
        self._signals.running.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def change(self, lr: float | None = None, momentum: float | None = None) -> None:
        """Change the learning rate and/or momentum from the next step on."""
        for name, value in (("lr", lr), ("momentum", momentum)):
            if value is not None and (problem := check_value(name, value)):
                raise ValueError(problem)
        self._signals.change(lr=lr, momentum=momentum)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True from a stop request until the thread has ended: the run finishes the step or test
        it is in, then saves."""
        return self._signals.stop.is_set() and self.alive

    def epoch_model(self) -> tuple[torch.nn.Module, int] | None:
        """A copy of the network as it was at the last epoch end, in eval mode, and that epoch
        (0-based); None before the first epoch ends. Safe to use while the run goes on."""
        with self._lock:
            state, h = self._epoch_state, self._history
            if state is None or not h.epochs:
                return None
            epoch, classes, size = h.epochs[-1].epoch, len(h.classes), h.image_size
        if self._epoch_copy is not None and self._epoch_copy[1] == epoch:
            return self._epoch_copy                     # built once per epoch, not on every page rerun
        model = build_model(self.cfg.model, classes, self.cfg.conv_dropout, self.cfg.fc_dropout, size)
        model.load_state_dict(state)
        self._epoch_copy = (model.eval(), epoch)
        return self._epoch_copy

    def snapshot(self) -> History:
        """A copy of the history that the worker will not change: its lists are copied, the events
        in them are immutable and shared. (A deep copy held the lock, and so the training thread,
        for 22 ms at 3,000 progress events, on every redraw of the page.)"""
        with self._lock:
            h = self._history
            return replace(h, steps=list(h.steps), epochs=list(h.epochs), changes=list(h.changes),
                           tests=list(h.tests))

    # --- the worker ---
    def _set(self, **kw) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self._history, k, v)

    def _work(self) -> None:
        got_slot = False
        try:
            if self._slots is not None:
                self._set(state="waiting", message="Waiting for a free training slot on this server…")
                got_slot = self._slots.acquire(self._signals.stop)
                if not got_slot:
                    self._set(state="stopped", message="Stopped before a training slot was free.", ended_at=time.time())
                    return
            self._set(state="loading", message="")
            data = self._data() if callable(self._data) else self._data
            data = data.subset(self.cfg.max_train, self.cfg.max_test, self.cfg.seed)
            self.model = make_model(self.cfg, data)
            with self._lock:
                self._history.begin(data)
                self._history.state = "running"   # pause() acts only on a running run, so none is pending here
            for ev in fit(self.model, data, self.cfg, self._signals):
                if isinstance(ev, EpochEnd):  # a copy of the weights now, for evaluating a run still training
                    state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
                with self._lock:
                    self._history.record(ev)
                    if isinstance(ev, EpochEnd):
                        self._epoch_state = state
            self._set(ended_at=time.time())
            if self._on_end is not None and self.model is not None:
                path = self._on_end(self.model, self.snapshot())
                if path:
                    self._set(checkpoint=str(path))
        except (DataError, ValueError) as e:
            self._set(state="failed", message=str(e), ended_at=time.time())
        except Exception as e:  # the page shows it; the history so far is kept
            traceback.print_exc()
            self._set(state="failed", message=f"Training failed: {type(e).__name__}: {e}", ended_at=time.time())
        finally:
            if got_slot:
                self._slots.release()
