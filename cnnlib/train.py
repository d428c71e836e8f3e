"""The training engine: a generator of small typed events, and `evaluate()`.

`fit()` knows nothing of threads or Streamlit. Between steps it asks a control object whether to
pause or stop, and whether the learning rate or momentum was changed; the caller (the command
line, the background runner, a test) decides what those answers are.

`fit()` reads as the loop it runs: `set_up()` once; then for each epoch `train_epoch()`, whose every
batch is one `train_step()`, timed by a `TrainClock` that leaves out pauses and tests; then a test of
the test set and the epoch's event.
"""
from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch import nn
from torch.nn import functional as F

from cnnlib import memory, optim
from cnnlib.config import TrainConfig
from cnnlib.cpu import fast_bf16
from cnnlib.data import Dataset, alternating_flips, augment, batch_indices, to_float
from cnnlib.models import build_model, fit_to_data
from cnnlib.tta import LAYOUT, view_logits
from cnnlib.words import Message

# --- events ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    epoch: int            # 0-based epoch
    step: int             # 1-based step within the epoch
    steps: int            # steps per epoch
    loss: float           # mean training loss since the last Step event
    train_acc: float      # running training accuracy in this epoch, 0..1
    images_per_s: float   # training throughput since the last Step event
    lr: float             # learning rate now
    elapsed: float        # seconds of training so far (evaluation excluded)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int            # 0-based epoch just finished
    train_loss: float     # mean training loss over the epoch
    train_acc: float      # training accuracy over the epoch, 0..1 (with dropout and augmentation on)
    test_loss: float      # loss on the test set
    test_acc: float       # accuracy on the test set, 0..1
    seconds: float        # seconds this epoch's training took (evaluation excluded)
    elapsed: float        # seconds of training so far (evaluation excluded)
    sampled: int = 0      # test images, when the test was a quick one: one view of a fixed sample
                          # (TrainConfig.test_sample); 0: every test image, with the run's views


@dataclass(frozen=True)
class Tested:
    epoch: int            # 0-based epoch in progress
    step: int             # step within it after which the test set was checked
    test_loss: float
    test_acc: float       # 0..1
    elapsed: float        # seconds of training so far (evaluation excluded)
    sampled: int = 0      # test images of the quick test's sample (as EpochEnd's); 0: all of them


@dataclass(frozen=True)
class Changed:
    epoch: int            # when the change took effect
    step: int
    lr: float             # new peak learning rate
    momentum: float       # new momentum (beta1 for Adam)


@dataclass(frozen=True)
class Finished:
    epochs: int           # epochs completed
    final_acc: float      # test accuracy after the last epoch
    best_acc: float       # best test accuracy after any epoch whose test checked every image
    seconds: float        # training seconds (evaluation excluded)
    per_class_acc: tuple[float, ...] = ()  # test accuracy of each class after the last epoch, 0..1


@dataclass(frozen=True)
class Stopped:
    epoch: int            # epoch in which the run was stopped
    step: int             # step within it


@dataclass(frozen=True)
class Diverged:
    epoch: int
    step: int
    loss: float           # the non-finite or exploding loss
    message: str = ""


Event = Step | EpochEnd | Tested | Changed | Finished | Stopped | Diverged


class Control(Protocol):
    def should_stop(self) -> bool: ...
    def wait_if_paused(self) -> None: ...
    def take_changes(self) -> dict: ...   # {"lr": float, "momentum": float}, or {} for none


class NoControl:
    """Run to the end: never pause, never stop, no changes."""

    def should_stop(self) -> bool:
        return False

    def wait_if_paused(self) -> None:
        pass

    def take_changes(self) -> dict:
        return {}


# --- where a training stands ----------------------------------------------------------------------

