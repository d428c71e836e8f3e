"""The training engine (cnnlib.train.fit): its events in order, divergence, live changes, stopping,
repeatability, the schedules and evaluate().

    .venv/bin/python -m pytest tests/test_train.py -q
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from cnnlib.config import TrainConfig
from cnnlib.data import Dataset, to_float, tta_views
from cnnlib.train import (
    Changed,
    Diverged,
    EpochEnd,
    Finished,
    Step,
    Stopped,
    evaluate,
    fit,
    lr_factor,
    make_model,
    per_class_accuracy,
)

# 64 training images in batches of 16: 4 steps an epoch; a Step event every 2 steps.
CFG = TrainConfig(epochs=2, batch_size=16, report_every=2)


def kinds(events) -> list[str]:
    return [type(e).__name__ for e in events]


def run(cfg: TrainConfig, data: Dataset, control=None, model: nn.Module | None = None, **kw) -> list:
    return list(fit(model if model is not None else make_model(cfg, data), data, cfg, control, **kw))


class Scripted:
    """A control that stops, or hands over changes, on the n-th step (1-based, over all epochs)."""

    def __init__(self, stop_at: int = 0, changes_at: int = 0, changes: dict | None = None):
        self.calls = self.paused_checks = 0
        self.stop_at, self.changes_at, self.changes = stop_at, changes_at, changes or {}

    def wait_if_paused(self) -> None:
        self.paused_checks += 1

    def should_stop(self) -> bool:
        self.calls += 1
        return self.calls == self.stop_at

    def take_changes(self) -> dict:
        return dict(self.changes) if self.calls == self.changes_at else {}


def test_events_come_in_order_steps_then_epoch_end_then_finished(tiny):
    events = run(CFG, tiny)
    assert kinds(events) == ["Step", "Step", "EpochEnd", "Step", "Step", "EpochEnd", "Finished"]
    steps = [e for e in events if isinstance(e, Step)]
    assert [(s.epoch, s.step, s.steps) for s in steps] == [(0, 2, 4), (0, 4, 4), (1, 2, 4), (1, 4, 4)]
    assert all(math.isfinite(s.loss) and 0 <= s.train_acc <= 1 and s.images_per_s > 0 for s in steps)
    assert all(s.lr == pytest.approx(CFG.lr) for s in steps)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [0, 1]
    assert all(0 <= e.test_acc <= 1 and math.isfinite(e.test_loss) and e.seconds > 0 for e in ends)
    assert ends[1].elapsed == pytest.approx(ends[0].seconds + ends[1].seconds)
    fin = events[-1]
    assert fin.epochs == 2 and fin.final_acc == ends[-1].test_acc
    assert fin.best_acc == max(e.test_acc for e in ends)


def test_a_last_partial_batch_still_counts_as_a_step(tiny):
    data = tiny.subset(max_train=40)
    events = run(CFG.replace(epochs=1), data)  # 16 + 16 + 8
    assert [(e.step, e.steps) for e in events if isinstance(e, Step)] == [(2, 3), (3, 3)]


def test_max_steps_runs_one_batch_of_each_phase(tiny):
    events = run(CFG.replace(epochs=1, report_every=1), tiny, max_steps=1)
    assert kinds(events) == ["Step", "EpochEnd", "Finished"]


def test_an_absurd_learning_rate_ends_the_run_with_diverged(tiny):
    cfg = CFG.replace(lr=10.0, epochs=5, report_every=1)
    events = run(cfg, tiny)
    assert isinstance(events[-1], Diverged), kinds(events)
    assert "learning rate" in events[-1].message and "Lower it" in events[-1].message
    assert not math.isfinite(events[-1].loss) or events[-1].loss > 1e4
    assert not any(isinstance(e, Finished) for e in events)
    diverged = events[-1]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == list(range(diverged.epoch))         # every epoch before, none after
    assert kinds(events).index("Diverged") == len(events) - 1 and diverged.epoch < 5
    for e in ends:
        assert all(math.isfinite(v) for v in (e.train_loss, e.train_acc, e.test_loss, e.test_acc)), e


class _NanGrad(torch.autograd.Function):
    """Identity forward; a NaN gradient backward: the loss looks fine, the update ruins the weights."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


class Poisoned(nn.Module):
    """Wraps a model; on its n-th training forward pass, the logits are NaN or their gradient is."""

    def __init__(self, inner: nn.Module, at: int, how: str):
        super().__init__()
        self.inner, self.at, self.how, self.calls = inner, at, how, 0

    def forward(self, x):
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                out = out * float("nan") if self.how == "loss" else _NanGrad.apply(out)
        return out


