"""Training configuration: the frozen `TrainConfig` dataclass, its validation, and named presets.

Every field carries its unit or meaning. `validate()` returns the problems as sentences (field,
value, allowed range), each a words.Message: English for the command line, and said in the reader's
language by the app. The presets' descriptions and the test-time views' words are in cnnlib.words.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields, replace
from typing import Callable, NamedTuple

from cnnlib.models import ARCHITECTURES, has_batchnorm
from cnnlib.words import Message, joined

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle", "cosine", "step")
AUGMENTS = ("none", "flip", "crop", "flip+crop")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# The test-time choices (TrainConfig.tta) and what each shows the network, in words for the app
TTAS = ("none", "flip", "flip+shift")
TTA_WORDS = {name: Message(f"tta.{name}") for name in TTAS}


class Range(NamedTuple):
    lo: float
    hi: float
    lo_open: bool = False   # True: lo itself is not allowed


# What each field allows, in the order problems are reported: a Range for numbers, a tuple of
# choices for strings. validate(), the app's widgets and live changes all read this one table.
ALLOWED: dict[str, Range | tuple[str, ...]] = {
    "holdout": Range(0.0, 0.9, True), "max_train": Range(0, 10_000_000), "max_test": Range(0, 10_000_000),
    "model": tuple(ARCHITECTURES), "conv_dropout": Range(0.0, 0.9), "fc_dropout": Range(0.0, 0.9),
    "epochs": Range(1, 1000), "batch_size": Range(1, 8192), "optimizer": OPTIMIZERS,
    "lr": Range(0.0, 10.0, True), "schedule": SCHEDULES, "warmup": Range(0.0, 0.9),
    "lr_end": Range(0.0, 1.0),
    "momentum": Range(0.0, 0.999), "weight_decay": Range(0.0, 1.0), "bias_lr": Range(0.0, 1000.0, True),
    "lookahead": Range(0, 1000), "label_smoothing": Range(0.0, 0.5), "augment": AUGMENTS, "crop": Range(1, 16),
    "seed": Range(0, 2**31 - 1), "device": DEVICES, "precision": PRECISIONS,
    "report_every": Range(1, 100_000), "eval_every": Range(0, 1_000_000), "tta": TTAS,
}

# Fields that have an effect only when other fields say so, as rules on a dict of field values: the
# Train page greys them out otherwise (its fields above them are set first), the engine ignores them.
def _decays(v: dict) -> bool:
    """Whether the schedule warms up and then decays (what warmup and lr_end shape)."""
    return v["schedule"] in ("onecycle", "cosine")


USED_ONLY_IF: dict[str, Callable[[dict], bool]] = {
    "warmup": _decays,
    "lr_end": _decays,
    "bias_lr": lambda v: has_batchnorm(v["model"]),
    "crop": lambda v: "crop" in v["augment"],
    "alternate_flips": lambda v: "flip" in v["augment"],
}


def shown(value, limit: int = 60) -> str:
    """`value` as a message quotes it: its repr, cut short (a file may hold a megabyte of junk)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def not_allowed(field: str, value, what: Message) -> Message:
    """"field=value is not allowed: what." (the value quoted as `shown` has it)."""
    return Message("config.not_allowed", field=field, value=shown(value), what=what)


def check_value(field: str, value) -> str:
    """Why `value` is not allowed for `field` (naming both and the allowed range), or ""."""
    allowed = ALLOWED[field]
    if isinstance(allowed, tuple) and not isinstance(allowed, Range):
        return "" if value in allowed else not_allowed(field, value, Message("config.choose_one",
                                                                             choices=", ".join(allowed)))
    lo, hi, lo_open = allowed
    # the bounds as the code has them (0.0, 10): text, so that no language rewrites them
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return not_allowed(field, value, Message("config.number_from_to", lo=str(lo), hi=str(hi)))
    if (value <= lo if lo_open else value < lo) or value > hi:
        return not_allowed(field, value, Message("config.above_at_most" if lo_open else "config.at_least_at_most",
                                                 lo=str(lo), hi=str(hi)))
    if isinstance(lo, int) and isinstance(value, float):
        return not_allowed(field, value, Message("config.whole_number"))
    return ""


