"""Training configuration: the frozen `TrainConfig` dataclass, its validation, and named presets.

Every field carries its unit or meaning. `validate()` returns the problems as plain sentences
(field, value, allowed range) so that both the command line and the app can show them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields, replace

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle", "cosine", "step")
AUGMENTS = ("none", "flip", "crop", "flip+crop")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16", "fp16")


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
    warmup: float = 0.2               # fraction of all steps spent warming up (onecycle only)
    momentum: float = 0.9             # SGD momentum, or Adam's beta1
    nesterov: bool = False            # Nesterov momentum (SGD only)
    weight_decay: float = 0.0         # L2 penalty per step (decoupled for AdamW)
    label_smoothing: float = 0.0      # cross-entropy label smoothing, 0 = none
    # data pipeline
    augment: str = "none"             # "none", "flip", "crop" (4 px pad) or "flip+crop"
    normalize: bool = False           # subtract per-channel mean and divide by std (tutorial: ToTensor only)
    # run
    seed: int = 0                     # seed for weights, shuffling, augmentation and dropout
    device: str = "cpu"               # "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"
    precision: str = "fp32"           # "fp32", or "bf16"/"fp16" autocast for the forward pass
    report_every: int = 50            # steps between progress events
    tta: bool = False                 # evaluate on the image and its mirror, averaged
    eval_every: int = 0               # steps between extra test-set checks within an epoch (0 = epoch ends only)

    def validate(self) -> list[str]:
        """Return a list of problems, each naming the field, its value and what is allowed."""
        problems = []

        def bad(field: str, allowed: str) -> None:
            problems.append(f"{field}={getattr(self, field)!r} is not allowed: {allowed}.")

        def in_range(field: str, lo: float, hi: float, lo_open: bool = False) -> None:
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
                bad(field, f"it must be a number from {lo} to {hi}")
            elif (v <= lo if lo_open else v < lo) or v > hi:
                bad(field, f"it must be {'above' if lo_open else 'at least'} {lo} and at most {hi}")

        def choice(field: str, options: tuple[str, ...]) -> None:
            if getattr(self, field) not in options:
                bad(field, "choose one of " + ", ".join(options))

        if not isinstance(self.data, str) or not self.data.strip():
            bad("data", 'use "cifar10", "builtin" or the path to an image folder or .zip')
        in_range("holdout", 0.0, 0.9, lo_open=True)
        in_range("max_train", 0, 10_000_000)
        in_range("max_test", 0, 10_000_000)
        from cnnlib.models import ARCHITECTURES  # late: models imports nothing from here
        choice("model", tuple(ARCHITECTURES))
        in_range("conv_dropout", 0.0, 0.9)
        in_range("fc_dropout", 0.0, 0.9)
        in_range("epochs", 1, 1000)
        if isinstance(self.epochs, float):
            bad("epochs", "it must be a whole number")
        in_range("batch_size", 1, 8192)
        choice("optimizer", OPTIMIZERS)
        in_range("lr", 0.0, 10.0, lo_open=True)
        choice("schedule", SCHEDULES)
        in_range("warmup", 0.0, 0.9)
        in_range("momentum", 0.0, 0.999)
        in_range("weight_decay", 0.0, 1.0)
        in_range("label_smoothing", 0.0, 0.5)
        choice("augment", AUGMENTS)
        in_range("seed", 0, 2**31 - 1)
        choice("device", DEVICES)
        choice("precision", PRECISIONS)
        in_range("report_every", 1, 100_000)
        in_range("eval_every", 0, 1_000_000)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            problems.append("nesterov=True needs optimizer='sgd' and a momentum above 0.")
        if self.precision == "fp16" and self.device == "cpu":
            problems.append("precision='fp16' is for GPUs; on the CPU use 'bf16' or 'fp32'.")
        return problems

    def check(self) -> "TrainConfig":
        """Raise ValueError listing every problem, or return self."""
        problems = self.validate()
        if problems:
            raise ValueError("Invalid training configuration: " + " ".join(problems))
        return self

    def replace(self, **changes) -> "TrainConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Build from a dict, ignoring unknown keys (older or newer checkpoints)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _field_help() -> dict[str, str]:
    """Each field's comment above, as one line of help for the command line and the app."""
    import inspect
    import re
    src = inspect.getsource(TrainConfig)
    return dict(re.findall(r"^    (\w+): [^=]+= .*?# (.+)$", src, re.M))


FIELD_HELP: dict[str, str] = _field_help()


# The fast recipe the batch-norm presets share: one-cycle Nesterov SGD at batch 256, label
# smoothing, flips and crops, normalised inputs, bf16 autocast, no dropout.
_FAST = TrainConfig(model="fast", batch_size=256, optimizer="sgd", lr=0.2, momentum=0.9, nesterov=True,
                    weight_decay=5e-4, schedule="onecycle", warmup=0.15, label_smoothing=0.2,
                    augment="flip+crop", normalize=True, precision="bf16", conv_dropout=0.0, fc_dropout=0.0)

# Each preset is a recipe in one place; the docs (README, app) read these descriptions.
PRESETS: dict[str, tuple[str, TrainConfig]] = {
    "tutorial": (
        "The tutorial's exact recipe: ToTensor only, batch 32, SGD lr 0.001 momentum 0.9, "
        "10 epochs, the tutorial CNN with dropout 0.3 and 0.5.",
        TrainConfig(),
    ),
    "demo": (
        "A one-minute classroom demo on the CPU: the batch-norm CNN, 2 epochs, one-cycle SGD, "
        "flips and crops.",
        replace(_FAST, epochs=2, warmup=0.25, report_every=10),
    ),
    "fast-cpu": (
        "The tutorial's 57% in about 15 seconds on a 2-core CPU: the tiny batch-norm CNN, one "
        "epoch, bf16 autocast, batch 256, one-cycle Nesterov SGD, label smoothing 0.2, flips and "
        "4-pixel crops, a test check every 25 steps.",
        replace(_FAST, model="small", epochs=1, report_every=10, eval_every=25),
    ),
    "cpu-5min": (
        "The most a 2-core CPU does in five minutes: the small batch-norm CNN (32-64-128), 6 epochs, "
        "bf16 autocast, batch 256, one-cycle Nesterov SGD, label smoothing 0.2, flips and crops, "
        "test-time flips.",
        replace(_FAST, epochs=6, report_every=20, tta=True),
    ),
    "gpu-speedrun": (
        "For a GPU: the wider batch-norm CNN, batch 1024, bf16, one-cycle Nesterov SGD, "
        "label smoothing, flips and crops, test-time flips.",
        replace(_FAST, model="speedrun", epochs=10, batch_size=1024, lr=0.8, warmup=0.2, device="auto",
                report_every=10, tta=True),
    ),
}


def preset(name: str, **overrides) -> TrainConfig:
    """The named preset, with any fields overridden."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return replace(PRESETS[name][1], **overrides)
