"""Adversarial examples: images changed by a few levels per pixel, too little for a person to see,
that change what the network says. The fast gradient sign method (FGSM), a few steps of projected
gradient descent (PGD), and test accuracy against the size of the change.

Images are uint8 (N, 3, H, W) as everywhere in cnnlib; the attacks work on them as floats in [0, 1]
(what `data.to_float` makes before the run's `mean`/`std`), so `epsilon` is in those units: 8/255 is
"at most 8 levels of 255 per pixel and colour". The normalisation is done inside the attacked
function, so the gradient is the one with respect to the image itself. Attacked images come back
as floats in [0, 1]; `quantize` makes them uint8 images again (exactly, for an epsilon of k/255 and FGSM).
The model is put in eval mode and its weights are not asked for gradients; the caller holds the
model's lock (inference.Predictor.lock) when the model is shared.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

Stats = Sequence[float] | torch.Tensor | None   # per-channel mean or std, as stored in run.json

EPSILONS = tuple(k / 255 for k in (0, 1, 2, 4, 8, 16))   # the accuracy chart's points
SAMPLE = 500                                             # test images the accuracy chart attacks
PGD_STEPS = 10
# Images of 32 pixels attacked at a time (fewer of larger ones: the same pixels): an attack keeps every
# layer's activations for its gradient, so the batch sets how much memory a server needs (BENCHMARKS.md §6)
ATTACK_BATCH = 64


def attack_batch(image_side: int) -> int:
    """How many images of `image_side` pixels an attack takes at a time: ATTACK_BATCH's pixels, at least one."""
    return max(1, ATTACK_BATCH * 32 * 32 // max(1, image_side) ** 2)


def _unit(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 images (or floats already in [0, 1]) -> float32 in [0, 1] on `device`."""
    x = images.to(device)
    return x.float().div(255) if x.dtype == torch.uint8 else x.float()


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@contextmanager
def _attacking(model: nn.Module) -> Iterator[None]:
    """Eval mode, weights not asked for gradients, gradients on; all as it was afterwards."""
    was_training = model.training
    wanted = [p for p in model.parameters() if p.requires_grad]
    model.eval()
    for p in wanted:
        p.requires_grad_(False)
    try:
        with torch.inference_mode(False), torch.enable_grad():
            yield
    finally:
        for p in wanted:
            p.requires_grad_(True)
        model.train(was_training)


def _logits(model: nn.Module, x01: torch.Tensor, mean: Stats, std: Stats) -> torch.Tensor:
    if mean is not None:
        m = torch.as_tensor(mean, dtype=torch.float32, device=x01.device)[:, None, None]
        s = torch.as_tensor(std, dtype=torch.float32, device=x01.device)[:, None, None]
        x01 = (x01 - m) / s
    return model(x01).float()


def _sign_of_gradient(model: nn.Module, x01: torch.Tensor, y: torch.Tensor, mean: Stats,
                      std: Stats) -> tuple[torch.Tensor, torch.Tensor]:
    """(sign of d loss / d image, the logits) at x01: the direction that raises the loss fastest per pixel."""
    x = x01.detach().requires_grad_(True)
    logits = _logits(model, x, mean, std)
    (g,) = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), x)
    return g.sign(), logits.detach()


def fgsm(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epsilon: float,
         mean: Stats = None, std: Stats = None) -> torch.Tensor:
    """The fast gradient sign method: each pixel moved by `epsilon` (in [0, 1] units) in the direction
    that raises the loss of `labels`, then clipped to [0, 1]. Float (N, 3, H, W) in [0, 1]."""
    device = _device(model)
    with _attacking(model):
        x0 = _unit(images, device)          # made here: under inference mode it could not take a gradient
        sign, _ = _sign_of_gradient(model, x0, labels.to(device), mean, std)
        return (x0 + epsilon * sign).clamp(0, 1).detach()


def pgd(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epsilon: float, steps: int = PGD_STEPS,
        mean: Stats = None, std: Stats = None) -> torch.Tensor:
    """Projected gradient descent: FGSM's image, then `steps` smaller signed steps (2.5 epsilon / steps
    each), each projected back to within `epsilon` of the image and to [0, 1]. Per image it keeps the
    first iterate the network gets wrong, so it fools at least every image FGSM fools; else the last."""
    device = _device(model)
    step = 2.5 * epsilon / max(1, steps)
    with _attacking(model):
        y, x0 = labels.to(device), _unit(images, device)
        sign, _ = _sign_of_gradient(model, x0, y, mean, std)
        x = (x0 + epsilon * sign).clamp(0, 1)
        best = x.clone()
        fooled = torch.zeros(len(y), dtype=torch.bool, device=device)
        for _ in range(steps):
            sign, logits = _sign_of_gradient(model, x, y, mean, std)
            now = (logits.argmax(1) != y) & ~fooled
            best[now], fooled = x[now], fooled | now
            x = torch.min(torch.max(x + step * sign, x0 - epsilon), x0 + epsilon).clamp(0, 1)
        best[~fooled] = x[~fooled]           # fooled at the last step, or never: the last iterate
        return best.detach()


def quantize(x01: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] -> uint8, to the nearest level (what saving them as a PNG would keep)."""
    return (x01.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu()


def perturbation_image(original: torch.Tensor, perturbed: torch.Tensor, epsilon: float) -> torch.Tensor:
    """The change between two uint8 (3, H, W) images, magnified to show: grey is no change, full colour
    +epsilon, its opposite -epsilon. uint8 (3, H, W)."""
    delta = (perturbed.float() - original.float()) / 255
    scaled = 0.5 + delta / (2 * epsilon) if epsilon > 0 else torch.full_like(delta, 0.5)
    return quantize(scaled)


def sample(n_test: int, n: int = SAMPLE, seed: int = 0) -> torch.Tensor:
    """The same `n` test indices every time for a test split of `n_test` images (all if fewer)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(n_test, generator=g)[:n].sort().values


def accuracy_vs_epsilon(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                        epsilons: Sequence[float] = EPSILONS, mean: Stats = None, std: Stats = None,
                        steps: int = 0, batch_size: int = 0) -> list[float]:
    """Accuracy (0..1) on uint8 images attacked with each epsilon: FGSM, or PGD of `steps` steps, `batch_size`
    images at a time (0: attack_batch's for their size). FGSM's direction does not depend on epsilon, so it is
    computed once per batch for all of them."""
    device = _device(model)
    batch_size = batch_size or attack_batch(images.shape[-1])
    correct = np.zeros(len(epsilons))
    for start in range(0, len(labels), batch_size):
        x, y = images[start:start + batch_size], labels[start:start + batch_size].to(device)
        with _attacking(model):
            x0 = _unit(x, device)
            sign = None if steps else _sign_of_gradient(model, x0, y, mean, std)[0]
            for k, eps in enumerate(epsilons):
                adv = pgd(model, x, y, eps, steps, mean, std) if steps else (x0 + eps * sign).clamp(0, 1)
                with torch.no_grad():
                    correct[k] += int((_logits(model, adv, mean, std).argmax(1) == y).sum())
    return [float(c) / max(1, len(labels)) for c in correct]