@pytest.mark.parametrize("at, how, steps, ends, where", [
    (3, "loss", 2, 0, (0, 3)),        # a NaN loss at step 3: the run ends there
    (4, "loss", 3, 0, (0, 4)),
    (4, "grad", 4, 0, (0, 4)),        # a NaN update at the epoch's last step: its test says so, no epoch end
    (6, "grad", 6, 1, (1, 3)),        # in the second epoch: the first epoch's end is kept, the next loss is NaN
])
def test_nan_ends_the_run_with_diverged_and_never_a_nan_epoch(tiny, at, how, steps, ends, where):
    cfg = CFG.replace(epochs=3, report_every=1)                  # 4 steps an epoch, each reported
    model = Poisoned(make_model(cfg, tiny), at, how)
    events = run(cfg, tiny, model=model)
    assert isinstance(events[-1], Diverged), kinds(events)
    assert events[-1].message and (events[-1].epoch, events[-1].step) == where
    step_events = [e for e in events if isinstance(e, Step)]
    end_events = [e for e in events if isinstance(e, EpochEnd)]
    assert len(step_events) == steps and [e.epoch for e in end_events] == list(range(ends)), kinds(events)
    for e in end_events:
        assert all(math.isfinite(v) for v in (e.train_loss, e.train_acc, e.test_loss, e.test_acc)), e
    for e in step_events:
        assert math.isfinite(e.loss), e


def test_changes_from_the_control_take_effect_and_are_reported(tiny):
    control = Scripted(changes_at=3, changes={"lr": 0.05, "momentum": 0.5})
    events = run(CFG.replace(report_every=1), tiny, control)
    i = kinds(events).index("Changed")
    assert events[i] == Changed(epoch=0, step=3, lr=0.05, momentum=0.5)
    before = [e.lr for e in events[:i] if isinstance(e, Step)]
    after = [e.lr for e in events[i:] if isinstance(e, Step)]
    assert before == [pytest.approx(0.001)] * 2
    assert after and all(lr == pytest.approx(0.05) for lr in after)
    assert isinstance(events[-1], Finished)


def test_only_lr_changed_keeps_the_momentum(tiny):
    events = run(CFG, tiny, Scripted(changes_at=2, changes={"lr": 0.01}))
    assert [e for e in events if isinstance(e, Changed)] == [Changed(0, 2, 0.01, CFG.momentum)]


def test_the_control_can_stop_the_run_between_steps(tiny):
    control = Scripted(stop_at=6)
    events = run(CFG.replace(report_every=1), tiny, control)
    assert events[-1] == Stopped(epoch=1, step=2)
    assert kinds(events).count("EpochEnd") == 1
    assert control.paused_checks == 6  # asked before every step


def test_a_stop_reports_the_steps_since_the_last_progress_event(tiny):
    events = run(CFG.replace(report_every=100), tiny, Scripted(stop_at=7))   # 4 steps an epoch; stop before 7
    assert kinds(events) == ["Step", "EpochEnd", "Step", "Stopped"]
    last = events[-2]
    assert (last.epoch, last.step, last.steps) == (1, 2, 4) and events[-1] == Stopped(epoch=1, step=3)
    assert math.isfinite(last.loss) and 0 <= last.train_acc <= 1 and last.images_per_s > 0
    assert last.elapsed >= events[1].elapsed
    every = run(CFG.replace(report_every=1), tiny, Scripted(stop_at=7))   # each step reported: none twice
    assert [(e.epoch, e.step) for e in every if isinstance(e, Step)][-3:] == [(0, 4), (1, 1), (1, 2)]
    assert kinds(run(CFG, tiny, Scripted(stop_at=5)))[-3:] == ["Step", "EpochEnd", "Stopped"]  # nothing new to report


def _comparable(events):
    """Events without their wall-clock fields."""
    out = []
    for e in events:
        if isinstance(e, Step):
            out.append(("Step", e.epoch, e.step, e.loss, e.train_acc, e.lr))
        elif isinstance(e, EpochEnd):
            out.append(("EpochEnd", e.epoch, e.train_loss, e.train_acc, e.test_loss, e.test_acc))
        elif isinstance(e, Finished):
            out.append(("Finished", e.final_acc, e.best_acc))
    return out


