"""See inside the network: what it sees for one image (the feature maps of every convolution, the
first layer's filters, Grad-CAM's map of the evidence for a class), and those maps and filters laid
out as grid images. Evaluation on a test split is cnnlib.evaluation's; enlarging an image and
laying a heat map over it, cnnlib.plots'.

Pure computation on tensors: images are uint8 (3, H, W) as everywhere in cnnlib, normalisation is
the run's `mean`/`std` lists (run.json meta "mean"/"std", or None). The grid images are uint8 numpy
arrays (H, W) or (H, W, 3) that `st.image` shows as they are. Works for every architecture in
`cnnlib.models.ARCHITECTURES`: layers are found by type (`nn.Conv2d`), never by name. Named
`inspection` so as not to shadow the standard `inspect`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.data import to_float
from cnnlib.models import Whiten

Stats = Sequence[float] | torch.Tensor | None   # per-channel mean or std, as stored in run.json


def _stats(v: Stats) -> torch.Tensor | None:
    return None if v is None else torch.as_tensor(v, dtype=torch.float32)


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


# --- what the network sees ------------------------------------------------------------------------

def conv_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    """(dotted name, module) of every nn.Conv2d, in definition order (the order the names in
    `cnnlib.models.summary` use)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def _prepare(model: nn.Module, image: torch.Tensor, mean: Stats, std: Stats) -> torch.Tensor:
    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"expected one uint8 image of shape (3, H, W), got {tuple(image.shape)}")
    return to_float(image[None].to(_device(model)), _stats(mean), _stats(std))   # (1, 3, H, W)


@torch.no_grad()
def feature_maps(model: nn.Module, image: torch.Tensor, mean: Stats = None,
                 std: Stats = None) -> dict[str, torch.Tensor]:
    """Every conv layer's output for one uint8 image (3, H, W): layer name -> (C, H', W') float, on
    the CPU, in call order. These are the raw convolution outputs, before batch norm and the activation
    (pre-activation), so their shapes are exactly those `summary()` lists for the Conv2d rows;
    negative values mean "the opposite of this filter's pattern"."""
    maps: dict[str, torch.Tensor] = {}
    # clone: a ReLU(inplace=True) right after a conv would otherwise overwrite what we keep
    hooks = [m.register_forward_hook(
                 lambda mod, inp, out, name=name: maps.__setitem__(name, out[0].detach().float().cpu().clone()))
             for name, m in conv_layers(model)]
    was_training = model.training
    model.eval()
    try:
        model(_prepare(model, image, mean, std))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return maps


def _normalize01(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """Min-max scale to [0, 1] over `dims`; a constant slice becomes 0."""
    lo = x.amin(dim=dims, keepdim=True)
    hi = x.amax(dim=dims, keepdim=True)
    return (x - lo) / (hi - lo).clamp(min=1e-12) * (hi > lo)


def _grid_shape(n: int, cols: int | None) -> tuple[int, int]:
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


def grid(tiles: np.ndarray, cols: int | None = None, pad: int = 1, pad_value: int = 255) -> np.ndarray:
    """Lay out N equal tiles (N, h, w) or (N, h, w, 3) uint8 in a grid with `pad` pixels between them."""
    n, h, w = tiles.shape[:3]
    rows, cols = _grid_shape(n, cols)
    out = np.full((rows * h + (rows - 1) * pad, cols * w + (cols - 1) * pad, *tiles.shape[3:]), pad_value,
                  dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = tiles[i]
    return out


def tile_maps(maps: torch.Tensor, cols: int | None = None, scale: int = 1, pad: int = 1,
              max_channels: int = 0) -> np.ndarray:
    """A (C, H, W) feature map as one grey uint8 grid image, each channel min-max scaled to 0..255
    on its own (so weak channels stay visible), each tile enlarged `scale` times (nearest).
    `max_channels` > 0 shows only the first that many channels."""
    if max_channels:
        maps = maps[:max_channels]
    x = (_normalize01(maps.detach().float().cpu(), (1, 2)) * 255).round().to(torch.uint8).numpy()
    if scale > 1:
        x = x.repeat(scale, axis=1).repeat(scale, axis=2)
    return grid(x, cols, pad)


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d]:
    """The first nn.Conv2d that reads the RGB image (3 input channels)."""
    for name, m in conv_layers(model):
        if m.in_channels == 3:
            return name, m
    raise ValueError("this model has no convolution with 3 input channels")


def first_layer_fitted(model: nn.Module) -> bool:
    """Whether the first layer's filters were set from the data (models.Whiten) rather than learned."""
    conv = first_conv(model)[1]
    return any(isinstance(m, Whiten) and m.conv is conv for m in model.modules())


def filter_tiles(model: nn.Module, scale: int = 8) -> np.ndarray:
    """The first layer's filters as RGB tiles: (C, k*scale, k*scale, 3) uint8, each filter min-max
    scaled to [0, 1] on its own and enlarged `scale` times (nearest, so the pixels stay visible).
    `grid(filter_tiles(model))` lays them out as one image."""
    w = first_conv(model)[1].weight.detach().float().cpu()            # (C, 3, k, k)
    w = _normalize01(w, (1, 2, 3))
    tiles = (w.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()   # (C, k, k, 3)
    return tiles.repeat(scale, axis=1).repeat(scale, axis=2)


@dataclass
class GradCAM:
    heatmap: torch.Tensor        # (H, W) float in [0, 1] at the input image's size; all 0 if no evidence
    target: int                  # the class explained
    probabilities: torch.Tensor  # (K,) softmax probabilities of the image
    layer: str                   # the conv layer the map comes from (the last one)


def grad_cam(model: nn.Module, image: torch.Tensor, target: int | None = None, mean: Stats = None,
             std: Stats = None) -> GradCAM:
    """Grad-CAM on the last conv layer for class `target` (None: the predicted class).

    The layer's output A (C, h, w) is weighted per channel by the mean gradient of the class score
    over the map; ReLU(sum_c w_c A_c) is upsampled (bilinear) to the image size and scaled to 0..1.
    A is the raw conv output (before batch norm and the activation), the layer nearest the image's layout.
    """
    name, layer = conv_layers(model)[-1]
    store: dict[str, torch.Tensor] = {}
    hook = layer.register_forward_hook(lambda mod, inp, out: store.__setitem__("a", out))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad():   # works even when called under no_grad
            x = _prepare(model, image, mean, std).requires_grad_(True)  # so A needs grad even if weights are frozen
            logits = model(x).float()                                     # (1, K)
            k = int(logits.argmax(1)) if target is None else int(target)
            if not 0 <= k < logits.shape[1]:
                raise ValueError(f"class {k} is out of range for {logits.shape[1]} classes")
            a = store["a"]                                                # (1, C, h, w)
            (g,) = torch.autograd.grad(logits[0, k], a)
    finally:
        hook.remove()
        model.train(was_training)
    weights = g.float().mean(dim=(2, 3), keepdim=True)                    # (1, C, 1, 1)
    cam = F.relu((weights * a.detach().float()).sum(1, keepdim=True))     # (1, 1, h, w)
    cam = F.interpolate(cam, size=image.shape[-2:], mode="bilinear", align_corners=False)[0, 0].clamp(min=0)
    top = cam.max()
    cam = cam / top if top > 0 else torch.zeros_like(cam)
    return GradCAM(cam.cpu(), k, logits.detach().softmax(1)[0].cpu(), name)
