"""The networks: the tutorial's CNN exactly, a configurable builder for others, and `summary()`;
also the layers that keep the tutorial's maths but run it faster on a CPU (Dropout, Flatten, Linear),
and a first layer set from the data rather than learned (Whiten, `fit_to_data`).

`build_model(name, ...)` is the one entry point the engine and the app use; `ARCHITECTURES`
lists what it can build with a one-line description of each. `footprint()` says how much memory a
network would take before any of it exists, and `too_large()` holds it to the server's limit.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnlib import cpu
from cnnlib.words import Message


class _DropoutFn(torch.autograd.Function):
    """out = x * mask, mask = keep / (1 - p) as floats, kept for the backward pass."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (mask,) = ctx.saved_tensors
        return grad * mask, None


def _is_channels_last(x: torch.Tensor) -> bool:
    return x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)


def random_int16(n: int) -> torch.Tensor:
    """n uniform random 16-bit integers, from numpy's SFC64 generator seeded by torch's, so that
    torch.manual_seed fixes them. On a CPU this is several times faster than torch's own random_ (a
    serial Mersenne Twister; BENCHMARKS.md §1)."""
    seed = int(torch.randint(0, 2**62, (1,)))
    bits = np.random.Generator(np.random.SFC64(seed)).bit_generator.random_raw((n + 3) // 4)
    return torch.from_numpy(bits.view(np.int16)[:n])


class Dropout(nn.Dropout):
    """nn.Dropout with the same maths, made cheap on a CPU (where torch's `bernoulli_` costs a sixth
    of a training step of the tutorial's CNN). A unit is kept when a 16-bit random integer clears a
    threshold, so p is rounded to a multiple of 1/65536; the mask is built with float arithmetic
    (comparisons to bool and bool to float are several times slower on a CPU) in x's own memory
    layout, and applied as one multiply each way."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.device.type != "cpu":
            return super().forward(x)
        return _DropoutFn.apply(x, self.mask_like(x))

    def mask_like(self, x: torch.Tensor) -> torch.Tensor:
        """A fresh mask for x: 0 for a dropped unit, 1 / (1 - p) for a kept one."""
        r = random_int16(x.numel())                          # uniform over -32768..32767
        if _is_channels_last(x):
            b, c, h, w = x.shape
            r = r.view(b, h, w, c).permute(0, 3, 1, 2)       # laid out as x is: the multiply reads both in order
        else:
            r = r.view(x.shape)
        threshold = round(self.p * 65536) - 32768           # kept when r >= threshold: probability 1 - p
        keep = r.to(torch.float32).sub_(threshold - 1).clamp_(0, 1)   # exactly 1.0 or 0.0
        return keep.mul_(1.0 / (1.0 - self.p)).to(x.dtype)


class _FlattenFn(torch.autograd.Function):
    """x.flatten(1), with the gradient handed back in x's memory layout."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.shape, ctx.channels_last = x.shape, _is_channels_last(x)
        return x.flatten(1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.reshape(ctx.shape)
        return grad.contiguous(memory_format=torch.channels_last) if ctx.channels_last else grad


class Flatten(nn.Flatten):
    """nn.Flatten whose gradient keeps its input's memory layout. Autograd's own comes back in the
    plain layout, and a channels_last max-pool before it then copies its whole input to match
    (BENCHMARKS.md §1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4 and self.start_dim == 1 and self.end_dim == -1 and x.requires_grad:
            return _FlattenFn.apply(x)
        return super().forward(x)


class _ThinLinearFn(torch.autograd.Function):
    """x @ W.T + b computed as (W @ x.T + b).T, and its gradients as the plain products."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return torch.addmm(bias[:, None], weight, x.t()).t().contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        return (grad @ weight if need_x else None, grad.t() @ x if need_w else None,
                grad.sum(0) if need_b else None)


class _DnnLinearFn(torch.autograd.Function):
    """x @ W.T + b and its gradients, every product by oneDNN rather than MKL."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return cpu.onednn_linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        return (cpu.onednn_linear(grad, weight.t()) if need_x else None,          # grad @ W
                cpu.onednn_linear(grad.t(), x.t()) if need_w else None,           # grad.T @ x
                grad.sum(0) if need_b else None)


# oneDNN's product costs some 25 microseconds more to set up than MKL's: below this many weights
# (fc4's 5,130) MKL's is faster even where oneDNN's kernels are
_DNN_MIN_WEIGHTS = 65536


class Linear(nn.Linear):
    """nn.Linear, with the products in fp32 by whichever library runs them fastest on this CPU
    (`cpu.matmul_library()`): oneDNN's on a CPU that is not Intel's, for a layer of at least 65,536
    weights; else MKL's, and for a training batch of up to 64 rows in the order MKL runs fastest: for
    the tutorial's fc3 (8192 -> 512) at batch 32, (W @ x.T).T rather than x @ W.T (BENCHMARKS.md §1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.dim() != 2 or x.device.type != "cpu" or x.dtype != torch.float32 or self.weight.dtype != torch.float32
                or torch.is_autocast_enabled("cpu")):
            return super().forward(x)
        if self.weight.numel() >= _DNN_MIN_WEIGHTS and cpu.matmul_library() == "onednn":
            if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
                return _DnnLinearFn.apply(x, self.weight, self.bias)
            return cpu.onednn_linear(x, self.weight, self.bias)
        if len(x) <= 64 and self.bias is not None and torch.is_grad_enabled():
            return _ThinLinearFn.apply(x, self.weight, self.bias)
        return super().forward(x)