@dataclass
class TrainState:
    """Where a training stands, so that another `fit` can go on from there exactly: the epochs
    completed, the optimiser steps taken, the optimiser's per-weight state (momentum, Adam's
    averages) and fp16's loss scale. Given to `fit` as `start`, it says where to begin (epoch
    `epoch`, the schedule at step `epoch` x steps per epoch); `fit` keeps it up to date as it trains,
    and `to_dict()` is then what a run saves beside its weights (checkpoints.OPTIMIZER).

    Randomness needs nothing saved: every epoch seeds its own shuffling, augmentation and dropout
    (`epoch_seed`: the run's seed and the epoch's number), so epoch k draws the same numbers whether
    the epochs before it ran in this process or in another one last week. A run stopped in the middle
    of an epoch saves its weights as they were; continued, it does that epoch again from its start."""
    epoch: int = 0                  # epochs completed
    step: int = 0                   # optimiser steps taken in all (the schedule's position)
    elapsed: float = 0.0            # seconds of training so far (evaluation excluded)
    best: float = 0.0               # best test accuracy after any epoch that tested every image, 0..1
    optimizer: dict | None = None   # the optimiser's state_dict() to start from (None: a fresh one)
    scaler: dict | None = None      # fp16's GradScaler.state_dict() to start from
    live: tuple | None = field(default=None, repr=False, compare=False)   # (optimiser, scaler) while fit runs

    def to_dict(self) -> dict:
        """What `torch.save` writes to optimizer.pt: plain numbers, and the tensors of the optimiser's
        state as they are now (a copy on the CPU)."""
        opt, scaler = self.live if self.live else (None, None)
        optimizer = opt.state_dict() if opt is not None else self.optimizer
        if optimizer is not None:
            optimizer = {"state": {i: {k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor) else v
                                       for k, v in s.items()} for i, s in optimizer["state"].items()},
                         "param_groups": optimizer["param_groups"]}
        scale = scaler.state_dict() if scaler is not None and scaler.is_enabled() else self.scaler
        return {"epoch": self.epoch, "step": self.step, "elapsed": self.elapsed, "best": self.best,
                "optimizer": optimizer, "scaler": scale or None}

    @classmethod
    def from_dict(cls, d: dict) -> TrainState:
        """The state `to_dict()` saved (checked by checkpoints.load_train_state)."""
        return cls(int(d["epoch"]), int(d["step"]), float(d.get("elapsed", 0.0)), float(d.get("best", 0.0)),
                   d.get("optimizer"), d.get("scaler"))


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch `epoch`'s randomness (shuffling, augmentation, dropout) in a run seeded `seed`."""
    return (seed + 1_000_003 * epoch) % 2**63


# --- set-up helpers ------------------------------------------------------------------------------

def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(Message("train.no_cuda"))
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(Message("train.no_mps"))
    return torch.device(name)


def make_model(cfg: TrainConfig, data: Dataset) -> nn.Module:
    """The configured architecture for this data set's classes and image size, seeded."""
    torch.manual_seed(cfg.seed)
    return build_model(cfg.model, len(data.classes), cfg.conv_dropout, cfg.fc_dropout, data.image_size)


def param_groups(cfg: TrainConfig, model: nn.Module) -> list[dict]:
    """The weights the optimiser moves, not a frozen layer's (models.Whiten), in groups that each carry
    an `lr_scale`, their learning rate as a multiple of the schedule's. With cfg.bias_lr != 1 batch
    norm's shifts form a group of their own, at bias_lr times the rate, their weight decay divided by
    as much so that the decay per step stays the others' (airbench's scaled biases)."""
    shifts = {id(m.bias) for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
              and m.bias is not None} if cfg.bias_lr != 1 else set()
    trained = [p for p in model.parameters() if p.requires_grad]
    groups = [dict(params=[p for p in trained if id(p) not in shifts], lr_scale=1.0, weight_decay=cfg.weight_decay),
              dict(params=[p for p in trained if id(p) in shifts], lr_scale=cfg.bias_lr,
                   weight_decay=cfg.weight_decay / cfg.bias_lr)]
    return [g for g in groups if g["params"]]


def make_optimizer(cfg: TrainConfig, model: nn.Module):
    """The configured optimiser. On a CPU or a CUDA GPU, cnnlib.optim's: one fused kernel per update
    (the same maths, ~10% faster steps for the tutorial's CNN on a CPU than torch's plain loop) and no
    import of torch._dynamo (75 MB a server would keep). Elsewhere (Apple's MPS) torch.optim's own."""
    groups = param_groups(cfg, model)
    device = next(model.parameters()).device.type
    if device in ("cpu", "cuda"):
        if cfg.optimizer == "sgd":
            return optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
        return optim.Adam(groups, lr=cfg.lr, betas=(cfg.momentum, 0.999), decoupled=cfg.optimizer == "adamw")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(groups, lr=cfg.lr, betas=(cfg.momentum, 0.999))


