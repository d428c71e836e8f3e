"""Training configuration: the frozen `TrainConfig` dataclass, its validation, and named presets.

Every field carries its unit or meaning, and in one place what CNN Lab knows about it (its `Facts`,
`facts(name)`): the range or choices it allows, when it has an effect, and the Train page's group and
widget for it. Validation, the command line, links and the Train page all read those. `validate()`
returns the problems as sentences (field, value, allowed range), each a words.Message: English for the
command line, and said in the reader's language by the app. The fields' words (label, help, what for),
the presets' descriptions and the test-time views' words are in the catalogue, cnnlib.catalogue.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

from cnnlib.cpu import fast_bf16, halves_avx512
from cnnlib.models import ARCHITECTURES, has_batchnorm, smallest_side
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


@dataclass(frozen=True)
class Widget:
    """How the Train page draws a number, as plain data (ui.settings.setting draws it). A field with choices is a
    list and a switch a checkbox: they need no Widget."""
    kind: str                    # "slider", or "number": a box that takes any number (validation names a bad one)
    step: float                  # what one click moves the value by, in the field's unit
    format: str | None = None    # a number box's printf format ("%.5f"); None: Streamlit's own


def _slider(step: float) -> Widget:
    return Widget("slider", step)


def _box(step: float, format: str | None = None) -> Widget:
    return Widget("number", step, format)


@dataclass(frozen=True)
class Facts:
    """What CNN Lab knows about one TrainConfig field, bar its words: what it allows, when it has an effect,
    and where and how the Train page shows it. validate(), the command line, links and the Train page all
    read these. The words are the catalogue's, under the field's name (cnnlib.catalogue): label.<field>,
    help.<field> (the command line's help too), why.<field> where `why` is set."""
    allowed: Range | tuple[str, ...] | None = None  # a number's Range or a string's choices; None: validate() checks it
    used_if: Callable[[dict], bool] | None = None   # whether it has an effect, given the others' values; None: always
    group: str = ""                  # the Train page's group it is shown in (titled group.<name>); "": not on the page
    widget: Widget | None = None     # how the page draws a number (choices are a list, a switch a checkbox)
    why: bool = False                # the catalogue says what it is for, in a student's words (why.<field>)
    choice_words: dict[str, Message] | None = None   # what each choice does, where its name alone would not tell

    @property
    def choices(self) -> tuple[str, ...]:
        """The strings it allows; () for a number, a switch or free text."""
        return () if self.allowed is None or isinstance(self.allowed, Range) else self.allowed


def _field(default, allowed: Range | tuple[str, ...] | None = None, **facts):
    """A TrainConfig field with its Facts."""
    return dataclasses.field(default=default, metadata={"facts": Facts(allowed, **facts)})


# Fields that have an effect only when other fields say so, as rules on a dict of field values: the
# Train page greys them out otherwise (it draws the fields they read first), the engine ignores them.
def _decays(v: dict) -> bool:
    """Whether the schedule warms up and then decays (what warmup and lr_end shape)."""
    return v["schedule"] in ("onecycle", "cosine")


def _batchnorm(v: dict) -> bool:
    return has_batchnorm(v["model"])


def _crops(v: dict) -> bool:
    return "crop" in v["augment"]


def _flips(v: dict) -> bool:
    return "flip" in v["augment"]


def _resizable(v: dict) -> bool:
    """Whether the network takes images of any size (the tutorial's CNN: only the data's own)."""
    return v["model"] != "tutorial"


def _shrinks(v: dict) -> bool:
    return _resizable(v) and bool(v["shrink_to"])


def shown(value, limit: int = 60) -> str:
    """`value` as a message quotes it: its repr, cut short (a file may hold a megabyte of junk)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def not_allowed(field: str, value, what: Message) -> Message:
    """"field=value is not allowed: what." (the value quoted as `shown` has it)."""
    return Message("config.not_allowed", field=field, value=shown(value), what=what)


def check_value(field: str, value) -> str:
    """Why `value` is not allowed for `field` (naming both and the allowed range), or "". A field with no
    range or choices (a switch, the data's names) is validate()'s to check."""
    known = facts(field)
    if known.choices:
        return "" if value in known.choices else not_allowed(field, value, Message("config.choose_one",
                                                                                   choices=", ".join(known.choices)))
    if known.allowed is None:
        return ""
    lo, hi, lo_open = known.allowed
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
    # Each field: its type, its default, its meaning or unit (the comment), and its Facts, if any. The
    # Train page shows the fields that name a group, group by group, in this order; validation reports
    # problems in this order too.
    # --- data: the sidebar's choice, not the Train page's
    data: str = "builtin"             # "cifar10", "builtin", or a path to an image folder / .zip
    data_root: str = "data"           # folder where CIFAR-10 is downloaded and cached
    # fraction of images held out for testing when a folder has no test split (how a folder was split when it
    # was loaded, once per server: a widget for it would change nothing)
    holdout: float = _field(0.1, Range(0.0, 0.9, True))
    # --- model
    # architecture name, see cnnlib.models.ARCHITECTURES
    model: str = _field("tutorial", tuple(ARCHITECTURES), group="model")
    # dropout probability after the first conv (tutorial: 0.3)
    conv_dropout: float = _field(0.3, Range(0.0, 0.9), group="model", widget=_slider(0.05))
    # dropout probability before the classifier (tutorial: 0.5)
    fc_dropout: float = _field(0.5, Range(0.0, 0.9), group="model", widget=_slider(0.05))
    # --- optimisation
    # passes over the training set
    epochs: int = _field(10, Range(1, 1000), group="optimisation", widget=_box(1))
    # images per step
    batch_size: int = _field(32, Range(1, 8192), group="optimisation", widget=_box(1))
    # "sgd", "adam" or "adamw"
    optimizer: str = _field("sgd", OPTIMIZERS, group="optimisation")
    # peak learning rate
    lr: float = _field(0.001, Range(0.0, 10.0, True), group="optimisation", widget=_box(0.0005, "%.5f"))
    # "constant", "onecycle" (warm-up then linear decay), "cosine", "step"
    schedule: str = _field("constant", SCHEDULES, group="optimisation")
    # fraction of all steps spent warming up (onecycle and cosine)
    warmup: float = _field(0.2, Range(0.0, 0.9), group="optimisation", widget=_slider(0.05), used_if=_decays,
                           why=True)
    # learning rate at the last step, as a fraction of lr (onecycle and cosine)
    lr_end: float = _field(0.0, Range(0.0, 1.0), group="optimisation", widget=_slider(0.01), used_if=_decays,
                           why=True)
    # SGD momentum, or Adam's beta1
    momentum: float = _field(0.9, Range(0.0, 0.999), group="optimisation", widget=_box(0.01, "%.3f"))
    # Nesterov momentum (SGD only)
    nesterov: bool = _field(False, group="optimisation", why=True)
    # L2 penalty per step (decoupled for AdamW)
    weight_decay: float = _field(0.0, Range(0.0, 1.0), group="optimisation", widget=_box(0.0001, "%.4f"), why=True)
    # batch norm shifts' learning rate as a multiple of lr (same decay per step)
    bias_lr: float = _field(1.0, Range(0.0, 1000.0, True), group="optimisation", widget=_box(1.0, "%.1f"),
                            used_if=_batchnorm, why=True)
    # steps between pulls of the weights toward their running average (0 = none)
    lookahead: int = _field(0, Range(0, 1000), group="optimisation", widget=_box(1), why=True)
    # cross-entropy label smoothing, 0 = none
    label_smoothing: float = _field(0.0, Range(0.0, 0.5), group="optimisation", widget=_slider(0.05), why=True)
    # --- data pipeline
    # "none", "flip", "crop" or "flip+crop"
    augment: str = _field("none", AUGMENTS, group="data")
    # pixels a random crop may move the image each way (zero padding)
    crop: int = _field(4, Range(1, 16), group="data", widget=_box(1), used_if=_crops, why=True)
    # flips: each image mirrored in every other epoch, not at random
    alternate_flips: bool = _field(False, group="data", used_if=_flips, why=True)
    # subtract per-channel mean and divide by std (tutorial: ToTensor only)
    normalize: bool = _field(False, group="data", why=True)
    # test-time views: "none", "flip" (+ mirror), "flip+shift" (+ both shifted 1 px)
    tta: str = _field("none", TTAS, group="data", why=True, choice_words=TTA_WORDS)
    # pixels: the side training images are shrunk to for the first steps (0 = never; see shrink_for; images
    # no larger than this are left as they are)
    shrink_to: int = _field(0, Range(0, 1024), group="data", widget=_box(4), used_if=_resizable, why=True)
    # share of all training steps, from the first, that see images shrunk to shrink_to, 0..1
    shrink_for: float = _field(0.0, Range(0.0, 1.0), group="data", widget=_box(0.05), used_if=_shrinks)
    # use at most this many training images (0 = all)
    max_train: int = _field(0, Range(0, 10_000_000), group="data", widget=_box(1000))
    # use at most this many test images (0 = all)
    max_test: int = _field(0, Range(0, 10_000_000), group="data", widget=_box(1000))
    # --- run
    # seed for weights, shuffling, augmentation and dropout
    seed: int = _field(0, Range(0, 2**31 - 1), group="run", widget=_box(1))
    # "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"
    device: str = _field("cpu", DEVICES, group="run")
    # fp32, bf16/fp16 autocast, or auto (bf16 on CUDA or a CPU with fast bf16, else fp32)
    precision: str = _field("fp32", PRECISIONS, group="run")
    # steps between progress events
    report_every: int = _field(50, Range(1, 100_000), group="run", widget=_box(1))
    # steps between extra test-set checks within an epoch (0 = epoch ends only)
    eval_every: int = _field(0, Range(0, 1_000_000), group="run", widget=_box(10), why=True)
    # test images (a fixed sample, one view) in each test before the last (0 = all, with the tta views)
    test_sample: int = _field(0, Range(0, 10_000_000), group="run", widget=_box(500), why=True)

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
        problems += [p for f in fields(self) if (p := check_value(f.name, getattr(self, f.name)))]
        if self.nesterov is True and (self.optimizer != "sgd" or self.momentum == 0):
            problems.append(Message("config.nesterov"))
        if self.precision == "fp16" and self.device == "cpu":
            problems.append(Message("config.fp16_cpu"))
        # (a model or size that fails its own check has its message already)
        if not check_value("shrink_to", self.shrink_to) and not check_value("model", self.model) and self.shrink_to \
                and self.uses("shrink_to"):
            if self.shrink_to < (least := smallest_side(self.model)):
                problems.append(not_allowed("shrink_to", self.shrink_to, Message("config.shrink_to", least=least)))
            elif self.shrink_for == 0:      # a size set, and no step to use it: it would quietly do nothing
                problems.append(not_allowed("shrink_for", self.shrink_for,
                                            Message("config.shrink_for", size=self.shrink_to)))
        return problems

    def check(self) -> TrainConfig:
        """Raise ValueError listing every problem, or return self."""
        problems = self.validate()
        if problems:
            raise ValueError(Message("config.invalid", problems=joined(*problems)))
        return self

    def uses(self, name: str) -> bool:
        """Whether field `name` has any effect, given the other fields (its Facts.used_if)."""
        rule = facts(name).used_if
        return rule is None or rule(self.to_dict())

    def replace(self, **changes) -> TrainConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build from a dict, ignoring unknown keys (older or newer checkpoints)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if isinstance(d.get("tta"), bool):  # before 2026-11-29 tta was True (image and mirror) or False
            d["tta"] = "flip" if d["tta"] else "none"
        return cls(**d)


_FACTS: dict[str, Facts] = {f.name: f.metadata.get("facts", Facts()) for f in fields(TrainConfig)}


def facts(name: str) -> Facts:
    """The Facts of TrainConfig's field `name` (a KeyError for a name that is not a field)."""
    return _FACTS[name]


# The fields the Train page shows (those that name a group), in the order it shows them
SETTINGS: tuple[str, ...] = tuple(name for name, known in _FACTS.items() if known.group)


def groups() -> dict[str, tuple[str, ...]]:
    """The Train page's groups of settings, each with its fields, in the order the page shows them."""
    out: dict[str, tuple[str, ...]] = {}
    for name in SETTINGS:
        out[facts(name).group] = (*out.get(facts(name).group, ()), name)
    return out


# The fast recipe the batch-norm presets share: one-cycle Nesterov SGD at batch 256, label
# smoothing, flips and crops, normalised inputs, bf16 autocast where the hardware has fast bf16
# (precision "auto"), no dropout.
_FAST = TrainConfig(model="fast", batch_size=256, optimizer="sgd", lr=0.2, momentum=0.9, nesterov=True,
                    weight_decay=5e-4, schedule="onecycle", warmup=0.15, label_smoothing=0.2,
                    augment="flip+crop", normalize=True, precision="auto", conv_dropout=0.0, fc_dropout=0.0)

# airbench94's lr 11.5, momentum 0.85 and decay 0.0153 per 1,024 images, in PyTorch's terms for a mean
# loss: lr 1.5, and a decay of 0.002 of each weight per step at the peak (lr * weight_decay)
_SPEEDRUN = replace(_FAST, model="speedrun", epochs=10, batch_size=1024, lr=1.5, momentum=0.85,
                    weight_decay=0.002 / 1.5, bias_lr=64.0, lookahead=5, warmup=0.23, device="auto", crop=2,
                    alternate_flips=True, report_every=10, tta="flip+shift")


# cpu-5min's recipe: 85 % within five minutes, tests included (BENCHMARKS.md §3): the small batch-norm CNN,
# 9 epochs in fp32 (85.05 %); in bf16 9 epochs reach 84.7 %, so with fast bf16 it trains 11 (85.8 % in 194 s
# on an AMD EPYC); cpu-15min's without fast bf16 is the same for as many epochs as 15 minutes hold
_CPU_5MIN = replace(_FAST, epochs=9, report_every=20, tta="flip+shift", test_sample=2000)

# Presets whose recipe depends on the CPU: each kind's recipe, by the preset's name and the kind
# ("bf16" where cpu.fast_bf16, "bf16-half" where that CPU also halves its AVX-512 work, else "plain"), so that
# benchmarks can run any of them on any machine (preset("cpu-15min:plain")). A kind a preset has no recipe of
# takes its "bf16" one.
_CPU_15MIN_BF16 = replace(_SPEEDRUN, epochs=9, batch_size=256, lr=1.5 / 4, device="cpu", shrink_to=24, shrink_for=0.3,
                          report_every=20, test_sample=2000)
VARIANTS: dict[str, tuple[Message, TrainConfig]] = {
    "cpu-5min:bf16": (Message("preset.cpu-5min.bf16"), replace(_CPU_5MIN, epochs=11)),
    "cpu-5min:plain": (Message("preset.cpu-5min"), _CPU_5MIN),
    # the most 15 minutes of a 2-core CPU reach, tests included (BENCHMARKS.md §3). With fast bf16:
    # gpu-speedrun's network and recipe at batch 256 (a server's limit for one run allows no more; the learning
    # rate scaled with the batch, so each image moves the weights as much), 9 epochs, the first 2.7 on 24-pixel
    # images (90.3 % in 564 s on a Zen 5, 90.0 % in 877 s with AMX); on a Zen 4 (cpu.halves_avx512), where that
    # took 970 s, the first half of the steps on 24-pixel images (90.04 % in 857 s; 8 epochs: 89.70 % in 863 s)
    "cpu-15min:bf16": (Message("preset.cpu-15min.bf16"), _CPU_15MIN_BF16),
    "cpu-15min:bf16-half": (Message("preset.cpu-15min.bf16-half"), replace(_CPU_15MIN_BF16, shrink_for=0.5)),
    "cpu-15min:plain": (Message("preset.cpu-15min"), replace(_CPU_5MIN, epochs=28)),
}


def cpu_kind() -> str:
    """This machine's kind of CPU, as VARIANTS names them: "bf16", "bf16-half" or "plain"."""
    if not fast_bf16():
        return "plain"
    return "bf16-half" if halves_avx512() else "bf16"


def recipe_of(name: str, kind: str) -> tuple[Message, TrainConfig]:
    """The recipe of preset `name` for CPUs of `kind` (its "bf16" one where it has none of that kind)."""
    return VARIANTS.get(f"{name}:{kind}") or VARIANTS[f"{name}:bf16"]


_KIND = cpu_kind()      # this machine's, decided once


# Each preset is a recipe in one place; the app's Train page and the CLI's --help show these descriptions
# (their words, in English and Spanish, are in cnnlib.words under preset.<name>).
PRESETS: dict[str, tuple[str, TrainConfig]] = {
    "tutorial": (Message("preset.tutorial"), TrainConfig()),
    "demo": (Message("preset.demo"), replace(_FAST, epochs=2, warmup=0.25, report_every=10)),
    # the quick network (a whitening layer that halves the image, one conv per block) at batch 128: 57 % in
    # 2.2x less training than the small network at batch 256 (2.0-2.5x a round; BENCHMARKS.md §3); a test
    # every 50 steps, every 6,400 images as before
    "fast-cpu": (Message("preset.fast-cpu"), replace(_FAST, model="quick", batch_size=128, epochs=1, report_every=10,
                                                     eval_every=50)),
    "cpu-5min": recipe_of("cpu-5min", _KIND),
    "cpu-15min": recipe_of("cpu-15min", _KIND),
    "gpu-speedrun": (Message("preset.gpu-speedrun"), _SPEEDRUN),
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
    """The named preset (or a CPU kind's recipe of one, by its name in VARIANTS), with any fields overridden."""
    known = PRESETS.get(name) or VARIANTS.get(name)
    if known is None:
        raise ValueError(Message("config.unknown_preset", name=repr(name), choices=", ".join(PRESETS)))
    return replace(known[1], **overrides)