class TutorialCNN(nn.Module):
    """The tutorial's network, layer for layer: 4,210,090 parameters for 32x32 RGB, 10 classes."""

    def __init__(self, num_classes: int = 10, conv_dropout: float = 0.3, fc_dropout: float = 0.5,
                 image_size: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1)
        self.act1 = nn.ReLU()
        self.drop1 = Dropout(conv_dropout)
        self.conv2 = nn.Conv2d(32, 32, kernel_size=3, stride=1, padding=1)
        self.act2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(kernel_size=2)
        self.flat = Flatten()
        self.fc3 = Linear(32 * (image_size // 2) ** 2, 512)  # 8192 -> 512 for 32x32 input
        self.act3 = nn.ReLU()
        self.drop3 = Dropout(fc_dropout)
        self.fc4 = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(self.act1(self.conv1(x)))   # (N, 32, 32, 32)
        if self.training:                          # the same maths on a quarter of the values: ReLU
            x = self.act2(self.pool2(self.conv2(x)))   # and max-pooling commute (5 % of a CPU step)
        else:
            x = self.pool2(self.act2(self.conv2(x)))   # (N, 32, 16, 16), in the tutorial's order
        x = self.flat(x)                           # (N, 8192)
        x = self.drop3(self.act3(self.fc3(x)))     # (N, 512)
        return self.fc4(x)                         # (N, num_classes)


class Whiten(nn.Module):
    """A 2x2 convolution (no padding: 32x32 becomes 31x31) whose filters whiten the image's 2x2
    patches: each is an eigenvector of the patches' covariance scaled by 1 / sqrt(its eigenvalue),
    once as it is and once negated (so that a ReLU after it keeps both signs): 24 channels for RGB.
    `fit()` sets them once from training images; they never train after that, only the bias does.
    After the CIFAR-10 speed records (Keller Jordan's airbench, arXiv 2404.00498): the network
    starts from decorrelated inputs and learns in fewer epochs, and the odd size that follows makes
    every later layer a little smaller. With stride 2 the patches do not overlap: 32x32 becomes
    16x16 with every pixel kept, in 24 channels (space to depth), and every later layer costs a
    quarter (the `quick` network)."""

    def __init__(self, in_channels: int = 3, size: int = 2, eps: float = 5e-4, stride: int = 1):
        super().__init__()
        self.eps = eps
        self.conv = nn.Conv2d(in_channels, 2 * in_channels * size * size, size, stride=stride, bias=True)
        self.conv.weight.requires_grad_(False)
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))  # saved with the weights

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> None:
        """Set the filters from float images x (N, C, H, W), normalised as training sees them."""
        c, k, step = self.conv.in_channels, self.conv.kernel_size[0], self.conv.stride[0]
        patches = x.float().unfold(2, k, step).unfold(3, k, step)          # (N, C, H', W', k, k)
        patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, c * k * k)  # each row as the weight is laid out
        patches = patches - patches.mean(0)
        eigval, eigvec = torch.linalg.eigh(patches.T @ patches / len(patches))
        filters = (eigvec.T / (eigval.clamp(min=0) + self.eps).sqrt()[:, None]).reshape(-1, c, k, k)
        self.conv.weight.copy_(torch.cat([filters, -filters]))
        self.conv.bias.zero_()
        self.fitted.fill_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def fit_to_data(model: nn.Module, images: Callable[[], torch.Tensor]) -> None:
    """Set every data-fitted layer (`Whiten`) not yet set from `images()`, float training images
    normalised as training sees them (called only if a layer needs them); a model loaded from a run
    keeps its own."""
    for m in model.modules():
        if isinstance(m, Whiten) and not m.fitted:
            m.fit(images().to(m.conv.weight.device))