class Lookahead:
    """Every `every` optimiser steps, pull the weights (and batch norm's running statistics) part of
    the way back to their running average, and carry on from there (Lookahead, as airbench uses it).
    The average's own weight grows with training: 0.95**every times the share of training done, cubed,
    so early steps move freely and the last ones are averaged strongly."""

    def __init__(self, model: nn.Module, every: int, total: int):
        self.every, self.total = every, max(1, total)
        self.live = [t for t in model.state_dict().values() if t.is_floating_point()]
        self.average = [t.clone() for t in self.live]

    @torch.no_grad()
    def pull(self, done: int) -> None:
        """After step `done` of all; also at each epoch's end, so that a test sees the averaged weights."""
        rho = 0.95 ** self.every * (done / self.total) ** 3
        torch._foreach_lerp_(self.average, self.live, 1 - rho)   # one kernel each for every tensor: on a
        torch._foreach_copy_(self.live, self.average)            # GPU, not two launches a tensor


def lr_factor(cfg: TrainConfig, step: int, total: int) -> float:
    """The schedule: the learning rate at `step` of `total` as a fraction of cfg.lr."""
    t = step / max(1, total)
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "step":
        return 0.1 ** ((t >= 0.5) + (t >= 0.75))
    w = cfg.warmup
    if t < w:
        return 0.1 + 0.9 * t / w
    t = min(1.0, (t - w) / max(1e-9, 1 - w))
    decay = 1 - t if cfg.schedule == "onecycle" else 0.5 * (1 + math.cos(math.pi * t))  # else cosine
    return cfg.lr_end + (1 - cfg.lr_end) * decay


