"""The background run: one training in a thread, with start, pause, resume, stop, live changes of
learning rate and momentum, and a lock-protected history (cnnlib.history) that `snapshot()` copies out.

The app holds one `Runner` per browser session. The worker thread never touches the UI: it only
writes into the history under the lock. A process-wide `Slots` object caps concurrent runs, and the
core-count policy (`usable_cores`, `default_slots`, `torch_threads`) shares the machine among them.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from cnnlib.config import TrainConfig, check_value
from cnnlib.data import DataError, Dataset
from cnnlib.files import DiskFull, is_disk_full
from cnnlib.guess import Guess
from cnnlib.history import History
from cnnlib.memory import release_memory
from cnnlib.models import build_model, too_large, too_large_to_train
from cnnlib.train import Changed, EpochEnd, Stopped, Tested, TrainState, fit, make_model, resolve_device
from cnnlib.words import Message, joined, message_of


@dataclass(eq=False)
class Ticket:
    """One run's place with the `Slots`: in the line, holding a slot, or neither."""
    remaining: Callable[[], float | None] = lambda: None   # the run's estimated seconds left, None if unknown


class Slots:
    """A process-wide cap on concurrent trainings, so that many students on one server queue
    visibly instead of slowing each other to a crawl. First come, first served: only the run at the
    head of the line may take a free slot, and each run can ask for its place and the expected wait."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._line: list[Ticket] = []       # waiting, in the order they asked
        self._held: list[Ticket] = []       # holding a slot
        self._rates: dict[str, float] = {}  # images/s of each network's latest run here, for the wait estimates

    @property
    def in_use(self) -> int:
        return len(self._held)

    @property
    def waiting(self) -> int:
        return len(self._line)

    def acquire(self, ticket: Ticket, stop: threading.Event, poll: float = 0.1) -> bool:
        """Join the end of the line and wait for a free slot; leave the line (False) once `stop` is set."""
        with self._cond:
            self._line.append(ticket)
            try:
                while not stop.is_set():
                    if self._line[0] is ticket and len(self._held) < self.limit:
                        self._line.pop(0)
                        self._held.append(ticket)
                        return True
                    self._cond.wait(poll)
                return False
            finally:
                if ticket in self._line:
                    self._line.remove(ticket)
                self._cond.notify_all()      # the next in line may be the head now

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._held:
                self._held.remove(ticket)
            self._cond.notify_all()

    def note_rate(self, model: str, images_per_s: float) -> None:
        """Remember how fast a network trains on this server (the waits of runs that have not begun use it)."""
        if images_per_s > 0:
            self._rates[model] = float(images_per_s)

    def rate(self, model: str) -> float | None:
        return self._rates.get(model)

    def place(self, ticket: Ticket) -> int:
        """1 for the head of the line, 2 for the next…; 0 when not in the line."""
        with self._cond:
            return self._line.index(ticket) + 1 if ticket in self._line else 0

    def expected_wait(self, ticket: Ticket) -> float | None:
        """Seconds until `ticket` should get a slot, from what the runs holding slots and those ahead of
        it in the line expect to take; None if one of them cannot tell (0 when not in the line)."""
        with self._cond:
            if ticket not in self._line:
                return 0.0
            ahead = self._line[:self._line.index(ticket)]
            free = [0.0] * (self.limit - len(self._held))
            for t in [*self._held, *ahead]:
                left = t.remaining()
                if left is None:
                    return None
                if t in self._held:
                    free.append(left)
                else:                     # a run ahead takes the slot that frees first, for its whole length
                    free.sort()
                    free[0] += left
            return min(free) if free else 0.0


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
    at least one (a server kept to one core by `taskset` trains with one thread, not two on it).
    CNNLAB_TORCH_THREADS overrides. Keeping a core back for the web server was measured (bench/bench_app.py,
    2 cores): it cut training in the app by a fifth and answered clicks no faster."""
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