@dataclass(frozen=True)
class ConvNetSpec:
    widths: tuple[int, ...] = (32, 64, 128)   # output channels of each block; each block halves the size
    convs_per_block: int = 2                   # 3x3 convolutions in each block: 1 or 2
    batchnorm: bool = True                     # batch norm after each convolution
    residual: bool = False                     # add a skip connection around each block's second conv
    stem: int = 0                              # channels of a 3x3 stem conv before the blocks (0 = none)
    whiten: bool = False                       # a frozen 2x2 patch-whitening conv first (`Whiten`), instead of a stem
    whiten_stride: int = 1                     # pixels between the whitened patches: 1 overlaps them, 2 halves the size
    hidden: int = 0                            # width of a hidden linear layer before the classifier (0 = none)
    pool: str = "max"                          # downsampling in each block: "max" or "avg"
    head_scale: float = 1.0                    # logits are multiplied by this (small values calm early training)
    head_bias: bool = True                     # the classifier adds a learned bias per class
    activation: str = "relu"                   # after each conv (and the whitening layer): "relu" or "gelu"
    identity_init: bool = False                # each 3x3 conv starts as the identity on its first input-many channels
    bn_scale: bool = True                      # batch norm learns a scale; False: fixed at 1, only its shift learns
    bn_momentum: float = 0.1                   # weight of each batch in batch norm's running statistics
    bn_eps: float = 1e-5                       # added to the variance before batch norm divides by its root


def _activation(spec: ConvNetSpec) -> nn.Module:
    return nn.GELU() if spec.activation == "gelu" else nn.ReLU(inplace=True)


def _conv3x3(cin: int, cout: int, spec: ConvNetSpec) -> nn.Conv2d:
    """A 3x3 convolution, 'same' size; with `spec.identity_init` its first `cin` filters start as the
    identity (each passes one input channel through unchanged) and the rest as PyTorch draws them:
    the block starts close to passing its input on, like a residual block without the skip."""
    conv = nn.Conv2d(cin, cout, 3, padding=1, bias=not spec.batchnorm)
    if spec.identity_init:
        with torch.no_grad():
            nn.init.dirac_(conv.weight[:min(cin, cout)])
    return conv


def _batchnorm(channels: int, spec: ConvNetSpec) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels, eps=spec.bn_eps, momentum=spec.bn_momentum)
    bn.weight.requires_grad_(spec.bn_scale)   # when frozen it stays 1, as initialised
    return bn


def _norm(channels: int, spec: ConvNetSpec) -> nn.Module:
    """Batch norm after a convolution, or nothing where the spec has none."""
    return _batchnorm(channels, spec) if spec.batchnorm else nn.Identity()


class ConvBlock(nn.Module):
    """After airbench's ConvGroup: conv1 -> pool -> norm1 -> act1 -> conv2 -> norm2 -> act2 -> drop, the
    norms batch norm or nothing (spec.batchnorm). With spec.residual, act1's output is added to act2's;
    with spec.convs_per_block == 1, the block ends after act1."""

    def __init__(self, cin: int, cout: int, spec: ConvNetSpec, dropout: float):
        super().__init__()
        assert spec.convs_per_block in (1, 2), f"a ConvBlock has 1 or 2 convolutions, not {spec.convs_per_block}"
        # made in this order: a seed draws the weights in it, and the optimiser's saved state follows it
        self.conv1 = _conv3x3(cin, cout, spec)
        self.pool = nn.MaxPool2d(2) if spec.pool == "max" else nn.AvgPool2d(2)
        self.norm1 = _norm(cout, spec)
        self.act1 = _activation(spec)
        self.second = spec.convs_per_block == 2
        if self.second:
            self.conv2 = _conv3x3(cout, cout, spec)
            self.norm2 = _norm(cout, spec)
            self.act2 = _activation(spec)
        self.residual = spec.residual and self.second
        self.drop = Dropout(dropout) if dropout > 0 else nn.Identity()
        self.register_load_state_dict_pre_hook(_rename_unnamed_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = self.pool(x)                 # (N, C, H / 2, W / 2)
        x = self.norm1(x)
        x = self.act1(x)
        if self.second:
            y = self.conv2(x)
            y = self.norm2(y)
            y = self.act2(y)
            x = x + y if self.residual else y
        return self.drop(x)


# A ConvBlock once kept its layers in two nn.Sequentials, `first` (conv, pool, [batch norm], activation)
# and `rest` (conv, [batch norm], activation): the runs it saved (the shipped ones among them) name their
# weights by place in those. The same tensors, in the same order, under today's names:
_UNNAMED = {True: {"first.0.": "conv1.", "first.2.": "norm1.", "rest.0.": "conv2.", "rest.1.": "norm2."},
            False: {"first.0.": "conv1.", "rest.0.": "conv2."}}   # by whether the block has batch norm


def _rename_unnamed_layers(block: ConvBlock, state_dict: dict, prefix: str, *args) -> None:
    """load_state_dict's pre-hook: an older run's names for this block's weights become today's."""
    for old, new in _UNNAMED[isinstance(block.norm1, nn.BatchNorm2d)].items():
        for key in [k for k in state_dict if k.startswith(prefix + old)]:
            state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)


