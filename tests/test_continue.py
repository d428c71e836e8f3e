"""Continuing a saved run: the engine going on from a TrainState exactly as if it had never stopped,
the optimiser's state saved beside the weights (optimizer.pt), checked on load and carried in a run
file, and a run that names its parent.

    .venv/bin/python -m pytest tests/test_continue.py -q
"""
from __future__ import annotations

from dataclasses import replace

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