def match_threads() -> None:
    """Give the calling thread the process's intra-op thread count (`configure_torch`'s) before its first
    kernel. OpenMP keeps the count per thread, and a new thread starts at the count the process started
    with (every core it could use then); PyTorch's own parallel loops correct it at their first use, but
    oneDNN's kernels that run before that take the larger team (BENCHMARKS.md §5, 2026-12-02). The
    training thread and each of the app's script runs (a new thread each) call this first."""
    torch.set_num_threads(torch.get_num_threads())


@dataclass
class Continuation:
    """A saved run to go on training from (Runner's `start`): its weights, where its training stood
    and its history, which the new run's begins with, so that its chart continues the parent's curve."""
    parent: str                          # the parent's folder name, for the new run's run.json
    weights: dict[str, torch.Tensor]     # its state_dict
    state: TrainState                    # epochs and steps done, the optimiser's state (None: a fresh one)
    epochs: list[EpochEnd] = field(default_factory=list)
    changes: list[Changed] = field(default_factory=list)
    tests: list[Tested] = field(default_factory=list)


def _seconds_setting(name: str, default: float, scale: float = 1.0) -> float:
    """A server setting from the environment, in seconds: a non-negative number times `scale`."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value * scale if value >= 0 and value == value else default


def pause_grace() -> float:
    """Seconds a paused run keeps its training slot while others wait for one ($CNNLAB_PAUSE_SLOT_S,
    60 by default); after that the slot goes to the next in line and Resume queues for it again."""
    return _seconds_setting("CNNLAB_PAUSE_SLOT_S", 60.0)


def run_limit() -> float:
    """The longest a run may train on this server, in seconds ($CNNLAB_MAX_RUN_MINUTES; 0, the
    default, for no limit): a shared server's teacher sets it so that no run holds a slot all day."""
    return _seconds_setting("CNNLAB_MAX_RUN_MINUTES", 0.0, 60.0)


def memory_problem(cfg: TrainConfig, num_classes: int, image_size: int) -> str:
    """Why training `cfg` on this many classes and this image size would not fit this server's memory
    (its network, or a run on the CPU at its batch size: models.too_large, too_large_to_train), or ""."""
    try:
        problem = too_large(cfg.model, num_classes, image_size)
        if not problem and resolve_device(cfg.device).type == "cpu":
            problem = too_large_to_train(cfg.model, num_classes, image_size, cfg.batch_size,
                                         2 if cfg.optimizer in ("adam", "adamw") else int(cfg.momentum > 0))
    except ValueError:            # a network that does not fit the image size, or a missing device: said elsewhere
        return ""
    return problem


def _save_problem(e: BaseException) -> Message:
    """Why a run could not be saved and what to do, in words for the page (never the server's paths)."""
    if isinstance(e, DiskFull):
        return e.message
    keep = Message("runner.keep")
    if is_disk_full(e):
        return joined(DiskFull(Message("what.this_run"), e.errno).message, keep)
    if isinstance(e, OSError):
        return Message("runner.write_failed", reason=e.strerror or Message("runner.an_error"), keep=keep)
    return Message("runner.save_failed", kind=type(e).__name__, keep=keep)


class _Control:
    """What the engine polls between steps (train.Control), answered by the runner."""

    def __init__(self, runner: Runner):
        self._runner = runner

    def should_stop(self) -> bool:
        return self._runner._should_stop()

    def wait_if_paused(self) -> None:
        self._runner._wait_if_paused()

    def take_changes(self) -> dict:
        return self._runner._take_changes()