class ConvNet(nn.Module):
    """A stack of `ConvBlock`s, global max-pool, optional hidden layer, linear classifier."""

    def __init__(self, spec: ConvNetSpec, num_classes: int = 10, conv_dropout: float = 0.0,
                 fc_dropout: float = 0.0):
        super().__init__()
        self.spec = spec
        cin = 3
        if spec.whiten:
            assert spec.whiten_stride in (1, 2), f"a whitening layer's stride is 1 or 2, not {spec.whiten_stride}"
            self.stem = nn.Sequential(Whiten(stride=spec.whiten_stride), _activation(spec))
            cin = self.stem[0].conv.out_channels
        elif spec.stem:
            self.stem = nn.Sequential(nn.Conv2d(3, spec.stem, 3, padding=1, bias=not spec.batchnorm),
                                      _batchnorm(spec.stem, spec) if spec.batchnorm else nn.Identity(),
                                      _activation(spec))
            cin = spec.stem
        else:
            self.stem = nn.Identity()
        blocks = []
        for w in spec.widths:
            blocks.append(ConvBlock(cin, w, spec, conv_dropout))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.flat = nn.Flatten()
        head = []
        if spec.hidden:
            head += [nn.Linear(cin, spec.hidden), _activation(spec)]
            cin = spec.hidden
        head += [Dropout(fc_dropout) if fc_dropout > 0 else nn.Identity(),
                 nn.Linear(cin, num_classes, bias=spec.head_bias)]
        self.head = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))       # (N, C, H / 2**blocks, W / 2**blocks)
        x = self.flat(self.pool(x))         # (N, C)
        return self.head(x) * self.spec.head_scale


ARCHITECTURES: dict[str, tuple[str, ConvNetSpec | None]] = {
    "tutorial": (Message("arch.tutorial"), None),
    "small": (Message("arch.small"),
              ConvNetSpec(widths=(16, 32, 64), convs_per_block=2, head_scale=0.2)),
    "fast": (Message("arch.fast"),
             ConvNetSpec(widths=(32, 64, 128), convs_per_block=2, head_scale=0.2)),
    "quick": (Message("arch.quick"),
              ConvNetSpec(widths=(16, 32, 64), convs_per_block=1, whiten=True, whiten_stride=2, head_scale=0.2)),
    "vgg": (Message("arch.vgg"),
            ConvNetSpec(widths=(64, 128, 256, 256), convs_per_block=2)),
    "resnet": (Message("arch.resnet"),
               ConvNetSpec(widths=(64, 128, 256), convs_per_block=2, residual=True, stem=32)),
    "speedrun": (Message("arch.speedrun"),
                 ConvNetSpec(widths=(64, 256, 256), convs_per_block=2, whiten=True, head_scale=1 / 9,
                             head_bias=False, activation="gelu", identity_init=True, bn_scale=False,
                             bn_momentum=0.4, bn_eps=1e-12)),
}


def build_model(name: str, num_classes: int = 10, conv_dropout: float = 0.0, fc_dropout: float = 0.0,
                image_size: int = 32) -> nn.Module:
    """Build an architecture from ARCHITECTURES by name."""
    if name not in ARCHITECTURES:
        raise ValueError(Message("models.unknown", name=repr(name), choices=", ".join(ARCHITECTURES)))
    if name == "tutorial":
        return TutorialCNN(num_classes, conv_dropout, fc_dropout, image_size)
    spec = ARCHITECTURES[name][1]
    if image_size % (multiple := 2 ** (times := _halvings(spec))):
        raise ValueError(Message("models.halves", name=repr(name), times=times, size=image_size, multiple=multiple))
    return ConvNet(spec, num_classes, conv_dropout, fc_dropout)