@dataclass(frozen=True)
class TrainConfig:
    # data
    data: str = "builtin"             # "cifar10", "builtin", or a path to an image folder / .zip
    data_root: str = "data"           # folder where CIFAR-10 is downloaded and cached
    holdout: float = 0.1              # fraction of images held out for testing when a folder has no test split
    max_train: int = 0                # use at most this many training images (0 = all)
    max_test: int = 0                 # use at most this many test images (0 = all)
    # model
    model: str = "tutorial"           # architecture name, see cnnlib.models.ARCHITECTURES
    conv_dropout: float = 0.3         # dropout probability after the first conv (tutorial: 0.3)
    fc_dropout: float = 0.5           # dropout probability before the classifier (tutorial: 0.5)
    # optimisation
    epochs: int = 10                  # passes over the training set
    batch_size: int = 32              # images per step
    optimizer: str = "sgd"            # "sgd", "adam" or "adamw"
    lr: float = 0.001                 # peak learning rate
    schedule: str = "constant"        # "constant", "onecycle" (warm-up then linear decay), "cosine", "step"
    warmup: float = 0.2               # fraction of all steps spent warming up (onecycle and cosine)
    lr_end: float = 0.0               # learning rate at the last step, as a fraction of lr (onecycle and cosine)
    momentum: float = 0.9             # SGD momentum, or Adam's beta1
    nesterov: bool = False            # Nesterov momentum (SGD only)
    weight_decay: float = 0.0         # L2 penalty per step (decoupled for AdamW)
    bias_lr: float = 1.0              # batch norm shifts' learning rate as a multiple of lr (same decay per step)
    lookahead: int = 0                # steps between pulls of the weights toward their running average (0 = none)
    label_smoothing: float = 0.0      # cross-entropy label smoothing, 0 = none
    # data pipeline
    augment: str = "none"             # "none", "flip", "crop" or "flip+crop"
    crop: int = 4                     # pixels a random crop may move the image each way (zero padding)
    alternate_flips: bool = False     # flips: each image mirrored in every other epoch, not at random
    normalize: bool = False           # subtract per-channel mean and divide by std (tutorial: ToTensor only)
    # run
    seed: int = 0                     # seed for weights, shuffling, augmentation and dropout
    device: str = "cpu"               # "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"
    precision: str = "fp32"           # fp32, bf16/fp16 autocast, or auto (bf16 on CUDA or an AMX CPU, else fp32)
    report_every: int = 50            # steps between progress events
    tta: str = "none"                 # test-time views: "none", "flip" (+ mirror), "flip+shift" (+ both shifted 1 px)
    eval_every: int = 0               # steps between extra test-set checks within an epoch (0 = epoch ends only)

    def validate(self) -> list[str]:
        """Return a list of problems, each naming the field, its value and what is allowed."""
        problems = []
        if not isinstance(self.data, str) or not self.data.strip():
            problems.append(not_allowed("data", self.data, Message("config.data")))
        if not isinstance(self.data_root, str):
            problems.append(not_allowed("data_root", self.data_root, Message("config.folder_path")))
        # a config read from a file may hold anything: a switch must be true or false, not "no" (truthy)
        problems += [not_allowed(f.name, getattr(self, f.name), Message("config.true_or_false"))
                     for f in fields(self) if f.type == "bool" and not isinstance(getattr(self, f.name), bool)]
        problems += [p for name in ALLOWED if (p := check_value(name, getattr(self, name)))]
        if self.nesterov is True and (self.optimizer != "sgd" or self.momentum == 0):
            problems.append(Message("config.nesterov"))
        if self.precision == "fp16" and self.device == "cpu":
            problems.append(Message("config.fp16_cpu"))
        return problems

    def check(self) -> "TrainConfig":
        """Raise ValueError listing every problem, or return self."""
        problems = self.validate()
        if problems:
            raise ValueError(Message("config.invalid", problems=joined(*problems)))
        return self

    def uses(self, name: str) -> bool:
        """Whether field `name` has any effect, given the other fields (USED_ONLY_IF)."""
        rule = USED_ONLY_IF.get(name)
        return rule is None or rule(self.to_dict())

    def replace(self, **changes) -> "TrainConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Build from a dict, ignoring unknown keys (older or newer checkpoints)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if isinstance(d.get("tta"), bool):  # before 2026-11-29 tta was True (image and mirror) or False
            d["tta"] = "flip" if d["tta"] else "none"
        return cls(**d)