class Runner:
    """One training run in a background thread.

    `data` is a Dataset or a function that loads one (called in the worker, so a slow download
    does not block the page). `on_end(model, history)` runs in the worker when the run ends
    (finished, stopped or diverged) after training at least one step, e.g. to save it; its return
    value, a path, is recorded in the history, and an exception from it (a full disk) in
    `history.save_error`, the run itself staying as it ended.

    With `start`, a function that loads a `Continuation` (called in the worker, as `data` is), the run
    goes on from a saved run: its weights, its optimiser's state and its history; `cfg.epochs` is then
    the total, the parent's epochs included; `parent` names it at once, for the page.

    With `slots`, the run queues for a training slot first come, first served; paused for longer
    than `pause_grace()` while others wait, it gives its slot up and queues again on Resume. A run
    that trains longer than `run_limit()` is stopped (and saved) with a message saying why.
    """

    def __init__(self, cfg: TrainConfig, data: Dataset | Callable[[], Dataset], slots: Slots | None = None,
                 on_end: Callable[[torch.nn.Module, History], str | os.PathLike | None] | None = None,
                 guess: Guess | None = None, start: Callable[[], Continuation] | None = None, parent: str = ""):
        self.cfg = cfg
        self._data = data
        self._start = start
        self._slots = slots
        self._on_end = on_end
        self._lock = threading.Lock()
        self._history = History(cfg, follow=secrets.token_urlsafe(9), parent=parent,
                                guess=None if guess is None or guess.empty else guess)
        self._thread: threading.Thread | None = None
        # the network: built by the worker; once the run is saved, the pages load it from its folder, shared
        # by every session (a second copy here would cost the tutorial's CNN 17 MB), so it goes (None)
        self.model: torch.nn.Module | None = None
        self._epoch_state: dict[str, torch.Tensor] | None = None
        self._epoch_copy: tuple[torch.nn.Module, int] | None = None
        # control: set by the page, read by the worker
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._changes: dict = {}
        # the slot and the clock, kept by the worker
        self._ticket = Ticket(self._remaining)
        self._has_slot = False
        self._paused_since = 0.0              # time.monotonic() when the current pause began
        self._active_since = 0.0              # time.monotonic() when training began
        self._inactive = 0.0                  # seconds since then spent paused or waiting for a slot
        self._limit = run_limit()
        self._grace = pause_grace()
        self._stop_reason = ""                # "limit" when the server's run limit stopped it
        images = len(data.y_train) if isinstance(data, Dataset) else 0
        self._train_images = min(images, cfg.max_train) if cfg.max_train else images

    # --- control, from the page ---
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("This run was already started; make a new Runner for a new run.")
        problems = self.cfg.validate()
        if isinstance(self._data, Dataset) and not problems:   # the page checks this too; the server checks again
            problems = [p for p in [memory_problem(self.cfg, len(self._data.classes), self._data.image_size)] if p]
        if problems:
            raise ValueError(joined(*problems))
        self._thread = threading.Thread(target=self._work, name="cnnlab-train", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self._history.state == "running":
                self._running.clear()
                self._paused_since = time.monotonic()
                self._history.state = "paused"

    def resume(self) -> None:
        """Go on training; a run that gave its slot up meanwhile first waits for one again."""
        with self._lock:
            if self._history.state == "paused":
                given_up = self._slots is not None and not self._has_slot
                self._history.state = "waiting" if given_up else "running"
                self._history.message = _WAITING if given_up else ""
                self._running.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the run to stop and wait up to `timeout` s for its thread; True once it has ended."""
        self._stop.set()
        self._running.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def change(self, lr: float | None = None, momentum: float | None = None) -> None:
        """Change the learning rate and/or momentum from the next step on."""
        for name, value in (("lr", lr), ("momentum", momentum)):
            if value is not None and (problem := check_value(name, value)):
                raise ValueError(problem)
        with self._lock:
            self._changes.update({k: v for k, v in (("lr", lr), ("momentum", momentum)) if v is not None})

    def queue(self) -> tuple[int, float | None]:
        """This run's place in the line for a training slot (1 = next; 0 = not waiting) and the
        expected wait in seconds (None when a run it waits for cannot tell)."""
        if self._slots is None:
            return 0, None
        return self._slots.place(self._ticket), self._slots.expected_wait(self._ticket)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def follow_id(self) -> str:
        """The id of this run's follow link (?follow=<id>), also kept in its run.json."""
        return self._history.follow

    @property
    def stopping(self) -> bool:
        """True from a stop request until the thread has ended: the run finishes the step or test
        it is in, then saves."""
        return self._stop.is_set() and self.alive

    def epoch_model(self) -> tuple[torch.nn.Module, int] | None:
        """A copy of the network as it was at the last epoch end, in eval mode, and that epoch
        (0-based); None before the first epoch ends, and once the run has ended (self.model is then the
        run's network, until it is saved). Safe to use while the run goes on."""
        with self._lock:
            state, h = self._epoch_state, self._history
            if state is None or not h.epochs:
                return None
            epoch, classes, size = h.epochs[-1].epoch, len(h.classes), h.image_size
        if self._epoch_copy is not None and self._epoch_copy[1] == epoch:
            return self._epoch_copy                     # built once per epoch, not on every page rerun
        model = build_model(self.cfg.model, classes, self.cfg.conv_dropout, self.cfg.fc_dropout, size)
        model.load_state_dict(state)
        copy = (model.eval(), epoch)
        with self._lock:
            if self._epoch_state is state:    # kept only while the run has not ended (nor moved on) meanwhile
                self._epoch_copy = copy
        return copy

    def snapshot(self) -> History:
        """A copy of the history that the worker will not change: its lists are copied, the events
        in them are immutable and shared, so that the lock, and with it the training thread, is held only
        for the copy of the lists (BENCHMARKS.md §10)."""
        with self._lock:
            h = self._history
            return replace(h, steps=list(h.steps), epochs=list(h.epochs), changes=list(h.changes),
                           tests=list(h.tests))

    # --- what the engine polls, in the worker ---
    def _should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        if self._limit and self._active_since and \
                time.monotonic() - self._active_since - self._inactive > self._limit:
            self._stop_reason = "limit"
            self._stop.set()
            return True
        return False

    def _wait_if_paused(self) -> None:
        """Hold the run while it is paused; after `pause_grace()` s with others waiting, hand the slot
        to the next in line; on Resume, queue for one again if it was handed on."""
        if self._running.is_set():
            return
        began = time.monotonic()
        while not self._running.wait(0.1) and not self._stop.is_set():
            if self._has_slot and self._slots.waiting and time.monotonic() - began >= self._grace:
                self._slots.release(self._ticket)
                self._has_slot = False
                self._set(message=Message("runner.slot_given", grace=self._grace))
        if self._slots is not None and not self._has_slot and not self._stop.is_set():
            self._has_slot = self._slots.acquire(self._ticket, self._stop)
            with self._lock:
                if self._has_slot and self._history.state == "waiting":
                    self._history.state, self._history.message = "running", ""
        self._inactive += time.monotonic() - began

    def _take_changes(self) -> dict:
        with self._lock:
            changes, self._changes = self._changes, {}
        return changes

    def _remaining(self) -> float | None:
        """Seconds this run still expects to need a slot for (for the line's estimates), or None."""
        with self._lock:
            h, paused = self._history, self._history.state == "paused"
            s = h.last_step
            if s is not None:
                done = (s.epoch * s.steps + s.step) / max(1, self.cfg.epochs * s.steps)
                left = s.elapsed / done * (1 - done) if done > 0 else None
            else:
                rate = self._slots.rate(self.cfg.model) if self._slots is not None else None
                left = self._train_images * self.cfg.epochs / rate if rate and self._train_images else None
                left = left + RUN_OVERHEAD if left is not None else None
        if left is None:
            return None
        left *= 1.2                                  # the tests after each epoch, roughly
        if paused:                                   # a paused run keeps its slot at most this much longer
            left += max(0.0, self._grace - (time.monotonic() - self._paused_since))
        return min(left, self._limit) if self._limit else left

    # --- the worker ---
    def _set(self, **kw) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self._history, k, v)

    def _work(self) -> None:
        match_threads()                  # from its first kernel on, not from PyTorch's first parallel loop
        try:
            if self._slots is not None:
                self._set(state="waiting", message=_WAITING)
                self._has_slot = self._slots.acquire(self._ticket, self._stop)
                if not self._has_slot:   # the tab went away, or Stop, while waiting: nothing to save
                    self._set(state="stopped", message=Message("runner.stopped_waiting"), ended_at=time.time())
                    return
            self._set(state="loading", message="")
            data = self._data() if callable(self._data) else self._data
            data = data.subset(self.cfg.max_train, self.cfg.max_test, self.cfg.seed)
            self.model = make_model(self.cfg, data)
            progress = TrainState()
            if self._start is not None:
                cont = self._start()
                self.model.load_state_dict(cont.weights)   # raises for weights of another network or data set
                progress = cont.state
                with self._lock:
                    h = self._history
                    h.parent, h.epochs, h.changes, h.tests = cont.parent, list(cont.epochs), list(cont.changes), \
                        list(cont.tests)
                del cont                                   # the parent's weights: the model holds them now
            with self._lock:
                self._history.begin(data)
                self._history.state = "running"   # pause() acts only on a running run, so none is pending here
            self._active_since = time.monotonic()
            for ev in fit(self.model, data, self.cfg, _Control(self), start=progress):
                if isinstance(ev, EpochEnd):  # a copy of the weights now, for evaluating a run still training
                    state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
                    if self._slots is not None and ev.seconds > 0:   # a whole epoch: warm-up and all
                        self._slots.note_rate(self.cfg.model, len(data.y_train) / ev.seconds)
                with self._lock:
                    self._history.record(ev)
                    if isinstance(ev, EpochEnd):
                        self._epoch_state = state
                    elif isinstance(ev, Stopped) and self._stop_reason == "limit":
                        self._history.message = joined(self._history.message,
                                                       Message("runner.limit", minutes=self._limit / 60))
            self._set(ended_at=time.time(), resume=progress.to_dict())
            self._save()
        except (DataError, ValueError) as e:
            self._set(state="failed", message=message_of(e), ended_at=time.time())
        except Exception as e:  # the page shows it; the history so far is kept
            traceback.print_exc()
            self._set(state="failed", message=Message("runner.failed", kind=type(e).__name__, error=str(e)),
                      ended_at=time.time())
        finally:
            if self._has_slot:
                self._slots.release(self._ticket)
                self._has_slot = False
            with self._lock:                  # an ended run is used as self.model: its epoch's copies go
                self._epoch_state = None      # (the tutorial's CNN: 17 MB each)
                self._epoch_copy = None
            release_memory()                  # what this run's steps and tests freed goes back to the system

    def _save(self) -> None:
        """Hand the ended run to `on_end` (once it trained at least one step); a failure to save is
        noted, and the run stays as it ended, in memory."""
        h = self.snapshot()
        if self._on_end is None or self.model is None:
            return
        if not h.steps and (not h.epochs or h.parent):     # a continuation's first epochs are its parent's
            self._set(message=joined(h.message, Message("runner.nothing_trained")))
            return
        try:
            path = self._on_end(self.model, h)
        except Exception as e:  # a full disk, a folder gone: the page offers the run for download instead
            traceback.print_exc()
            self._set(save_error=_save_problem(e))
            return
        if path:   # at once for a page: a saved run is used from its folder, and its network is not kept too
            with self._lock:
                self._history.checkpoint, self._history.resume = str(path), None   # (resume: in optimizer.pt)
                self.model = None


_WAITING = Message("runner.waiting")
RUN_OVERHEAD = 3.0    # seconds a run takes besides training and testing: loading its data, building, saving