def _spec(name) -> ConvNetSpec | None:
    """Architecture `name`'s spec; None for the tutorial's CNN and for anything that is no name of ours
    (a config read from a file may hold a list there)."""
    return ARCHITECTURES[name][1] if isinstance(name, str) and name in ARCHITECTURES else None


def _halvings(spec: ConvNetSpec) -> int:
    """How many times the network halves an image's side: once in each block, and once more in a
    whitening layer of stride 2."""
    return len(spec.widths) + (spec.whiten and spec.whiten_stride == 2)


def smallest_side(name: str) -> int:
    """The smallest image side, in pixels, that architecture `name` can take: each block halves it,
    and a whitening layer takes a pixel off first (or halves it too, with stride 2). 1 for a name
    that is no architecture of ours."""
    spec = _spec(name)
    if spec is None:
        return 1
    return 2 ** _halvings(spec) + (spec.whiten and spec.whiten_stride == 1)


def has_batchnorm(name: str) -> bool:
    """Whether the architecture `name` normalises its activations with batch norm."""
    spec = _spec(name)
    return spec is not None and spec.batchnorm


def count_parameters(model: nn.Module, learned: bool = False) -> int:
    """All parameters, or only those that training changes (learned=True: not the frozen ones)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not learned)


@dataclass(frozen=True)
class LayerRow:
    name: str          # dotted module name
    kind: str          # module class
    output_shape: tuple[int, ...]  # per image, without the batch dimension
    parameters: int    # parameters owned by this layer
    learned: int       # of those, the ones training changes (the rest stay as initialised)


def summary(model: nn.Module, input_shape: tuple[int, int, int] = (3, 32, 32)) -> list[LayerRow]:
    """Per leaf layer, in call order: its output shape for one image and its parameter count."""
    rows: list[LayerRow] = []
    hooks = []
    for name, m in model.named_modules():
        if list(m.children()) or isinstance(m, nn.Identity):
            continue
        def hook(mod, inp, out, name=name):
            own = list(mod.parameters(recurse=False))
            rows.append(LayerRow(name, type(mod).__name__, tuple(out.shape[1:]), sum(p.numel() for p in own),
                                 sum(p.numel() for p in own if p.requires_grad)))
        hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        p = next(model.parameters(), None)
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=p.device if p is not None else "cpu"))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def layer_table(model_name: str, num_classes: int, image_size: int = 32) -> tuple[list[dict], int, int]:
    """One row per layer of an architecture built for this many classes and this image size (name,
    kind, output shape, parameters, and how many of them learn where some are fixed), the total
    parameter count and the learned count. Raises ValueError when the architecture does not fit the
    image size."""
    model = build_model(model_name, num_classes, image_size=image_size)
    total, learned = count_parameters(model), count_parameters(model, learned=True)
    rows = [{"layer": r.name, "kind": r.kind, "output shape": " × ".join(map(str, r.output_shape)),
             "parameters": r.parameters, **({"learned": r.learned} if learned < total else {})}
            for r in summary(model, (3, image_size, image_size))]
    return rows, total, learned


# --- memory, before any tensor exists ------------------------------------------------------------

# The most memory one network may take on this server: its weights and one image's activations. A
# shared classroom server (1-2.7 GB for up to 30 sessions, 8 models cached) must refuse a run whose
# network would not fit long before it is built: the tutorial's CNN on 384-pixel images has 2.3 GB of
# weights. Every architecture on 32-64 pixel images takes 1-67 MB.
MAX_MODEL_MB = 128


def max_model_bytes() -> int:
    """The limit in bytes: $CNNLAB_MAX_MODEL_MB, or MAX_MODEL_MB."""
    v = os.environ.get("CNNLAB_MAX_MODEL_MB", "")
    return (int(v) if v.isdigit() and int(v) > 0 else MAX_MODEL_MB) * 2**20


@dataclass(frozen=True)
class Footprint:
    parameters: int        # how many
    weight_bytes: int      # parameters and buffers as built (float32; a state_dict of the same size)
    activation_bytes: int  # every layer's output for one image, float32 (what training keeps for backward)

    def bytes(self, batch_size: int = 1) -> int:
        return self.weight_bytes + batch_size * self.activation_bytes


# The largest images a network's activations are measured on for real: above it they are measured at
# this size and scaled by the pixels (every layer but the last few keeps the image's proportions).
PROBE_SIZE = 64


@functools.lru_cache(maxsize=256)
def footprint(name: str, num_classes: int = 10, image_size: int = 32) -> Footprint:
    """The size of an architecture built for these classes and images. Its weights are counted on
    PyTorch's meta device (shapes without memory), so a network of any size costs nothing to measure;
    its activations, for one image, on the network built for real at up to PROBE_SIZE pixels (a
    forward pass on the meta device would import the compiler's front end, torch._dynamo: 75 MB).
    Raises ValueError when the architecture does not fit the image size."""
    with torch.device("meta"):
        shapes = build_model(name, num_classes, image_size=image_size)
    tensors = [*shapes.parameters(), *shapes.buffers()]
    weights = sum(t.numel() * t.element_size() for t in tensors)
    if weights > max_model_bytes():             # refused whatever its activations: none are worked out
        return Footprint(count_parameters(shapes), weights, 0)
    probe = min(image_size, PROBE_SIZE)
    model = build_model(name, num_classes, image_size=probe).eval()
    sizes: list[int] = []

    def hook(mod, inp, out):
        if isinstance(out, torch.Tensor) and not any(out is x for x in inp):   # an in-place op adds nothing
            sizes.append(out.numel() * out.element_size())
    hooks = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, probe, probe))
    finally:
        for h in hooks:
            h.remove()
    return Footprint(count_parameters(shapes), weights, round(sum(sizes) * (image_size / probe) ** 2))


def estimate(name: str, num_classes: int = 10, image_size: int = 32, batch_size: int = 1) -> int:
    """Bytes a network takes with a batch of `batch_size` images going through it: its weights and
    every layer's output (an upper bound for a forward pass; training adds gradients and the
    optimizer's state, one to three more copies of the weights)."""
    return footprint(name, num_classes, image_size).bytes(batch_size)


def too_large(name: str, num_classes: int = 10, image_size: int = 32) -> str:
    """Why this network would not fit the server's limit (its size and the limit, in words), or ""."""
    f = footprint(name, num_classes, image_size)
    limit = max_model_bytes()
    if f.bytes(1) <= limit:
        return ""
    return Message("models.too_large", name=name, size=image_size, classes=num_classes, total=_mb(f.bytes(1)),
                   parameters=f.parameters, weights=_mb(f.weight_bytes), activations=_mb(f.activation_bytes),
                   limit=_mb(limit))


# The memory one training run may take on a server's CPU ($CNNLAB_MAX_RUN_MB): every CPU preset fits
# on 32×32 images (fast-cpu about 17 MB by `training_bytes`, cpu-5min 230 MB), gpu-speedrun's batch
# of 1,024 does not (2.7 GB): on a small shared server one such run would take the memory of all.
MAX_RUN_MB = 1024


def max_run_bytes() -> int:
    """The limit in bytes: $CNNLAB_MAX_RUN_MB, or MAX_RUN_MB."""
    v = os.environ.get("CNNLAB_MAX_RUN_MB", "")
    return (int(v) if v.isdigit() and int(v) > 0 else MAX_RUN_MB) * 2**20


def training_bytes(name: str, num_classes: int, image_size: int, batch_size: int, optimizer_copies: int = 1) -> int:
    """Roughly what training this network takes: its weights, their gradients and `optimizer_copies`
    more (SGD's momentum 1, Adam's moments 2), and each layer's output for a batch kept for the
    backward pass, with as much again for its gradient. Worked out before any tensor exists."""
    f = footprint(name, num_classes, image_size)
    return f.weight_bytes * (2 + optimizer_copies) + 2 * batch_size * f.activation_bytes


def too_large_to_train(name: str, num_classes: int, image_size: int, batch_size: int, optimizer_copies: int = 1) -> str:
    """Why training this network at this batch size would not fit the server's limit for one run, or ""."""
    need, limit = training_bytes(name, num_classes, image_size, batch_size, optimizer_copies), max_run_bytes()
    if need <= limit:
        return ""
    f = footprint(name, num_classes, image_size)
    fits = max(1, (limit - f.weight_bytes * (2 + optimizer_copies)) // max(1, 2 * f.activation_bytes))
    return Message("models.too_large_to_train", name=name, size=image_size, batch=batch_size, need=_mb(need),
                   limit=_mb(limit), fits=fits)


def _mb(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 2**10:.0f} kB"