def _set_momentum(opt: torch.optim.Optimizer, momentum: float) -> None:
    for g in opt.param_groups:
        if "betas" in g:
            g["betas"] = (momentum, g["betas"][1])
        else:
            g["momentum"] = momentum


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' -> 'bf16' where bf16 matrix work is fast (a CUDA GPU that has it, a CPU by `cpu.fast_bf16`:
    AMX, or AMD's AVX-512 bf16), else 'fp32'. Elsewhere a CPU's bf16 convolutions run slower than its
    fp32 ones (BENCHMARKS.md §3)."""
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if device.type == "cpu":
        return "bf16" if fast_bf16() else "fp32"
    return "fp32"


def _autocast(precision: str, device: torch.device):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


# --- evaluation ----------------------------------------------------------------------------------

@dataclass
class Evaluation:
    loss: float               # mean cross-entropy
    accuracy: float           # 0..1
    predictions: torch.Tensor = field(repr=False)  # (N,) predicted class
    confidence: torch.Tensor = field(repr=False)   # (N,) softmax probability of the prediction


# Images per test batch: on the CPU, few enough that a batch's activations stay in the caches
# (bench/bench_eval.py: BENCHMARKS.md §3); on a GPU, many.
EVAL_BATCH_CPU = 128
EVAL_BATCH_GPU = 1000


@torch.inference_mode()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, mean: torch.Tensor | None = None,
             std: torch.Tensor | None = None, batch_size: int = 0, tta: str = "none",
             precision: str = "fp32") -> Evaluation:
    """Loss and accuracy of `model` on uint8 images x and labels y, in eval mode, `batch_size`
    images at a time (0: EVAL_BATCH_CPU or EVAL_BATCH_GPU, by the model's device), the logits
    averaged over the `tta` views (TrainConfig.tta); the model goes back to the mode it was in."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    batch_size = batch_size or (EVAL_BATCH_CPU if device.type == "cpu" else EVAL_BATCH_GPU)
    loss_sum = 0.0
    # The answers go into tensors made before the first batch: small tensors kept from one batch to the
    # next were carved out of the batches' freed buffers, and glibc's heaps grew by hundreds of MB
    # (BENCHMARKS.md §6)
    preds, confs = torch.empty(len(y), dtype=torch.int64), torch.empty(len(y))
    ctx = _autocast(resolve_precision(precision, device), device)
    tidy = memory.Tidier()
    for i in range(0, len(y), batch_size):
        xb = to_float(x[i:i + batch_size].to(device, non_blocking=True), mean, std)
        yb = y[i:i + batch_size].to(device)
        with ctx:
            logits = view_logits(model, xb, tta)
        loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
        c, k = logits.softmax(1).max(1)
        confs[i:i + batch_size], preds[i:i + batch_size] = c, k
        tidy()                      # a server hands what the batches freed back as it goes
    model.train(was_training)
    n = max(1, len(y))
    return Evaluation(loss_sum / n, (preds == y.cpu()).float().sum().item() / n, preds, confs)


def per_class_accuracy(predictions: torch.Tensor, y: torch.Tensor, num_classes: int,
                       empty: float = 0.0) -> tuple[float, ...]:
    """Accuracy of each class, 0..1; `empty` for a class with no images (0 keeps run.json valid
    JSON; the Evaluate page's report uses NaN, which its chart leaves as a gap)."""
    hits = torch.bincount(y[predictions == y], minlength=num_classes).double()
    counts = torch.bincount(y, minlength=num_classes)
    return tuple(torch.where(counts > 0, hits / counts.clamp(min=1), empty).tolist())


# --- the loop ----------------------------------------------------------------------------------------

# Training images that layers fitted to the data (models.Whiten) are set from, spread over the whole
# set: an image folder is read class by class, so its first images may all be of one class.
FIT_SAMPLE = 5000


def _sync(device: torch.device) -> None:
    """Wait for the device's queued work, so that the clock read next includes it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class TrainClock:
    """Seconds of training in one epoch: a stopwatch that leaves out the time spent in `paused()` (a
    pause the control asked for, a check of the test set). Reading it does not wait for a GPU: call
    `_sync` first where the queued work must count."""

    def __init__(self, start: float = 0.0):
        self.t0 = time.perf_counter() - start      # the clock reads `start` now
        self.stopped_at = 0.0

    def __call__(self) -> float:
        return time.perf_counter() - self.t0

    def paused(self) -> TrainClock:
        """`with clock.paused() as now:` stops the clock while the block runs; `now` is its reading."""
        return self

    def __enter__(self) -> float:   # a plain context manager, cheaper a step than @contextmanager's
        self.stopped_at = time.perf_counter()
        return self.stopped_at - self.t0

    def __exit__(self, *exc) -> None:
        self.t0 += time.perf_counter() - self.stopped_at


class _Tally:
    """One epoch's running sums, kept on the device so that a step never waits for them (loss,
    correct answers, images), and the loss and batches since the last progress event. Times are the
    epoch's training clock (seconds of training so far in it: pauses and tests left out)."""

    def __init__(self, device: torch.device, clock: float):
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.int64)
        self.seen = 0                   # images in the epoch so far
        self.report_loss = torch.zeros((), device=device)
        self.batches = self.images = 0  # since the last progress event
        self.since = clock              # the training clock at the last progress event

    def add(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        self.loss_sum += loss * len(y)
        self.report_loss += loss
        self.batches += 1
        self.images += len(y)
        self.correct += (logits.argmax(1) == y).sum()
        self.seen += len(y)

    def step(self, epoch: int, at_step: int, steps: int, lr: float, before: float, clock: float) -> Step:
        """The progress event for the batches since the last one, the last of them `at_step`, at the
        epoch's training `clock`; `before` is the training time of the earlier epochs."""
        return Step(epoch, at_step, steps, self.report_loss.item() / self.batches, self.correct.item() / self.seen,
                    self.images / max(1e-9, clock - self.since), lr, before + clock)

    def epoch(self) -> tuple[float, float]:
        """The epoch's mean training loss and accuracy so far."""
        return self.loss_sum.item() / max(1, self.seen), self.correct.item() / max(1, self.seen)

    def restart(self, clock: float) -> None:
        self.report_loss.zero_()
        self.batches = self.images = 0
        self.since = clock


@dataclass
class Training:
    """A training under way: what `set_up` makes once and every epoch of `fit` shares."""
    cfg: TrainConfig
    model: nn.Module
    device: torch.device
    precision: str                       # "fp32", "bf16" or "fp16": cfg.precision resolved for the device
    x_train: torch.Tensor                # uint8 images and their labels, on the device
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    sample: tuple[torch.Tensor, torch.Tensor] | None   # the test images and labels the tests before the last
                                                       # use (cfg.test_sample), taken once; None: all of them
    mean: torch.Tensor | None            # per-channel normalisation (None: cfg.normalize is off)
    std: torch.Tensor | None
    opt: torch.optim.Optimizer
    scaler: torch.amp.GradScaler         # fp16's loss scale; for bf16 and fp32 it passes everything through
    loss_fn: nn.Module
    gen: torch.Generator                 # shuffling and augmentation (each epoch reseeds it)
    flips: Callable[[int, torch.Tensor], torch.Tensor] | None   # alternating flips: (epoch, indices) -> mirrored?
    lookahead: Lookahead | None
    steps: int                           # steps per epoch
    total: int                           # steps in all epochs: the schedule's length
    done: int                            # steps taken in all: the schedule's position
    base_lr: float                       # peak learning rate now (the control may change it)
    momentum: float                      # momentum now, or Adam's beta1 (the control may change it)
    lr: float                            # the learning rate of the latest step
    fitting: float                       # seconds set-up spent fitting layers to the data (first epoch's training)
    shrink: int = 0                      # pixels: the side images are shrunk to (cfg.shrink_to) for the first...
    shrink_steps: int = 0                # ...this many steps of all epochs (0: none are)

    def batch(self, epoch: int, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training images `idx` augmented for epoch `epoch`, as floats in the network's layout, and their labels."""
        cfg = self.cfg
        x = augment(self.x_train[idx], cfg.augment, self.gen if self.device.type == "cpu" else None, cfg.crop,
                    self.flips(epoch, idx) if self.flips else None)
        x = to_float(x, self.mean, self.std)
        if self.done < self.shrink_steps:                   # smaller images first (cfg.shrink_to)
            x = F.interpolate(x, size=(self.shrink, self.shrink), mode="area")
        return x.contiguous(memory_format=LAYOUT), self.y_train[idx]

    def test(self, last: bool = True) -> Evaluation:
        """The test set's loss and accuracy: every image with the cfg.tta views; before the `last` test, with
        cfg.test_sample, one view of a fixed sample of the images (a tenth of the time or less)."""
        if not self.sampled(last):
            return evaluate(self.model, self.x_test, self.y_test, self.mean, self.std, tta=self.cfg.tta,
                            precision=self.precision)
        return evaluate(self.model, *self.sample, self.mean, self.std, precision=self.precision)

    def sampled(self, last: bool = True) -> int:
        """How many test images `test(last)` checks when it is a quick test of the sample; 0 when it
        checks them all."""
        return 0 if last or self.sample is None else len(self.sample[1])


def set_up(model: nn.Module, data: Dataset, cfg: TrainConfig, state: TrainState, max_steps: int = 0) -> Training:
    """What `fit` does before its first step: the device and precision; the network and the data on the
    device; the optimiser and fp16's loss scaler, from `state` where it holds theirs; the schedule; and
    the layers fitted to the data (models.Whiten), whose time counts as the first epoch's training."""
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)                        # what set-up draws; each epoch then seeds its own
    gen = torch.Generator().manual_seed(cfg.seed)      # alternating flips' halves (each epoch reseeds it)
    precision = resolve_precision(cfg.precision, device)
    model.to(device=device, memory_format=LAYOUT)
    model.train()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True          # the shapes repeat: time cuDNN's algorithms once, keep the best
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    mean, std = (t.to(device) for t in data.mean_std()) if cfg.normalize else (None, None)
    sample = None
    if cfg.test_sample:                                # the same images in every test of every run of these data
        pick = torch.randperm(len(y_test), generator=torch.Generator().manual_seed(0))[:cfg.test_sample]
        pick = pick.sort().values.to(device)
        sample = x_test[pick], y_test[pick]
    opt = make_optimizer(cfg, model)
    if state.optimizer is not None:
        opt.load_state_dict(state.optimizer)
        state.optimizer = None                         # the optimiser holds it now (to_dict asks it)
    # fp16's small gradients underflow to 0 unless the loss is scaled up first (and the step skipped
    # when that overflows); bf16 and fp32 have fp32's range and need nothing: the scaler passes through
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    if state.scaler and scaler.is_enabled():
        scaler.load_state_dict(state.scaler)
        state.scaler = None
    state.live = (opt, scaler)
    n = len(y_train)
    steps = math.ceil(n / cfg.batch_size)
    if max_steps:
        steps = min(steps, max_steps)
    total, done = steps * cfg.epochs, steps * state.epoch   # a saved run goes on at its next epoch's start
    t0 = time.perf_counter()
    spread = x_train[::max(1, n // FIT_SAMPLE)][:FIT_SAMPLE]
    fit_to_data(model, lambda: to_float(spread, mean, std))   # a whitening layer, if any
    _sync(device)
    lookahead = Lookahead(model, cfg.lookahead, total) if cfg.lookahead else None
    flips = alternating_flips(n, gen, device) if cfg.alternate_flips and cfg.uses("alternate_flips") else None
    shrink, shrunk = shrinking(cfg, data.image_size, total)
    return Training(cfg, model, device, precision, x_train, y_train, x_test, y_test, sample, mean, std, opt, scaler,
                    nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing), gen, flips, lookahead,
                    steps=steps, total=total, done=done, base_lr=cfg.lr, momentum=cfg.momentum,
                    lr=cfg.lr * lr_factor(cfg, done, total), fitting=time.perf_counter() - t0,
                    shrink=shrink, shrink_steps=shrunk)


def shrinking(cfg: TrainConfig, image_size: int, total: int) -> tuple[int, int]:
    """Smaller images first: the side the images are shrunk to and for how many of the `total` steps
    from the first, or (0, 0) where nothing is shrunk (the setting off, the tutorial's CNN, images
    no larger than cfg.shrink_to already)."""
    if not (cfg.uses("shrink_to") and 0 < cfg.shrink_to < image_size):
        return 0, 0
    return cfg.shrink_to, round(cfg.shrink_for * total)


def shrink_note(cfg: TrainConfig, image_size: int) -> Message | None:
    """What to tell a student whose smaller images first (shrink_to) cannot shrink these images, since
    they are no larger than shrink_to already (the run trains on them at full size); None otherwise."""
    if cfg.uses("shrink_to") and cfg.shrink_to >= image_size > 0:
        return Message("train.no_shrink", shrink_to=cfg.shrink_to, size=image_size)
    return None


def work_done(cfg: TrainConfig, image_size: int, steps: int, total: int) -> float:
    """The training work in the first `steps` of `total`, in full-size steps: a step on images shrunk
    to side s costs (s / image_size)² of one on the full images (the convolutions' share of the work)."""
    shrink, shrunk = shrinking(cfg, image_size, total)
    small = min(steps, shrunk)
    return small * (shrink / image_size) ** 2 + (steps - small) if shrink else float(steps)


def train_step(model: nn.Module, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler, loss_fn: nn.Module,
               x: torch.Tensor, y: torch.Tensor, lr: float, precision: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimisation step on the batch (x, y) at learning rate `lr` (each group of weights at its
    lr_scale times that): forward under `precision`'s autocast, loss, backward (scaled for fp16),
    update. Returns the loss and the logits, detached."""
    for g in opt.param_groups:
        g["lr"] = lr * g["lr_scale"]
    with _autocast(precision, x.device):
        logits = model(x)
        loss = loss_fn(logits.float(), y)
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    return loss.detach(), logits.detach()


def train_epoch(training: Training, epoch: int, control: Control, clock: TrainClock,
                state: TrainState) -> Generator[Event, None, _Tally | None]:
    """The steps of epoch `epoch`, yielding Step events (every cfg.report_every steps and after the
    last), and Changed and Tested ones as they come. Returns the epoch's tally, or None when the
    control stopped the run or its loss diverged (the last event, Stopped or Diverged, says which)."""
    t, cfg = training, training.cfg
    torch.manual_seed(epoch_seed(cfg.seed, epoch))         # this epoch's dropout masks, on every device
    t.gen.manual_seed(epoch_seed(cfg.seed, epoch))         # and its shuffling and augmentation
    tally = _Tally(t.device, clock())
    for step, idx in enumerate(batch_indices(len(t.y_train), cfg.batch_size, True, t.gen, device=t.device), start=1):
        if step > t.steps:
            break
        with clock.paused():                               # paused time is not training time
            control.wait_if_paused()
        if control.should_stop():
            if tally.batches:  # the steps since the last progress event: the history ends where training did
                yield tally.step(epoch, step - 1, t.steps, t.lr, state.elapsed, clock())
            yield Stopped(epoch, step)
            return None
        if changes := control.take_changes():
            t.base_lr, t.momentum = changes.get("lr", t.base_lr), changes.get("momentum", t.momentum)
            _set_momentum(t.opt, t.momentum)
            yield Changed(epoch, step, t.base_lr, t.momentum)
        t.lr = t.base_lr * lr_factor(cfg, t.done, t.total)
        x, y = t.batch(epoch, idx)
        loss, logits = train_step(t.model, t.opt, t.scaler, t.loss_fn, x, y, t.lr, t.precision)
        t.done = state.step = t.done + 1
        if t.lookahead and t.done % cfg.lookahead == 0:
            t.lookahead.pull(t.done)
        report = step % cfg.report_every == 0 or step == t.steps
        if report or t.device.type == "cpu":               # a CPU's loss is ready: check it at every step
            if not math.isfinite(lv := loss.item()) or lv > 1e4:
                yield Diverged(epoch, step, lv, Message("train.diverged_step", loss=lv, epoch=epoch + 1, step=step))
                return None
        tally.add(loss, logits, y)
        if report:
            yield tally.step(epoch, step, t.steps, t.lr, state.elapsed, clock())
            tally.restart(clock())                         # the time the consumer took is left out of images/s
        if cfg.eval_every and step % cfg.eval_every == 0 and step != t.steps:
            _sync(t.device)
            with clock.paused() as now:                    # testing time is not training time
                ev = t.test(last=False)
                yield Tested(epoch, step, ev.loss, ev.accuracy, state.elapsed + now, t.sampled(last=False))
    if t.lookahead and t.done % cfg.lookahead:
        t.lookahead.pull(t.done)                           # the test sees the averaged weights
    _sync(t.device)                                        # a GPU's queued work is part of the epoch
    return tally


def fit(model: nn.Module, data: Dataset, cfg: TrainConfig, control: Control | None = None,
        max_steps: int = 0, start: TrainState | None = None) -> Iterator[Event]:
    """Train `model` on `data` as `cfg` says, yielding events. `max_steps` > 0 stops each phase
    after that many batches (the command line's --dry-run). With `start` (a saved run's TrainState,
    `model` holding that run's weights), training goes on from epoch `start.epoch` of cfg.epochs with
    the optimiser's state and the schedule where they were, as if it had never stopped; `start` is
    kept up to date as training goes (TrainState), for saving the run so that it can go on again."""
    cfg.check()
    state = start if start is not None else TrainState()
    control = control or NoControl()
    training = set_up(model, data, cfg, state, max_steps)
    first, test = state.epoch, None
    for epoch in range(first, cfg.epochs):
        clock = TrainClock(training.fitting if epoch == first else 0.0)
        tally = yield from train_epoch(training, epoch, control, clock, state)
        if tally is None:                                  # stopped, or diverged
            return
        seconds = clock()
        test = training.test(last=epoch == cfg.epochs - 1)
        if not math.isfinite(test.loss):  # the last update broke the weights though its loss was finite
            yield Diverged(epoch, training.steps, test.loss, Message("train.diverged_test", loss=test.loss,
                                                                     epoch=epoch + 1))
            return
        sampled = training.sampled(last=epoch == cfg.epochs - 1)
        state.epoch, state.elapsed = epoch + 1, state.elapsed + seconds
        state.best = state.best if sampled else max(state.best, test.accuracy)   # a sample's estimate is no best
        yield EpochEnd(epoch, *tally.epoch(), test.loss, test.accuracy, seconds, state.elapsed, sampled)
    yield Finished(cfg.epochs, test.accuracy if test else 0.0, state.best, state.elapsed,
                   per_class_accuracy(test.predictions, training.y_test.cpu(), len(data.classes)) if test else ())