def test_same_seed_gives_the_same_losses_accuracies_and_weights(tiny):
    # dropout, shuffling, flips and crops all draw random numbers
    cfg = CFG.replace(augment="flip+crop", seed=7, optimizer="adam", lr=0.003, normalize=True)
    m1, m2 = make_model(cfg, tiny), make_model(cfg, tiny)
    torch.manual_seed(123)   # the global RNG state before a fit must not matter
    e1 = _comparable(fit(m1, tiny, cfg))
    torch.manual_seed(456)
    e2 = _comparable(fit(m2, tiny, cfg))
    assert e1 == e2
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    m3 = make_model(cfg.replace(seed=8), tiny)
    e3 = _comparable(fit(m3, tiny, cfg.replace(seed=8)))
    assert e3 != e1


@pytest.mark.parametrize("changes", [
    dict(model="fast", optimizer="sgd", nesterov=True, lr=0.05, schedule="onecycle", label_smoothing=0.2,
         augment="flip+crop", normalize=True, precision="bf16", tta="flip+shift", weight_decay=5e-4),
    dict(model="fast", optimizer="adamw", lr=0.003, schedule="cosine", augment="crop", weight_decay=0.01),
    dict(optimizer="sgd", schedule="step", augment="flip"),
])
def test_other_recipes_train_to_the_end(tiny, changes):
    events = run(CFG.replace(**changes), tiny)
    assert kinds(events) == ["Step", "Step", "EpochEnd", "Step", "Step", "EpochEnd", "Finished"]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [0, 1]
    assert all(math.isfinite(e.test_loss) and math.isfinite(e.train_loss) and 0 <= e.test_acc <= 1 for e in ends)


def test_an_invalid_config_is_refused_before_training(tiny):
    with pytest.raises(ValueError, match="lr=-1"):
        run(CFG.replace(lr=-1.0), tiny)


def test_make_model_fits_the_data_sets_classes_and_is_seeded(tiny):
    three = Dataset("3", ("a", "b", "c"), tiny.x_train, tiny.y_train % 3, tiny.x_test, tiny.y_test % 3)
    m = make_model(CFG, three)
    assert m.fc4.out_features == 3
    assert torch.equal(make_model(CFG, three).fc4.weight, m.fc4.weight)
    assert not torch.equal(make_model(CFG.replace(seed=1), three).fc4.weight, m.fc4.weight)


@pytest.mark.parametrize("schedule, points", [
    ("constant", [(0, 1.0), (50, 1.0), (99, 1.0)]),
    ("step", [(0, 1.0), (49, 1.0), (50, 0.1), (75, 0.01), (99, 0.01)]),
    ("onecycle", [(0, 0.1), (20, 1.0), (60, 0.5), (100, 0.0)]),
    ("cosine", [(0, 0.1), (20, 1.0), (60, 0.5), (100, 0.0)]),
])
def test_lr_schedules(schedule, points):
    cfg = TrainConfig(schedule=schedule, warmup=0.2)
    for step, want in points:
        assert lr_factor(cfg, step, 100) == pytest.approx(want, abs=1e-9), (schedule, step)


@pytest.mark.parametrize("schedule, points", [
    ("onecycle", [(0, 0.1), (20, 1.0), (60, 0.535), (100, 0.07)]),
    ("cosine", [(0, 0.1), (20, 1.0), (60, 0.535), (100, 0.07)]),
    ("constant", [(0, 1.0), (100, 1.0)]),                     # lr_end means nothing without a decay
])
def test_a_schedule_can_end_above_zero(schedule, points):
    cfg = TrainConfig(schedule=schedule, warmup=0.2, lr_end=0.07)
    for step, want in points:
        assert lr_factor(cfg, step, 100) == pytest.approx(want, abs=1e-9), (schedule, step)


class Lookup(nn.Module):
    """Predicts the class written in the red value of the top-left pixel."""

    def __init__(self, classes: int = 4):
        super().__init__()
        self.classes = classes
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        k = (x[:, 0, 0, 0] * 255).round().long() % self.classes
        return nn.functional.one_hot(k, self.classes).float() * 5 + self.dummy


