"""The background runner (cnnlib.runner.Runner): pause, resume, stop, snapshots, failures and the
slot cap. Each run trains a few tiny images; waits are bounded polls, never fixed sleeps alone.

    .venv/bin/python -m pytest tests/test_runner.py -q
"""
from __future__ import annotations

import threading
import time

import pytest
import torch
from smalldata import tiny_dataset

import cnnlib.runner as runner_mod
from cnnlib import inference
from cnnlib.config import TrainConfig
from cnnlib.data import DataError
from cnnlib.runner import Runner, Slots, Ticket
from cnnlib.train import EpochEnd

# many small steps: a run that lasts until it is stopped
LONG = TrainConfig(epochs=1000, batch_size=4, report_every=1, max_train=16, max_test=4)
SHORT = TrainConfig(epochs=2, batch_size=16, report_every=2)




def wait_for(cond, timeout: float = 20.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        time.sleep(0.02)


def held_at_pause(monkeypatch) -> threading.Event:
    """Set once a run's worker waits at a pause: before its next step, so the step in flight when
    pause() was called, and any epoch end it led to, have been recorded by then. (Waiting for 0.2 s
    without a new event was not enough on a busy machine, where one step took over half a second.)"""
    held, real = threading.Event(), Runner._wait_if_paused

    def waiting(self):
        if not self._running.is_set():
            held.set()
        real(self)
    monkeypatch.setattr(Runner, "_wait_if_paused", waiting)
    return held


@pytest.fixture
def runners():
    """Runners a test starts; all stopped at the end whatever happens."""
    made: list[Runner] = []
    yield made
    for r in made:
        assert r.stop(10), "a runner thread did not end"


def start(runners, cfg, data=None, **kw) -> Runner:
    r = Runner(cfg, data if data is not None else tiny_dataset(), **kw)
    runners.append(r)
    r.start()
    return r


def test_a_run_finishes_and_records_its_history(runners):
    ended, handed = [], []
    r = start(runners, SHORT, on_end=lambda model, h: handed.append(model) or ended.append(h) or "runs/x")
    wait_for(lambda: not r.alive, what="the run to end")
    h = r.snapshot()
    assert h.state == "finished" and h.ended
    assert [e.epoch for e in h.epochs] == [0, 1]
    assert len(h.steps) == 4 and h.finished is not None and h.finished.epochs == 2
    assert h.classes and h.dataset == "tiny" and h.started_at <= h.ended_at
    assert h.checkpoint == "runs/x" and ended[0].state == "finished"
    assert h.best_acc() == max(e.test_acc for e in h.epochs)
    # the trained network went to be saved; once saved, the pages read it from its folder, not from the run
    assert isinstance(handed[0], torch.nn.Module) and r.model is None
    assert inference.predictor_from_runner(r) is None


def test_a_page_that_asks_while_the_run_is_being_saved_still_gets_its_network(runners, monkeypatch):
    r = start(runners, SHORT)                                  # no on_end: ended, unsaved, its network kept
    wait_for(lambda: not r.alive, what="the run to end")
    network, snapshot = r.model, r.snapshot

    def saved_meanwhile():                                     # the save lands between the page's two reads
        h = snapshot()
        with r._lock:
            r.model = None
        return h
    monkeypatch.setattr(r, "snapshot", saved_meanwhile)
    assert network is not None and inference.predictor_from_runner(r).model is network


def test_a_run_that_could_not_be_saved_keeps_its_network_for_the_pages(runners):
    def disk_full(model, h):
        raise OSError(28, "No space left on device")
    r = start(runners, SHORT, on_end=disk_full)
    wait_for(lambda: not r.alive, what="the run to end")
    assert r.snapshot().save_error and r.model is not None
    assert inference.predictor_from_runner(r).model is r.model


def test_pause_holds_the_run_and_resume_continues_it(runners, monkeypatch):
    held = held_at_pause(monkeypatch)
    r = start(runners, LONG)
    wait_for(lambda: r.snapshot().state == "running" and len(r.snapshot().steps) >= 2, what="steps")
    r.pause()
    n0 = len(r.snapshot().steps)
    assert r.snapshot().state == "paused"
    wait_for(held.is_set, what="the run to wait at the pause")
    n = len(r.snapshot().steps)
    assert n <= n0 + 1, "more than the step in flight was taken after pause()"
    time.sleep(0.4)
    assert len(r.snapshot().steps) == n, "steps were taken while paused"
    assert r.alive
    r.resume()
    assert r.snapshot().state == "running"
    wait_for(lambda: len(r.snapshot().steps) > n + 2, what="steps after resume")


def test_stop_ends_the_thread_quickly_even_when_paused(runners):
    before = set(threading.enumerate())
    r = start(runners, LONG)
    assert set(threading.enumerate()) - before == {r._thread}    # one thread per run, and only that
    wait_for(lambda: len(r.snapshot().steps) >= 1, what="a step")
    r.pause()
    t = time.monotonic()
    assert r.stop(timeout=10) is True
    assert time.monotonic() - t < 5
    assert not r.alive
    h = r.snapshot()
    assert h.state == "stopped" and "Stopped in epoch" in h.message
    assert set(threading.enumerate()) - before == set()         # its thread is gone, not just idle


def test_a_stop_that_is_not_waited_for_shows_as_stopping_until_the_run_is_saved(runners):
    saving, release = threading.Event(), threading.Event()

    def slow_save(model, h):  # on_end: a save that takes as long as the test says
        saving.set()
        release.wait(10)
        return "saved-here"

    r = start(runners, LONG, on_end=slow_save)
    wait_for(lambda: len(r.snapshot().steps) >= 1, what="a step")
    assert not r.stopping
    assert r.stop(timeout=0) is False                          # asked, not waited for
    assert r.stopping
    wait_for(saving.is_set, what="the save to begin")
    assert r.stopping and r.snapshot().state == "stopped"      # ended, still saving
    release.set()
    assert r.stop(timeout=10) is True
    assert not r.stopping and r.snapshot().checkpoint == "saved-here"


def test_stop_before_start_and_twice_is_harmless():
    r = Runner(SHORT, tiny_dataset())
    assert r.stop(1) is True
    assert r.snapshot().state == "idle"
    assert r.stop(1) is True and r.snapshot().state == "idle"   # and again


def test_a_runner_starts_once_and_refuses_a_bad_config(runners):
    r = start(runners, SHORT)
    with pytest.raises(RuntimeError, match="already started"):
        r.start()
    with pytest.raises(ValueError, match="lr=0.0"):
        Runner(SHORT.replace(lr=0.0), tiny_dataset()).start()


def test_snapshot_is_a_copy(runners):
    r = start(runners, SHORT)
    wait_for(lambda: not r.alive, what="the run to end")
    snap = r.snapshot()
    n_epochs, n_steps = len(snap.epochs), len(snap.steps)
    snap.epochs.clear()
    snap.steps.append("junk")
    snap.state = "idle"
    snap.classes = ()
    again = r.snapshot()
    assert len(again.epochs) == n_epochs and len(again.steps) == n_steps
    assert again.state == "finished" and again.classes
    assert again is not snap and again.epochs is not snap.epochs


def test_live_changes_reach_the_engine(runners):
    r = start(runners, LONG)
    wait_for(lambda: len(r.snapshot().steps) >= 1, what="a step")
    r.change(lr=0.01, momentum=0.5)
    wait_for(lambda: r.snapshot().changes, what="the change")
    ch = r.snapshot().changes[0]
    assert (ch.lr, ch.momentum) == (0.01, 0.5)
    wait_for(lambda: r.snapshot().steps[-1].lr == pytest.approx(0.01), what="a step at the new lr")
    with pytest.raises(ValueError, match="lr=20"):
        r.change(lr=20)
    with pytest.raises(ValueError, match="momentum=1.5"):
        r.change(momentum=1.5)


def test_a_failing_data_loader_fails_the_run_with_its_message(runners):
    def broken():
        raise DataError("CIFAR-10 could not be downloaded (offline). Use the built-in set.")
    r = start(runners, SHORT, broken)
    wait_for(lambda: not r.alive, what="the run to end")
    h = r.snapshot()
    assert h.state == "failed" and h.ended
    assert h.message == "CIFAR-10 could not be downloaded (offline). Use the built-in set."
    assert h.ended_at > 0


def test_an_unexpected_error_fails_the_run_and_keeps_the_history(runners, monkeypatch, capsys):
    real_fit = runner_mod.fit

    def fit_then_crash(*a, **kw):
        for ev in real_fit(*a, **kw):
            yield ev
            if isinstance(ev, EpochEnd):
                raise RuntimeError("disk on fire")
    monkeypatch.setattr(runner_mod, "fit", fit_then_crash)
    r = start(runners, SHORT)
    wait_for(lambda: not r.alive, what="the run to end")
    h = r.snapshot()
    assert h.state == "failed"
    assert "RuntimeError" in h.message and "disk on fire" in h.message
    assert len(h.epochs) == 1 and len(h.steps) == 2, "the history so far must be kept"


def test_a_second_run_waits_for_the_only_slot_and_can_be_stopped_while_waiting(runners):
    slots = Slots(1)
    first = start(runners, LONG, slots=slots)
    wait_for(lambda: first.snapshot().state == "running", what="the first run")
    second = start(runners, SHORT, slots=slots)
    wait_for(lambda: second.snapshot().state == "waiting", what="the second run to wait")
    time.sleep(0.3)
    h = second.snapshot()
    assert h.state == "waiting" and "slot" in h.message and not h.steps
    assert slots.in_use == 1
    assert second.stop(timeout=5) is True
    assert second.snapshot().state == "stopped"
    assert first.snapshot().state == "running"
    assert first.stop(timeout=10) is True
    assert slots.in_use == 0
    third = start(runners, SHORT, slots=slots)           # the slot was given back
    wait_for(lambda: not third.alive, what="the third run")
    assert third.snapshot().state == "finished" and slots.in_use == 0


def test_a_slot_is_given_back_when_a_run_fails(runners):
    slots = Slots(1)
    r = start(runners, SHORT, lambda: 1 / 0, slots=slots)
    wait_for(lambda: not r.alive, what="the run to end")
    assert r.snapshot().state == "failed" and slots.in_use == 0


@pytest.mark.parametrize("cores, slots", [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (8, 4), (16, 8)])
def test_default_slots_is_one_run_per_two_usable_cores_and_at_least_one(monkeypatch, cores, slots):
    monkeypatch.delenv("CNNLAB_MAX_RUNS", raising=False)
    monkeypatch.setattr(runner_mod.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert runner_mod.default_slots() == slots


@pytest.mark.parametrize("env, slots", [("3", 3), ("1", 1), ("12", 12),          # a positive count is kept
                                         ("zero", 4), ("0", 4), ("-2", 4), ("", 4), (" 3", 4), ("2.5", 4)])
def test_default_slots_honours_a_positive_count_in_the_environment_and_ignores_anything_else(monkeypatch, env, slots):
    monkeypatch.setattr(runner_mod.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setenv("CNNLAB_MAX_RUNS", env)
    assert runner_mod.default_slots() == slots                  # anything else: 8 cores // 2


def test_a_slot_line_has_at_least_one_slot():
    assert Slots(0).limit == 1 and Slots(1).limit == 1 and Slots(3).limit == 3


def test_threads_and_slots_count_only_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.delenv("CNNLAB_TORCH_THREADS", raising=False)
    monkeypatch.delenv("CNNLAB_MAX_RUNS", raising=False)
    monkeypatch.setattr(runner_mod.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(runner_mod.os, "sched_getaffinity", lambda pid: {0}, raising=False)  # `taskset -c 0`
    assert runner_mod.usable_cores() == 1
    assert runner_mod.default_slots() == 1 and runner_mod.torch_threads() == 1
    monkeypatch.setattr(runner_mod.os, "sched_getaffinity", lambda pid: {2, 3, 4, 5}, raising=False)
    assert runner_mod.default_slots() == 2 and runner_mod.torch_threads() == 2
    monkeypatch.delattr(runner_mod.os, "sched_getaffinity", raising=False)   # macOS, Windows: every core
    assert runner_mod.usable_cores() == 16 and runner_mod.torch_threads() == 2


def test_a_diverging_run_ends_as_diverged_and_is_still_handed_to_on_end(runners):
    ended = []
    r = start(runners, SHORT.replace(lr=10.0, epochs=5, report_every=1), on_end=lambda m, h: ended.append(h.state))
    wait_for(lambda: not r.alive, what="the run to end")
    h = r.snapshot()
    assert h.state == "diverged" and "learning rate" in h.message and h.finished is None
    assert ended == ["diverged"]


def test_a_run_still_training_offers_a_copy_of_its_network_from_the_last_epoch_end(runners, monkeypatch):
    import torch

    from cnnlib import inference as predictor
    assert Runner(LONG, tiny_dataset()).epoch_model() is None     # nothing before the run starts
    real_fit, at_first_end, go_on = runner_mod.fit, threading.Event(), threading.Event()

    def fit_held_at_the_first_epoch_end(*a, **kw):           # the run trains, then waits before its first epoch end
        for ev in real_fit(*a, **kw):
            if isinstance(ev, EpochEnd) and not go_on.is_set():
                at_first_end.set()
                go_on.wait(20)
            yield ev
    monkeypatch.setattr(runner_mod, "fit", fit_held_at_the_first_epoch_end)
    r = start(runners, LONG.replace(max_train=8, batch_size=4))
    wait_for(at_first_end.is_set, what="the first epoch's last step")
    h = r.snapshot()
    assert h.steps and not h.epochs and r.epoch_model() is None  # trained some steps, but no epoch has ended
    go_on.set()
    wait_for(lambda: len(r.snapshot().epochs) >= 2, what="two epochs")
    held = held_at_pause(monkeypatch)
    r.pause()
    wait_for(held.is_set, what="the step in flight when Pause was pressed to end")  # it may end an epoch
    model, epoch = r.epoch_model()
    assert epoch == r.snapshot().epochs[-1].epoch and not model.training
    assert model is not r.model                                  # never the network being trained
    assert r.epoch_model()[0] is model                           # built once per epoch
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert model(x).shape == (2, 10)
    p = predictor.predictor_from_runner(r)
    assert p is not None and "still training" in p.name and p.model is model
    report = predictor.evaluate(p, tiny_dataset())
    assert int(report.confusion.sum()) == 32
    r.resume()
    r.stop()
    wait_for(lambda: not r.alive, what="the run to end")
    assert r.epoch_model() is None and r._epoch_copy is None     # an ended run keeps no copies of its weights
    p = predictor.predictor_from_runner(r)
    assert p is not None and p.model is r.model and "still training" not in p.name


# --- the line for training slots ----------------------------------------------------------------

@pytest.mark.slow
def test_runs_get_the_only_slot_in_the_order_start_was_pressed(runners):
    """Six sessions, one slot: each waiting run gets the slot in the order it asked (the second to
    press Start got it ahead of the first, when any waiter could grab a released semaphore)."""
    slots, order = Slots(1), []
    first = start(runners, LONG, slots=slots)
    wait_for(lambda: first.snapshot().state == "running", what="the first run")
    waiting = []
    for i in range(5):
        r = start(runners, SHORT, slots=slots, on_end=lambda m, h, i=i: order.append(i))
        wait_for(lambda r=r: r.snapshot().state == "waiting", what="a run to queue")
        waiting.append(r)
    assert [r.queue()[0] for r in waiting] == [1, 2, 3, 4, 5]
    assert first.stop(10)
    wait_for(lambda: not any(r.alive for r in waiting), timeout=60, what="every queued run")
    assert order == [0, 1, 2, 3, 4]
    assert slots.in_use == 0 and slots.waiting == 0


def test_the_expected_wait_adds_up_the_runs_ahead():
    slots, stop = Slots(2), threading.Event()
    holders = [Ticket(lambda: 60.0), Ticket(lambda: 10.0)]
    assert all(slots.acquire(t, stop) for t in holders)
    line = [Ticket(lambda: 30.0), Ticket(lambda: 100.0), Ticket(lambda: None), Ticket(lambda: 5.0)]
    threads = [threading.Thread(target=slots.acquire, args=(t, stop)) for t in line]
    for t, th in zip(line, threads):
        th.start()
        wait_for(lambda t=t: slots.place(t), what="a ticket in line")
    try:
        assert [slots.place(t) for t in line] == [1, 2, 3, 4]
        # the first waits for the 10-s run; the second for the 60-s run (the first now holds the other
        # slot until 40 s); the third for the first (40 s); the fourth cannot tell: the third cannot
        assert [slots.expected_wait(t) for t in line] == [10.0, 40.0, 60.0, None]
        assert slots.expected_wait(holders[0]) == 0.0 and slots.place(holders[0]) == 0
    finally:
        stop.set()
        for th in threads:
            th.join(5)
    assert slots.waiting == 0 and slots.in_use == 2


def test_a_waiting_run_knows_its_wait_from_how_fast_its_network_trained_here(runners):
    slots = Slots(1)
    slots.note_rate(SHORT.model, 64.0)                  # an earlier tutorial run here: 64 images/s
    first = start(runners, LONG.replace(model="small"), slots=slots)
    wait_for(lambda: first.snapshot().state == "running" and first.snapshot().steps, what="the first run")
    second = start(runners, SHORT, slots=slots)         # 64 images, 2 epochs: 2 s, 3 s around it, a fifth for tests
    wait_for(lambda: second.snapshot().state == "waiting", what="the second run to queue")
    assert second._remaining() == pytest.approx(6.0)
    place, expected = second.queue()
    assert place == 1 and expected is not None and expected > 0


def test_a_paused_run_hands_its_slot_on_after_the_grace_time_and_queues_again_on_resume(runners, monkeypatch):
    monkeypatch.setenv("CNNLAB_PAUSE_SLOT_S", "0.3")
    slots = Slots(1)
    first = start(runners, LONG, slots=slots)
    wait_for(lambda: first.snapshot().state == "running" and first.snapshot().steps, what="the first run")
    first.pause()
    time.sleep(0.6)
    assert first._has_slot, "nobody waits: a paused run keeps its slot"
    second = start(runners, LONG, slots=slots)
    wait_for(lambda: second.snapshot().state == "running", what="the slot to pass to the waiting run")
    h = first.snapshot()
    assert h.state == "paused" and "went to the next in line" in h.message
    first.resume()
    assert first.snapshot().state == "waiting"          # in line again, behind nobody
    wait_for(lambda: first.queue()[0] == 1, what="the run to queue again")
    n = len(first.snapshot().steps)
    time.sleep(0.3)
    assert len(first.snapshot().steps) == n, "a run without a slot must not train"
    assert second.stop(10)
    wait_for(lambda: first.snapshot().state == "running" and len(first.snapshot().steps) > n,
             what="the first run to train again")


def test_a_paused_run_keeps_its_slot_within_the_grace_time(runners, monkeypatch):
    monkeypatch.setenv("CNNLAB_PAUSE_SLOT_S", "60")
    slots = Slots(1)
    first = start(runners, LONG, slots=slots)
    wait_for(lambda: first.snapshot().state == "running", what="the first run")
    first.pause()
    second = start(runners, SHORT, slots=slots)
    time.sleep(0.5)
    assert second.snapshot().state == "waiting" and first._has_slot
    first.resume()
    assert first.snapshot().state == "running"


def test_a_run_longer_than_the_servers_limit_is_stopped_and_saved_with_the_reason(runners, monkeypatch):
    monkeypatch.setenv("CNNLAB_MAX_RUN_MINUTES", str(0.5 / 60))    # half a second
    saved = []
    r = start(runners, LONG, on_end=lambda m, h: saved.append(h) or "runs/limited")
    wait_for(lambda: not r.alive, what="the limit to stop the run")
    h = r.snapshot()
    assert h.state == "stopped" and "at most 0.5 minutes" not in h.message
    assert "CNNLAB_MAX_RUN_MINUTES" in h.message and h.checkpoint == "runs/limited" and saved
    assert 0.5 <= h.ended_at - h.started_at < 5          # the limit counts the run's time, tests included


def test_pauses_do_not_count_against_the_run_limit(runners, monkeypatch):
    monkeypatch.setenv("CNNLAB_MAX_RUN_MINUTES", str(1.0 / 60))    # one second of training
    r = start(runners, LONG)
    wait_for(lambda: r.snapshot().steps, what="a step")
    r.pause()
    time.sleep(1.5)
    r.resume()
    time.sleep(0.2)
    assert r.alive and r.snapshot().state == "running"
    wait_for(lambda: not r.alive, what="the limit")


def test_a_run_stopped_before_its_first_step_saves_nothing(runners, monkeypatch):
    """A waiting tab closed just as the slot came free used to save an empty 'stopped at step 1' run."""
    import cnnlib.runner as rm
    real_fit = rm.fit
    started = threading.Event()

    def fit_after_stop(model, data, cfg, control, **kw):
        started.set()
        wait_for(control.should_stop, what="the stop")
        yield from real_fit(model, data, cfg, control, **kw)
    monkeypatch.setattr(rm, "fit", fit_after_stop)
    saved = []
    r = start(runners, SHORT, on_end=lambda m, h: saved.append(h) or "runs/empty")
    wait_for(started.is_set, what="training to begin")
    assert r.stop(10)
    h = r.snapshot()
    assert h.state == "stopped" and not h.steps and not saved and not h.checkpoint
    assert "nothing was saved" in h.message


def test_a_run_that_cannot_be_saved_keeps_its_result_and_says_why(runners):
    import errno

    def full_disk(model, h):
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/cnnlab/runs/x/weights.pt")
    r = start(runners, SHORT, on_end=full_disk)
    wait_for(lambda: not r.alive, what="the run to end")
    h = r.snapshot()
    assert h.state == "finished" and h.finished is not None      # not "failed": the training did finish
    assert h.save_error.startswith("The server's disk is full: this run could not be saved.")
    assert "Download the run below" in h.save_error
    assert "/srv" not in h.save_error and not h.checkpoint and r.model is not None


def test_a_run_too_large_for_the_servers_memory_is_refused_before_it_starts(monkeypatch):
    """gpu-speedrun's batch of 1,024 on a CPU would take 2.7 GB: on a small shared server, that is
    everyone's memory. The limit is worked out from the config before any tensor exists."""
    from cnnlib.config import preset
    from cnnlib.runner import memory_problem
    big = preset("gpu-speedrun", device="cpu")
    problem = memory_problem(big, 10, 32)
    assert "batches of 1,024" in problem and "CNNLAB_MAX_RUN_MB" in problem and "batch size of" in problem
    with pytest.raises(ValueError, match="CNNLAB_MAX_RUN_MB"):
        Runner(big, tiny_dataset()).start()
    for name in ("tutorial", "demo", "fast-cpu", "cpu-5min"):
        assert memory_problem(preset(name), 10, 32) == "", name
    assert memory_problem(big.replace(batch_size=256), 10, 32) == ""       # the size it suggests fits
    monkeypatch.setenv("CNNLAB_MAX_RUN_MB", "50")                          # a teacher's smaller limit
    assert "at most 50 MB" in memory_problem(preset("cpu-5min"), 10, 32)
    assert "384×384" in memory_problem(preset("tutorial"), 10, 384)      # the network alone is too big


def test_a_copy_of_the_network_built_as_the_run_ends_is_not_kept(monkeypatch):
    r = Runner(LONG, tiny_dataset())
    r._history.classes, r._history.image_size = tuple("abcdefghij"), 32
    r._history.epochs = [EpochEnd(0, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0)]
    r._epoch_state = runner_mod.build_model("tutorial", 10, 0.3, 0.5, 32).state_dict()
    real = runner_mod.build_model

    def ends_meanwhile(*a):                  # the run ends while a page builds its copy
        with r._lock:
            r._epoch_state = None
        return real(*a)
    monkeypatch.setattr(runner_mod, "build_model", ends_meanwhile)
    model, epoch = r.epoch_model()
    assert epoch == 0 and not model.training   # the page still gets its copy...
    assert r._epoch_copy is None               # ...but the ended run does not keep it


def _openmp():
    """The OpenMP runtime PyTorch loaded (its libgomp), or None."""
    import ctypes
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "libgomp" in line or "libiomp" in line}
    for path in paths:
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def test_the_training_thread_uses_the_processs_thread_count_not_the_machines(runners, monkeypatch):
    """OpenMP keeps its thread count per thread, and a new thread's team is as large as the machine: a
    server kept to fewer threads (configure_torch) must train with that many, not all the cores."""
    torch.zeros(64, 64) @ torch.zeros(64, 64)               # PyTorch's OpenMP loaded
    omp = _openmp()
    if omp is None:
        pytest.skip("no OpenMP runtime in this PyTorch: nothing keeps a count per thread")
    real_fit, seen = runner_mod.fit, []

    def fit_and_look(*a, **kw):
        seen.append(omp.omp_get_max_threads())
        yield from real_fit(*a, **kw)
    monkeypatch.setattr(runner_mod, "fit", fit_and_look)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        probe = []
        t = threading.Thread(target=lambda: probe.append(omp.omp_get_max_threads()))
        t.start()
        t.join()
        r = start(runners, SHORT)
        wait_for(lambda: not r.alive, what="the run to end")
    finally:
        torch.set_num_threads(before)
    assert seen == [1], f"trained with {seen} threads (a plain new thread here: {probe})"


def test_match_threads_gives_a_new_thread_the_processs_count():
    torch.zeros(8, 8) @ torch.zeros(8, 8)                   # PyTorch's OpenMP loaded
    omp = _openmp()
    if omp is None:
        pytest.skip("no OpenMP runtime in this PyTorch: nothing keeps a count per thread")
    before, seen = torch.get_num_threads(), []

    def look():
        runner_mod.match_threads()
        seen.append(omp.omp_get_max_threads())
    try:
        torch.set_num_threads(1)
        t = threading.Thread(target=look)
        t.start()
        t.join()
    finally:
        torch.set_num_threads(before)
    assert seen == [1]
