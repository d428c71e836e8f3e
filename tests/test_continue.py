"""Continuing a saved run: the engine going on from a TrainState exactly as if it had never stopped,
the optimiser's state saved beside the weights (optimizer.pt), checked on load and carried in a run
file, and a run that names its parent.

    .venv/bin/python -m pytest tests/test_continue.py -q
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from cnnlib.config import TrainConfig
from cnnlib.train import EpochEnd, Finished, Stopped, TrainState, fit, make_model


class StopAt:
    """A control that stops the run before its n-th step (1-based, over all epochs)."""

    def __init__(self, n: int):
        self.calls, self.n = 0, n

    def wait_if_paused(self) -> None:
        pass

    def should_stop(self) -> bool:
        self.calls += 1
        return self.calls == self.n

    def take_changes(self) -> dict:
        return {}


# 64 training images in batches of 16: 4 steps an epoch. Dropout, augmentation, a schedule and an
# optimiser with state: everything whose randomness or memory a continued run must get right.
RECIPES = {
    "sgd": TrainConfig(epochs=10, batch_size=16, report_every=4, device="cpu", precision="fp32", lr=0.05,
                       momentum=0.9, nesterov=True, schedule="cosine", augment="flip+crop", conv_dropout=0.2,
                       fc_dropout=0.3, seed=3),
    "adamw+lookahead": TrainConfig(epochs=10, batch_size=16, report_every=4, device="cpu", precision="fp32",
                                   optimizer="adamw", lr=0.003, momentum=0.9, schedule="onecycle", lookahead=3,
                                   augment="flip", alternate_flips=True, fc_dropout=0.5, seed=5),
}


@pytest.mark.slow
@pytest.mark.parametrize("recipe", list(RECIPES))
def test_a_run_stopped_after_epoch_5_of_10_continues_to_the_same_accuracies(tiny, recipe):
    cfg = RECIPES[recipe]
    whole = make_model(cfg, tiny)
    straight = [e for e in fit(whole, tiny, cfg) if isinstance(e, EpochEnd)]

    first = make_model(cfg, tiny)
    state = TrainState()
    events = list(fit(first, tiny, cfg, StopAt(5 * 4 + 1), start=state))
    assert isinstance(events[-1], Stopped) and state.epoch == 5 and state.step == 20
    saved = TrainState.from_dict(state.to_dict())           # as optimizer.pt keeps it
    weights = {k: v.clone() for k, v in first.state_dict().items()}

    torch.manual_seed(1234)                                 # whatever the global RNG did meanwhile
    again = make_model(replace(cfg, seed=99), tiny)         # a network built afresh, then given the weights
    again.load_state_dict(weights)
    rest = list(fit(again, tiny, cfg, start=saved))
    ends = [e for e in rest if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [5, 6, 7, 8, 9]
    assert [(e.train_loss, e.train_acc, e.test_loss, e.test_acc) for e in ends] == \
           [(e.train_loss, e.train_acc, e.test_loss, e.test_acc) for e in straight[5:]]
    for k, v in whole.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    fin = rest[-1]
    assert isinstance(fin, Finished) and fin.epochs == 10
    assert fin.best_acc == max(e.test_acc for e in straight)
    assert saved.epoch == 10 and saved.step == 40 and saved.elapsed > 0


def test_continuing_without_the_optimiser_state_starts_it_afresh_at_the_schedules_place(tiny):
    cfg = RECIPES["sgd"]
    model = make_model(cfg, tiny)
    events = list(fit(model, tiny, cfg, start=TrainState(epoch=8)))
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [8, 9]
    assert events[0].lr < cfg.lr * 0.1                      # the cosine's tail, not its start


# --- optimizer.pt: saved beside the weights, checked on load, carried in a run file ----------------

def _saved_run(tmp_path, tiny, epochs: int = 2, stop_at: int = 0):
    """A run trained on `tiny` through the session (its runner, saved as the app saves runs)."""
    from cnnlib.session import SessionRun
    cfg = TrainConfig(epochs=epochs, batch_size=16, report_every=4, device="cpu", precision="fp32",
                      optimizer="adam", lr=0.003, momentum=0.9, conv_dropout=0.1, seed=2)
    lab = SessionRun()
    runner = lab.start(cfg, tiny, folder=tmp_path, name="parent")
    runner._thread.join(60)
    h = lab.snapshot()
    assert h.checkpoint and h.resume is None, h.save_error      # saved, and not kept in memory too
    return Path(h.checkpoint), h


def test_a_saved_run_has_its_optimiser_state_beside_its_weights(tmp_path, tiny):
    from cnnlib import runfile
    from cnnlib.checkpoints import OPTIMIZER, load_train_state
    folder, h = _saved_run(tmp_path, tiny)
    assert (folder / OPTIMIZER).is_file()
    meta = runfile.read(folder / "run.json", folder.name)
    state = load_train_state(folder, meta)
    assert state.epoch == 2 and state.step == 8 and state.optimizer["state"] and state.best == h.best_acc()
    assert meta["parent"] == ""                                       # a run of its own


def test_a_run_file_carries_the_optimiser_state_and_an_upload_keeps_it(tmp_path, tiny):
    from cnnlib.checkpoints import OPTIMIZER, bundle, load_bundle, save_bundle_to
    folder, _ = _saved_run(tmp_path / "a", tiny)
    data = bundle(folder)
    assert load_bundle(data).optimizer == (folder / OPTIMIZER).read_bytes()
    again = save_bundle_to(tmp_path / "b", data, "up.zip")
    assert (again / OPTIMIZER).read_bytes() == (folder / OPTIMIZER).read_bytes()


def test_a_bad_or_oversized_optimiser_file_is_refused_with_a_message(tmp_path, tiny, monkeypatch):

    from cnnlib import checkpoints, runfile
    from cnnlib.runfile import CheckpointError
    folder, _ = _saved_run(tmp_path, tiny)
    meta = runfile.read(folder / "run.json", folder.name)
    for junk in (b"not a zip", _torch_bytes({"epoch": 7, "step": 1}), _torch_bytes({"epoch": 2, "step": -1}),
                 _torch_bytes([1, 2])):
        (folder / checkpoints.OPTIMIZER).write_bytes(junk)
        with pytest.raises(CheckpointError, match=folder.name):
            checkpoints.load_train_state(folder, meta)
    monkeypatch.setattr(checkpoints, "train_state_limit", lambda meta: 10)
    with pytest.raises(CheckpointError, match="MB"):
        checkpoints.load_train_state(folder, meta)


def _torch_bytes(obj) -> bytes:
    import io
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_optimiser_state_of_another_network_is_refused_before_it_changes_anything(tiny):
    cfg = RECIPES["sgd"]
    model = make_model(cfg, tiny)
    from cnnlib.train import make_optimizer
    opt = make_optimizer(cfg, model)
    with pytest.raises(ValueError):
        opt.load_state_dict({"state": {0: {"momentum_buffer": torch.zeros(3)}}, "param_groups": []})
    with pytest.raises(ValueError):
        opt.load_state_dict({"state": {10_000: {}}, "param_groups": []})
    assert not opt.state


# --- a run that continues a saved one -----------------------------------------------------------

@pytest.mark.slow
def test_a_continued_run_names_its_parent_and_its_epochs_go_on(tmp_path, tiny):
    from cnnlib import runfile
    from cnnlib.runs import continuation, list_runs
    from cnnlib.session import SessionRun
    folder, parent = _saved_run(tmp_path, tiny)
    meta = runfile.read(folder / "run.json", folder.name)
    cfg = continuation(folder, meta, 3, tiny)
    assert cfg.epochs == 5 and cfg.lr == parent.config.lr
    lab = SessionRun()
    lab.start(cfg, tiny, folder=tmp_path, name="child", parent=folder)
    lab.runner._thread.join(60)
    h = lab.snapshot()
    assert h.state == "finished" and h.checkpoint, (h.message, h.save_error)
    assert [e.epoch for e in h.epochs] == [0, 1, 2, 3, 4]
    assert h.epochs[:2] == parent.epochs                     # the chart continues the parent's curve
    assert h.steps[0].epoch == 2 and h.steps[0].elapsed > parent.seconds
    child = dict(list_runs(tmp_path))[Path(h.checkpoint)]
    assert child["parent"] == folder.name and [e["epoch"] for e in child["epochs"]] == [0, 1, 2, 3, 4]


def test_a_continued_run_goes_on_with_the_learning_rate_and_momentum_of_its_last_live_change(tmp_path, tiny):
    from cnnlib import runfile
    from cnnlib.runs import continuation
    folder, _ = _saved_run(tmp_path, tiny)
    meta = runfile.read(folder / "run.json", folder.name)
    meta["changes"] = [{"epoch": 0, "step": 2, "lr": 0.01, "momentum": 0.5},
                       {"epoch": 1, "step": 1, "lr": 0.002, "momentum": 0.8}]
    cfg = continuation(folder, meta, 1, tiny)
    assert (cfg.lr, cfg.momentum, cfg.epochs) == (0.002, 0.8, 3)
    meta["changes"][-1]["momentum"] = 1.0                        # a file may say what a config may not hold
    with pytest.raises(ValueError, match="momentum"):
        continuation(folder, meta, 1, tiny)


def test_a_run_is_continued_only_on_its_own_data_and_not_after_diverging(tmp_path, tiny):
    from smalldata import tiny_dataset

    from cnnlib import runfile
    from cnnlib.runs import continuation
    folder, _ = _saved_run(tmp_path, tiny)
    meta = runfile.read(folder / "run.json", folder.name)
    other = tiny_dataset()
    other.name = "other"
    with pytest.raises(ValueError, match="other"):
        continuation(folder, meta, 1, other)
    with pytest.raises(ValueError):
        continuation(folder, dict(meta, state="diverged"), 1, tiny)
    with pytest.raises(ValueError):
        continuation(folder, meta, 5000, tiny)                 # more epochs than a run may have
    for none in (0, -3):
        with pytest.raises(ValueError, match=f"at least 1 more epoch, not {none}"):
            continuation(folder, meta, none, tiny)


def test_a_continuation_stopped_before_its_first_step_saves_nothing(tmp_path, tiny):
    from cnnlib import runfile
    from cnnlib.runs import continuation, list_runs
    from cnnlib.session import SessionRun
    folder, _ = _saved_run(tmp_path, tiny)
    cfg = continuation(folder, runfile.read(folder / "run.json", folder.name), 2, tiny)
    lab = SessionRun()
    lab.start(cfg, tiny, folder=tmp_path, parent=folder)
    assert lab.stop(60)
    h = lab.snapshot()
    assert h.state == "stopped" and not h.checkpoint and [f for f, _ in list_runs(tmp_path)] == [folder]


def test_a_continuation_of_a_run_whose_optimiser_file_is_damaged_fails_with_the_reason(tmp_path, tiny):
    from cnnlib import runfile
    from cnnlib.checkpoints import OPTIMIZER
    from cnnlib.runs import continuation
    from cnnlib.session import SessionRun
    from cnnlib.words import tr
    folder, _ = _saved_run(tmp_path, tiny)
    cfg = continuation(folder, runfile.read(folder / "run.json", folder.name), 2, tiny)
    (folder / OPTIMIZER).write_bytes(b"junk")
    lab = SessionRun()
    lab.start(cfg, tiny, folder=tmp_path, parent=folder)
    lab.runner._thread.join(60)
    h = lab.snapshot()
    assert h.state == "failed" and "not the optimiser state" in tr(h.message, "en") \
        and "no es el estado del optimizador" in tr(h.message, "es")


def test_run_json_keeps_a_parent_as_text_and_older_files_without_one_still_load(tmp_path, tiny):
    import json

    from cnnlib import runfile
    from cnnlib.runfile import CheckpointError
    folder, _ = _saved_run(tmp_path, tiny)
    meta = json.loads((folder / "run.json").read_text())
    assert "parent" not in meta and runfile.validate(meta, "old")["parent"] == ""
    assert runfile.validate(dict(meta, parent="20261130-x"), "new")["parent"] == "20261130-x"
    with pytest.raises(CheckpointError, match="parent"):
        runfile.validate(dict(meta, parent=["not", "text"]), "bad")