def _field_help() -> dict[str, str]:
    """Each field's comment above, as one line of help for the command line (the app says the same from
    the catalogue, cnnlib.words, in English or Spanish; a test keeps the two in step)."""
    import inspect
    import re
    src = inspect.getsource(TrainConfig)
    return dict(re.findall(r"^    (\w+): [^=]+= .*?# (.+)$", src, re.M))


FIELD_HELP: dict[str, str] = _field_help()


# The fast recipe the batch-norm presets share: one-cycle Nesterov SGD at batch 256, label
# smoothing, flips and crops, normalised inputs, bf16 autocast where the hardware has fast bf16
# (precision "auto"), no dropout.
_FAST = TrainConfig(model="fast", batch_size=256, optimizer="sgd", lr=0.2, momentum=0.9, nesterov=True,
                    weight_decay=5e-4, schedule="onecycle", warmup=0.15, label_smoothing=0.2,
                    augment="flip+crop", normalize=True, precision="auto", conv_dropout=0.0, fc_dropout=0.0)

# Each preset is a recipe in one place; the app's Train page and the CLI's --help show these descriptions
# (their words, in English and Spanish, are in cnnlib.words under preset.<name>).
PRESETS: dict[str, tuple[str, TrainConfig]] = {
    "tutorial": (Message("preset.tutorial"), TrainConfig()),
    "demo": (Message("preset.demo"), replace(_FAST, epochs=2, warmup=0.25, report_every=10)),
    "fast-cpu": (Message("preset.fast-cpu"), replace(_FAST, model="small", epochs=1, report_every=10, eval_every=25)),
    "cpu-5min": (Message("preset.cpu-5min"), replace(_FAST, epochs=9, report_every=20, tta="flip+shift")),
    "gpu-speedrun": (
        Message("preset.gpu-speedrun"),
        # airbench94's lr 11.5, momentum 0.85 and decay 0.0153 per 1,024 images, in PyTorch's terms for a
        # mean loss: lr 1.5, and a decay of 0.002 of each weight per step at the peak (lr * weight_decay)
        replace(_FAST, model="speedrun", epochs=10, batch_size=1024, lr=1.5, momentum=0.85,
                weight_decay=0.002 / 1.5, bias_lr=64.0, lookahead=5, warmup=0.23, device="auto", crop=2,
                alternate_flips=True, report_every=10, tta="flip+shift"),
    ),
}


# Presets meant for a GPU, and what one costs without, in minutes of this project's 2-core CPU per
# 10,000 training images of 32x32: the app warns where there is no GPU. Measured on CIFAR-10 (BENCHMARKS.md
# §4): ten epochs of about three minutes and a test of about a minute after each, 40 minutes in all.
GPU_PRESETS: dict[str, float] = {"gpu-speedrun": 8.0}


def cpu_minutes(name: str, train_images: int = 50_000, image_size: int = 32) -> float:
    """Roughly how long the GPU preset `name` takes on a 2-core CPU for a data set of this size (by
    default CIFAR-10's): its time scales with the images and their pixels (the tests with them)."""
    return GPU_PRESETS[name] * train_images / 10_000 * (image_size / 32) ** 2


def preset(name: str, **overrides) -> TrainConfig:
    """The named preset, with any fields overridden."""
    if name not in PRESETS:
        raise ValueError(Message("config.unknown_preset", name=repr(name), choices=", ".join(PRESETS)))
    return replace(PRESETS[name][1], **overrides)