def test_evaluate_counts_correct_predictions_in_any_batch_size():
    x = torch.zeros(10, 3, 8, 8, dtype=torch.uint8)
    x[:, 0, 0, 0] = torch.arange(10, dtype=torch.uint8)
    y = torch.arange(10) % 4
    y[:3] = (y[:3] + 1) % 4             # three wrong labels
    model = Lookup().train()
    for bs in (3, 1000, 0):                # 0: the device's own (train.EVAL_BATCH_CPU)
        ev = evaluate(model, x, y, batch_size=bs)
        assert ev.accuracy == pytest.approx(0.7)
        assert torch.equal(ev.predictions, torch.arange(10) % 4)
        p = torch.tensor(5.0).exp() / (torch.tensor(5.0).exp() + 3)
        assert torch.allclose(ev.confidence, p.expand(10))
        assert ev.loss > 0
    assert model.training, "evaluate() must restore training mode"


class LeftRight(nn.Module):
    """Logits (left half's mean, right half's mean) of the red channel: a model that sees mirrors."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        w = x.shape[3] // 2
        return torch.stack([x[:, 0, :, :w].mean((1, 2)), x[:, 0, :, w:].mean((1, 2))], 1) * 10 + self.dummy


def test_evaluate_averages_the_logits_over_the_test_time_views():
    x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    x[0, 0, :, :4] = 255                  # bright on the left: class 0
    x[1, 0, :, 6:] = 255                  # bright on the right edge: class 1
    y = torch.tensor([0, 1])
    model = LeftRight()
    assert evaluate(model, x, y).accuracy == 1.0
    flip = evaluate(model, x, y, tta="flip")
    assert flip.confidence.tolist() == pytest.approx([0.5, 0.5])     # each view's opposite cancels out
    views = tta_views(to_float(x), "flip+shift")
    logits = sum(model(v) for v in views) / len(views)
    want = nn.functional.cross_entropy(logits, y).item()
    assert evaluate(model, x, y, tta="flip+shift").loss == pytest.approx(want, rel=1e-5)


def test_evaluate_on_an_empty_test_set():
    ev = evaluate(Lookup(), torch.zeros(0, 3, 8, 8, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64))
    assert (ev.accuracy, ev.loss, len(ev.predictions)) == (0.0, 0.0, 0)


def test_eval_every_adds_tested_events_inside_each_epoch(tiny):
    from cnnlib.train import Tested
    events = run(CFG.replace(eval_every=2), tiny)
    assert kinds(events) == ["Step", "Tested", "Step", "EpochEnd", "Step", "Tested", "Step", "EpochEnd", "Finished"]
    tested = [e for e in events if isinstance(e, Tested)]
    assert [(t.epoch, t.step) for t in tested] == [(0, 2), (1, 2)]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert 0 < tested[0].elapsed < ends[0].elapsed < tested[1].elapsed < ends[1].elapsed
    assert all(0 <= t.test_acc <= 1 and math.isfinite(t.test_loss) for t in tested)


def test_paused_time_is_not_counted_as_training_time(tiny):
    import time

    class SlowPause(Scripted):
        def wait_if_paused(self) -> None:
            if self.calls == 1:
                time.sleep(0.5)    # a user who pauses for half a second after the first step

    events = run(CFG.replace(epochs=1), tiny, SlowPause())
    plain = run(CFG.replace(epochs=1), tiny)
    # the same steps with and without the pause, side by side: on a busy machine a step itself can take
    # a tenth of a second, so the check is against the run without a pause, not a fixed speed
    end, plain_end = (next(e for e in ev if isinstance(e, EpochEnd)) for ev in (events, plain))
    assert end.seconds < plain_end.seconds + 0.4                 # counted, the pause would add 0.5 s
    first, plain_first = (next(e for e in ev if isinstance(e, Step)) for ev in (events, plain))
    assert first.step == plain_first.step == 2                   # steps 1-2, the pause between them
    assert first.elapsed < plain_first.elapsed + 0.4


def test_finished_carries_the_accuracy_of_each_class_after_the_last_epoch(tiny):
    events = run(CFG, tiny)
    fin, last = events[-1], [e for e in events if isinstance(e, EpochEnd)][-1]
    assert len(fin.per_class_acc) == len(tiny.classes) and all(0 <= a <= 1 for a in fin.per_class_acc)
    counts = torch.bincount(tiny.y_test, minlength=len(tiny.classes))
    weighted = sum(a * n for a, n in zip(fin.per_class_acc, counts.tolist()))
    assert weighted / len(tiny.y_test) == pytest.approx(last.test_acc)


def test_auto_precision_is_bf16_only_where_bf16_is_fast(monkeypatch):
    from cnnlib import cpu as cpus
    from cnnlib.train import resolve_precision
    cpu = torch.device("cpu")
    for amx, vendor, flags, expected in [(True, "GenuineIntel", {"amx_tile"}, "bf16"),
                                         (False, "GenuineIntel", {"avx512_bf16"}, "fp32"),   # slower than fp32
                                         (False, "AuthenticAMD", {"avx512_bf16"}, "bf16"),
                                         (False, "AuthenticAMD", {"avx2"}, "fp32"), (False, "", set(), "fp32")]:
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx, raising=False)
        monkeypatch.setattr(cpus, "_cpuinfo", lambda v=vendor, f=frozenset(flags): cpus.CpuInfo(v, f, 25))
        assert resolve_precision("auto", cpu) == expected, (amx, vendor, flags)
    assert resolve_precision("bf16", cpu) == "bf16"            # an explicit choice is kept
    assert resolve_precision("fp32", cpu) == "fp32"


@pytest.mark.parametrize("batch", [32, 100])   # 32 takes TutorialCNN's fast paths, 100 the plain ones
def test_the_tutorial_cnn_learns_the_same_in_either_memory_layout(batch):
    """The engine runs channels-last, through cnnlib's own flatten and linear layers: the loss and
    every gradient match the plain layout's. (Dropout is off: its masks are drawn in each layout's
    own memory order, so they differ; test_models checks them.)"""
    from cnnlib.models import TutorialCNN
    x, y = torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    results = []
    for layout in (torch.contiguous_format, torch.channels_last):
        torch.manual_seed(0)
        model = TutorialCNN(conv_dropout=0, fc_dropout=0).to(memory_format=layout)
        loss = nn.functional.cross_entropy(model(x.contiguous(memory_format=layout)), y)
        loss.backward()
        results.append([loss.detach()] + [p.grad for p in model.parameters()])
    for plain, nhwc in zip(*results):
        torch.testing.assert_close(nhwc, plain, rtol=1e-4, atol=1e-6)


def test_per_class_accuracy_counts_each_true_class_and_marks_an_empty_one():
    y = torch.tensor([0, 0, 1, 1, 1])
    pred = torch.tensor([0, 1, 1, 1, 0])
    assert per_class_accuracy(pred, y, 3) == pytest.approx((0.5, 2 / 3, 0.0))
    acc = per_class_accuracy(pred, y, 3, empty=math.nan)
    assert acc[:2] == pytest.approx((0.5, 2 / 3)) and math.isnan(acc[2])


def test_a_whitening_first_layer_is_set_from_the_training_images_and_then_only_its_bias_trains(tiny):
    from cnnlib.models import Whiten
    cfg = CFG.replace(model="speedrun", normalize=True, epochs=1)
    model = make_model(cfg, tiny)
    whiten = next(m for m in model.modules() if isinstance(m, Whiten))
    bias = whiten.conv.bias.detach().clone()
    events = run(cfg, tiny, model=model)
    assert kinds(events)[-1] == "Finished" and whiten.fitted
    reference = Whiten()
    reference.fit(to_float(tiny.x_train, *tiny.mean_std()))     # the same images, normalised as training sees them
    assert torch.equal(whiten.conv.weight, reference.conv.weight)      # set once, never trained
    assert not torch.equal(whiten.conv.bias, bias)                     # the bias trains


@pytest.mark.slow
def test_setting_a_whitening_layer_counts_as_the_first_epochs_training_time(tiny, monkeypatch):
    import time

    from cnnlib import models
    fit = models.Whiten.fit
    monkeypatch.setattr(models.Whiten, "fit", lambda self, x: (time.sleep(0.3), fit(self, x)))
    events = run(CFG.replace(model="speedrun", epochs=2), tiny)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert ends[0].seconds >= 0.3 and all(s.elapsed >= 0.3 for s in events if isinstance(s, Step))
    assert ends[1].elapsed == pytest.approx(ends[0].seconds + ends[1].seconds)


def test_training_crops_move_the_images_as_far_as_the_config_says(tiny, monkeypatch):
    from cnnlib import train
    seen = []
    real = train.augment
    monkeypatch.setattr(train, "augment", lambda x, mode, gen, crop, flips: seen.append((mode, crop, flips))
                        or real(x, mode, gen, crop, flips))
    run(CFG.replace(augment="flip+crop", crop=2, epochs=1), tiny)
    assert seen and set(seen) == {("flip+crop", 2, None)}               # flips drawn at random


def test_alternating_flips_mirror_each_image_in_every_other_epoch(tiny, monkeypatch):
    from cnnlib import train
    flipped = {}                                   # (epoch, image index) -> mirrored?
    real = train.augment

    def spy(x, mode, gen, crop, flips):
        assert flips is not None and flips.dtype == torch.bool and len(flips) == len(x)
        return real(x, mode, gen, crop, flips)
    real_flips = train.alternating_flips

    def recording(n, gen, device):
        f = real_flips(n, gen, device)

        def flips(e, idx):
            out = f(e, idx)
            flipped.update({(e, int(i)): bool(v) for i, v in zip(idx, out)})
            return out
        return flips
    monkeypatch.setattr(train, "augment", spy)
    monkeypatch.setattr(train, "alternating_flips", recording)
    run(CFG.replace(augment="flip", alternate_flips=True, epochs=3), tiny)
    n = len(tiny.y_train)
    assert len(flipped) == 3 * n
    assert all(flipped[0, i] != flipped[1, i] and flipped[0, i] == flipped[2, i] for i in range(n))
    assert 0 < sum(flipped[0, i] for i in range(n)) < n


def test_alternating_flips_are_ignored_when_the_augmentation_does_not_flip(tiny, monkeypatch):
    from cnnlib import train
    monkeypatch.setattr(train, "alternating_flips", lambda *a: 1 / 0)
    assert kinds(run(CFG.replace(augment="crop", alternate_flips=True, epochs=1), tiny))[-1] == "Finished"


def test_batch_norm_shifts_can_learn_faster_with_the_same_decay_per_step():
    from cnnlib.models import build_model
    from cnnlib.train import param_groups
    model = build_model("fast")
    shifts = {id(m.bias) for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    (one,) = param_groups(TrainConfig(weight_decay=5e-4), model)
    assert one["lr_scale"] == 1 and len(one["params"]) == len(list(model.parameters()))
    plain, fast = param_groups(TrainConfig(weight_decay=5e-4, bias_lr=64), model)
    assert {id(p) for p in fast["params"]} == shifts and not shifts & {id(p) for p in plain["params"]}
    assert len(plain["params"]) + len(fast["params"]) == len(list(model.parameters()))
    assert fast["lr_scale"] == 64 and plain["lr_scale"] == 1
    assert fast["lr_scale"] * fast["weight_decay"] == pytest.approx(plain["weight_decay"])   # decay per step


def test_in_training_batch_norm_shifts_move_bias_lr_times_as_far(tiny):
    cfg = CFG.replace(model="fast", epochs=1, momentum=0.0, lr=0.01)
    moved = {}
    for k in (1.0, 8.0):
        model = make_model(cfg, tiny)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        run(cfg.replace(bias_lr=k), tiny, model=model, max_steps=1)
        moved[k] = {n: p.detach() - before[n] for n, p in model.named_parameters()}
    shifts = {f"{n}.bias" for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)}
    assert shifts and all(moved[1.0][n].abs().sum() > 0 for n in shifts)
    for name, step in moved[1.0].items():
        torch.testing.assert_close(moved[8.0][name], step * (8.0 if name in shifts else 1.0))


def test_lookahead_pulls_the_weights_to_an_average_that_weighs_more_as_training_ends():
    from cnnlib.train import Lookahead
    model = nn.BatchNorm1d(2)          # weights, running statistics, and an integer counter left alone
    la = Lookahead(model, every=2, total=4)
    count = model.num_batches_tracked.clone()
    with torch.no_grad():
        model.weight.add_(1.0)
        model.running_mean.add_(2.0)
    la.pull(2)                                                  # half way: the average weighs 0.95**2 / 8
    rho = 0.95 ** 2 * 0.5 ** 3
    torch.testing.assert_close(model.weight.detach(), torch.full((2,), 1 + (1 - rho)))
    torch.testing.assert_close(model.running_mean, torch.full((2,), 2 * (1 - rho)))
    avg = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    la.pull(4)                                                  # the end: 0.95**2
    torch.testing.assert_close(model.weight.detach(), avg + (1 - 0.95 ** 2))
    assert torch.equal(model.num_batches_tracked, count)


def test_lookahead_pulls_every_n_steps_and_at_each_epoch_end(tiny, monkeypatch):
    from cnnlib import train
    pulls = []
    real = train.Lookahead.pull
    monkeypatch.setattr(train.Lookahead, "pull", lambda self, done: pulls.append(done) or real(self, done))
    events = run(CFG.replace(lookahead=3, epochs=2), tiny)      # 4 steps an epoch
    assert pulls == [3, 4, 6, 8] and kinds(events)[-1] == "Finished"
    pulls.clear()
    run(CFG.replace(epochs=2), tiny)
    assert pulls == []


def test_a_whitening_layer_is_set_from_images_spread_over_the_whole_training_set(tiny, monkeypatch):
    """An image folder is read class by class: the first images alone could all be of one class."""
    from cnnlib import train
    from cnnlib.models import Whiten
    monkeypatch.setattr(train, "FIT_SAMPLE", 8)
    cfg = CFG.replace(model="speedrun", normalize=True, epochs=1)
    model = make_model(cfg, tiny)
    run(cfg, tiny, model=model)
    reference = Whiten()
    reference.fit(to_float(tiny.x_train[::8], *tiny.mean_std()))      # 64 images: every eighth
    assert torch.equal(next(m for m in model.modules() if isinstance(m, Whiten)).conv.weight, reference.conv.weight)


def test_the_tally_reports_the_batches_since_the_last_event_and_the_epoch_so_far():
    from cnnlib.train import _Tally
    tally = _Tally(torch.device("cpu"), clock=10.0)
    y = torch.tensor([0, 1, 1, 0])
    right = nn.functional.one_hot(y, 2).float()                 # four right answers
    tally.add(torch.tensor(2.0), right, y)
    tally.add(torch.tensor(1.0), 1 - right, y)                  # four wrong ones
    s = tally.step(0, 2, 5, 0.1, before=3.0, clock=12.0)
    assert (s.loss, s.train_acc, s.images_per_s, s.lr, s.elapsed) == (1.5, 0.5, 4.0, 0.1, 15.0)
    tally.restart(20.0)
    tally.add(torch.tensor(4.0), right[:2], y[:2])              # a last, smaller batch
    s = tally.step(0, 3, 5, 0.1, before=3.0, clock=21.0)
    assert (s.loss, s.train_acc, s.images_per_s) == (4.0, 6 / 10, 2.0)
    assert tally.loss_sum.item() == 2 * 4 + 1 * 4 + 4 * 2 and tally.seen == 10


@pytest.mark.parametrize("precision, scaled", [("fp16", True), ("bf16", False), ("fp32", False)])
def test_fp16_training_scales_the_loss_and_the_others_do_not(tiny, monkeypatch, precision, scaled):
    """fp16 (a GPU without bf16) needs loss scaling or its small gradients vanish; here on the CPU,
    whose autocast has fp16 too, through the same code a GPU runs."""
    from cnnlib import train
    made = []

    class Scaler(torch.amp.GradScaler):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

    monkeypatch.setattr(train, "resolve_precision", lambda p, d: precision)
    monkeypatch.setattr(torch.amp, "GradScaler", Scaler)
    small = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, len(tiny.classes)))
    events = run(CFG.replace(epochs=1, precision="auto"), tiny, model=small)   # fp16 is slow on a CPU: a tiny net
    assert isinstance(events[-1], Finished) and math.isfinite(events[-2].train_loss)
    assert len(made) == 1 and made[0].is_enabled() is scaled
    if scaled:
        assert made[0].get_scale() > 1      # the loss was multiplied up before backward


def test_the_train_clock_leaves_out_the_time_spent_paused(monkeypatch):
    from cnnlib import train
    now = [100.0]
    monkeypatch.setattr(train.time, "perf_counter", lambda: now[0])
    clock = train.TrainClock(start=2.0)        # set-up's 2 s count as this epoch's training
    now[0] += 3.0
    assert clock() == 5.0
    with clock.paused() as reading:            # a pause, a test of the test set
        now[0] += 60.0
    assert reading == 5.0 and clock() == 5.0
    now[0] += 1.0
    assert clock() == 6.0


def test_a_train_step_is_one_plain_sgd_step_at_each_groups_share_of_the_rate():
    from cnnlib.train import train_step
    torch.manual_seed(0)
    model, x, y = nn.Linear(4, 3), torch.rand(8, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    twin = nn.Linear(4, 3)
    twin.load_state_dict(model.state_dict())
    opt = torch.optim.SGD([dict(params=[model.weight], lr_scale=1.0), dict(params=[model.bias], lr_scale=4.0)], lr=1)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    loss, logits = train_step(model, opt, scaler, nn.CrossEntropyLoss(), x, y, 0.1, "fp32")
    expected_logits = twin(x)
    expected = nn.functional.cross_entropy(expected_logits, y)
    expected.backward()
    assert torch.equal(loss, expected.detach()) and torch.equal(logits, expected_logits.detach())
    assert not loss.requires_grad and not logits.requires_grad
    with torch.no_grad():
        assert torch.equal(model.weight, twin.weight - 0.1 * twin.weight.grad)
        assert torch.equal(model.bias, twin.bias - 0.4 * twin.bias.grad)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.4]


def test_a_test_sample_tests_one_view_of_the_same_images_until_the_last_test(tiny, monkeypatch):
    from cnnlib import train
    seen, real = [], train.evaluate

    def recorded(model, x, y, mean=None, std=None, batch_size=0, tta="none", precision="fp32"):
        seen.append((y.tolist(), tta))
        return real(model, x, y, mean, std, batch_size, tta, precision)
    monkeypatch.setattr(train, "evaluate", recorded)
    events = run(CFG.replace(epochs=3, eval_every=2, test_sample=5, tta="flip"), tiny)   # 4 steps an epoch
    tests = [e for e in events if type(e).__name__ in ("Tested", "EpochEnd")]
    assert len(seen) == len(tests) == 3 * 2                  # a test within each epoch, one at each epoch end
    sampled, last = seen[:-1], seen[-1]
    assert all(views == "none" and len(labels) == 5 for labels, views in sampled)
    assert len({tuple(labels) for labels, _ in sampled}) == 1                # the same five images every time
    assert last == (tiny.y_test.tolist(), "flip")                            # the last: every image, every view
    finished = events[-1]
    assert finished.final_acc == tests[-1].test_acc and len(finished.per_class_acc) == len(tiny.classes)
    assert [t.sampled for t in tests] == [5] * 5 + [0]        # each event says what its test checked
    assert finished.best_acc == tests[-1].test_acc             # the samples' figures are no best
    again = []
    monkeypatch.setattr(train, "evaluate", lambda model, x, y, *a, **kw: again.append(y.tolist()) or real(
        model, x, y, *a, **kw))
    run(CFG.replace(epochs=1, test_sample=5, seed=7), tiny)
    assert again == [tiny.y_test.tolist()]                   # one epoch: its only test is the last, on them all
    assert CFG.replace(test_sample=-1).validate()             # a sample of fewer than no images is refused


def test_smaller_images_first_shrinks_the_batches_of_the_first_steps_only(tiny, monkeypatch):
    from cnnlib import train
    sizes, real = [], train.train_step
    monkeypatch.setattr(train, "train_step", lambda model, opt, scaler, loss_fn, x, *a: sizes.append(
        tuple(x.shape[-2:])) or real(model, opt, scaler, loss_fn, x, *a))
    cfg = CFG.replace(model="small", shrink_to=16, shrink_for=0.4, epochs=2)   # 4 steps an epoch: 8 in all
    events = run(cfg, tiny)
    assert sizes == [(16, 16)] * 3 + [(32, 32)] * 5 and kinds(events)[-1] == "Finished"   # round(0.4 * 8) = 3
    sizes.clear()
    run(cfg.replace(shrink_to=32), tiny)                       # the data's own size already: nothing to shrink
    assert sizes == [(32, 32)] * 8
    sizes.clear()
    run(cfg.replace(shrink_for=1.0), tiny)                     # all the way: the tests still see full-size images
    assert sizes == [(16, 16)] * 8
    sizes.clear()
    run(CFG.replace(shrink_to=16, shrink_for=1.0), tiny)       # the tutorial's CNN takes only its own size
    assert sizes == [(32, 32)] * 8


def test_a_shrink_that_cannot_shrink_these_images_is_named():
    from cnnlib.train import shrink_note
    small = CFG.replace(model="small", shrink_for=0.4)
    note = shrink_note(small.replace(shrink_to=32), 32)
    assert str(note).startswith("shrink_to=32 is not smaller than these images (32×32)") and "below 32" in str(note)
    assert note.say("es").startswith("shrink_to=32 no es menor que estas imágenes (32×32)")
    assert shrink_note(small.replace(shrink_to=48), 32) is not None
    assert shrink_note(small.replace(shrink_to=24), 32) is None           # it shrinks them
    assert shrink_note(small.replace(shrink_to=0), 32) is None            # off
    assert shrink_note(CFG.replace(shrink_to=32), 32) is None             # the tutorial's CNN: not used at all
