"""See inside the network: test-set evaluation (confusion matrix, per-class accuracy, the worst
mistakes) and what the network sees for one image (feature maps, first-layer filters, Grad-CAM).

Pure computation on tensors: images are uint8 (3, H, W) or (N, 3, H, W) as everywhere in cnnlib,
normalisation is the run's `mean`/`std` lists (run.json meta "mean"/"std", or None). Display
helpers return uint8 numpy arrays (H, W) or (H, W, 3) that `st.image` shows as they are.
Works for every architecture in `cnnlib.models.ARCHITECTURES`: layers are found by type
(`nn.Conv2d`), never by name. Named `inspection` so as not to shadow the standard `inspect`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.data import Dataset, to_float
from cnnlib.models import Whiten
from cnnlib.train import evaluate, per_class_accuracy
from cnnlib.words import Message

Stats = Sequence[float] | torch.Tensor | None   # per-channel mean or std, as stored in run.json

# What each view shows and how to read it, in two sentences (cnnlib.words: explain.<view>)
EXPLAIN: dict[str, str] = {view: Message(f"explain.{view}") for view in (
    "confusion", "per_class", "mistakes", "feature_maps", "filters", "filters_fitted", "gradcam", "compare")}


def _stats(v: Stats) -> torch.Tensor | None:
    return None if v is None else torch.as_tensor(v, dtype=torch.float32)


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


# --- evaluation on the test split ----------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    index: int            # position in the test split (x_test[index])
    true: int             # true class
    predicted: int        # class the network chose
    confidence: float     # softmax probability of the predicted class, 0..1


@dataclass
class EvalReport:
    accuracy: float                     # 0..1, as cnnlib.train.evaluate computes it
    loss: float                         # mean cross-entropy
    confusion: torch.Tensor             # (K, K) int64 counts; row = true class, column = predicted
    per_class: torch.Tensor             # (K,) float accuracy per true class; NaN for a class with no test image
    mistakes: list[Mistake] = field(default_factory=list)   # most confident mistake first
    # every test image's answer, compact because reports are cached for the whole server (N bytes x 6)
    labels: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int16), repr=False)
    predictions: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int16), repr=False)
    confidence: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.float16), repr=False)


def confusion_matrix(y: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K, K) int64 counts; row = true class, column = predicted class."""
    k = num_classes
    idx = y.cpu().long() * k + predictions.cpu().long()
    return torch.bincount(idx, minlength=k * k).reshape(k, k)


def evaluate_split(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
                   mean: Stats = None, std: Stats = None, batch_size: int = 0, tta: str = "none") -> EvalReport:
    """Confusion matrix, per-class accuracy and mistakes of `model` on uint8 x (N, 3, H, W), labels y;
    each answer averaged over the `tta` views (TrainConfig.tta), as the run's own tests were."""
    ev = evaluate(model, x, y, _stats(mean), _stats(std), batch_size=batch_size, tta=tta)
    cm = confusion_matrix(y, ev.predictions, num_classes)
    y_cpu = y.cpu()
    per_class = torch.tensor(per_class_accuracy(ev.predictions, y_cpu, num_classes, empty=math.nan),
                             dtype=torch.float64)
    wrong = (ev.predictions != y_cpu).nonzero().flatten()
    order = wrong[ev.confidence[wrong].argsort(descending=True, stable=True)]
    mistakes = [Mistake(int(i), int(y_cpu[i]), int(ev.predictions[i]), float(ev.confidence[i]))
                for i in order.tolist()]
    return EvalReport(ev.accuracy, ev.loss, cm, per_class, mistakes, y_cpu.to(torch.int16),
                      ev.predictions.cpu().to(torch.int16), ev.confidence.cpu().to(torch.float16))


@dataclass(frozen=True)
class CellImages:
    indices: list[int]        # positions in the test split, most confident answer first
    confidence: list[float]   # the network's confidence in its answer for each, 0..1
    more: int                 # how many more images the cell holds than `indices` lists


def cell_images(report: EvalReport, true: int, predicted: int | None = None, limit: int = 16) -> CellImages:
    """The test images of class `true` that the network answered `predicted` (a cell of the confusion
    matrix; the diagonal holds the class's correct answers), or every wrong answer for `true` when
    `predicted` is None (a bar of the per-class chart): at most `limit`, the most confident first
    (ties in test-split order)."""
    hit = report.labels == true
    hit &= (report.predictions != true) if predicted is None else (report.predictions == predicted)
    found = hit.nonzero().flatten()
    order = found[report.confidence[found].float().argsort(descending=True, stable=True)]
    shown = order[:max(0, limit)]
    return CellImages(shown.tolist(), report.confidence[shown].float().tolist(), len(order) - len(shown))


def evaluate_test(model: nn.Module, data: Dataset, mean: Stats = None, std: Stats = None,
                  batch_size: int = 0, tta: str = "none") -> EvalReport:
    """`evaluate_split` on a data set's test split."""
    return evaluate_split(model, data.x_test, data.y_test, len(data.classes), mean, std, batch_size, tta)


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


# --- display helpers ---------------------------------------------------------------------------

# a perceptual blue -> cyan -> green -> yellow -> red ramp (anchors of "turbo"), value 0..1
_RAMP = np.array([[48, 18, 59], [70, 130, 248], [26, 228, 182], [164, 252, 60],
                  [251, 185, 56], [228, 70, 10], [122, 4, 3]], dtype=np.float64)


def colorize(heatmap: torch.Tensor | np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 colours, blue (0) to red (1)."""
    v = np.clip(np.asarray(heatmap, dtype=np.float64), 0, 1) * (len(_RAMP) - 1)
    i = np.minimum(v.astype(int), len(_RAMP) - 2)
    t = (v - i)[..., None]
    return np.round(_RAMP[i] * (1 - t) + _RAMP[i + 1] * t).astype(np.uint8)


def upscale(image: torch.Tensor, scale: int = 8) -> np.ndarray:
    """uint8 (3, H, W) tensor -> (H*scale, W*scale, 3) uint8 array, nearest neighbour (pixels stay sharp)."""
    x = image.detach().cpu().permute(1, 2, 0).numpy()
    return x.repeat(scale, axis=0).repeat(scale, axis=1)


def overlay(image: torch.Tensor, heatmap: torch.Tensor, alpha: float = 0.5, scale: int = 8) -> np.ndarray:
    """Blend a (H, W) heatmap in [0, 1] onto the uint8 (3, H, W) image, both enlarged `scale` times
    (the image nearest, the heatmap bilinear): (H*scale, W*scale, 3) uint8 RGB."""
    h, w = image.shape[-2:]
    hm = F.interpolate(heatmap.detach().float().cpu()[None, None], size=(h * scale, w * scale),
                       mode="bilinear", align_corners=False)[0, 0].clamp(0, 1)
    blend = (1 - alpha) * upscale(image, scale).astype(np.float64) + alpha * colorize(hm.numpy())
    return np.clip(np.round(blend), 0, 255).astype(np.uint8)
