"""A trained network in use, without Streamlit: the one way the pages (through the ui package) and the command
line load a saved run (`predictor_from_folder`), or take this session's run still training
(`predictor_from_runner`), and then ask it about images. An uploaded file is prepared as the network
sees it (`prepare`) and answered with its most likely classes (`predict`, `top_k`); the network is
tested on a data set's test split (`evaluate`; whether it can be, `mismatch`), shows what it sees
(`see`: Grad-CAM, feature maps, filters) and what fools it (`fool`, `robustness`). Every answer
averages the logits over the test-time views its run was tested with (cnnlib.tta).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnlib.adversarial import EPSILONS, SAMPLE, accuracy_vs_epsilon, fgsm, perturbation_image, pgd, quantize, sample
from cnnlib.checkpoints import load_run
from cnnlib.data import Dataset, to_float
from cnnlib.evaluation import EvalReport, evaluate_test
from cnnlib.images import DISPLAY_SIDE, ImageError, decode, display_copy, to_tensor_uint8
from cnnlib.inspection import GradCAM, feature_maps, filter_tiles, first_layer_fitted, grad_cam, grid, tile_maps
from cnnlib.plots import overlay, upscale
from cnnlib.runner import Runner
from cnnlib.tta import view_logits
from cnnlib.words import Message

# --- an image as the network sees it -------------------------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 ** 2   # one uploaded image, bytes


@dataclass
class Prepared:
    original: Image.Image        # upright RGB, at most DISPLAY_SIDE pixels a side: what a page shows
    size: tuple[int, int]        # the upright width and height as uploaded
    small: torch.Tensor          # (3, S, S) uint8: what the network sees


def prepare(data: bytes, size: int = 32) -> Prepared:
    """Bytes of an uploaded file -> a display copy, the size as uploaded and the small image the
    network sees; the full decode is dropped here. Raises ImageError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(Message("images.file_too_big", mb=len(data) / 2**20, limit=MAX_UPLOAD_BYTES / 2**20))
    im, uploaded = decode(data, min_side=max(size, DISPLAY_SIDE))
    return Prepared(display_copy(im), uploaded, to_tensor_uint8(im, size))


@torch.inference_mode()
def probabilities(model: nn.Module, x: torch.Tensor, mean: list[float] | None = None,
                  std: list[float] | None = None, tta: str = "none") -> torch.Tensor:
    """(N, 3, S, S) uint8 -> (N, classes) softmax probabilities, in eval mode, from the logits
    averaged over the `tta` views (TrainConfig.tta), as the engine's evaluate() tests a run."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    m = torch.tensor(mean) if mean is not None else None
    s = torch.tensor(std) if std is not None else None
    p = view_logits(model, to_float(x.to(device), m, s), tta).softmax(1).cpu()
    model.train(was)
    return p


def top_k(model: nn.Module, x: torch.Tensor, classes: tuple[str, ...], k: int = 3,
          mean: list[float] | None = None, std: list[float] | None = None,
          tta: str = "none") -> list[list[tuple[str, float]]]:
    """For each image, the k most likely classes with their probabilities, most likely first."""
    p = probabilities(model, x, mean, std, tta)
    vals, idx = p.topk(min(k, p.shape[1]), dim=1)
    return [[(classes[i], float(v)) for v, i in zip(vr, ir)] for vr, ir in zip(vals.tolist(), idx.tolist())]


# --- prediction ----------------------------------------------------------------------------------

@dataclass
class Predictor:
    name: str
    model: nn.Module
    classes: tuple[str, ...]
    image_size: int = 32
    mean: list[float] | None = None
    std: list[float] | None = None
    tta: str = "none"                 # the test-time views the run's own tests averaged (TrainConfig.tta)
    # one inspection at a time: a model is shared by every session, and the hooks that feature maps and
    # Grad-CAM put on it would otherwise also catch another session's forward pass
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass
class Prediction:
    original: Image.Image        # upright RGB, at most images.DISPLAY_SIDE pixels a side (a session keeps it)
    size: tuple[int, int]        # the upright width and height as uploaded
    small: torch.Tensor          # (3, S, S) uint8: what the network sees
    top: list[tuple[str, float]]  # (class, probability), most likely first


def predictor_from_folder(path: str | os.PathLike) -> Predictor:
    """A saved run as a Predictor; raises CheckpointError."""
    run = load_run(path)
    m = run.meta
    name = f"{m.get('name') or Path(path).name} ({m.get('created', '')})"
    return Predictor(name, run.model, run.classes, int(m.get("image_size", 32)), m.get("mean"), m.get("std"),
                     run.config.tta)


def predictor_from_runner(runner: Runner) -> Predictor | None:
    """The model of this session's run once it has ended, until it is saved (a saved run is used from its
    folder); while it trains, a copy of the network as it was at the last epoch end (the training model
    itself is never shared)."""
    model = runner.model        # before the history: a network gone by then was saved, and the history says so
    h = runner.snapshot()
    if not h.classes:
        return None
    if h.ended and model is not None:
        return Predictor(f"this session's run ({h.state})", model, h.classes, h.image_size, h.mean, h.std,
                         h.config.tta)
    if (copy := runner.epoch_model()) is None:
        return None
    model, epoch = copy
    return Predictor(f"this session's run (after epoch {epoch + 1}, still training)", model, h.classes,
                     h.image_size, h.mean, h.std, h.config.tta)


def predict(p: Predictor, data: bytes, k: int = 3) -> Prediction:
    """An uploaded file's bytes -> what the model says. Raises ImageError for a file that is not a
    readable image or is too large."""
    prep = prepare(data, p.image_size)
    top = top_k(p.model, prep.small[None], p.classes, k, p.mean, p.std, p.tta)[0]
    return Prediction(prep.original, prep.size, prep.small, top)


# --- evaluation on the test split ----------------------------------------------------------------

def mismatch(p: Predictor, ds: Dataset) -> str:
    """Why `p` cannot be used on `ds`'s images: "classes" when they are not the same classes in the same
    order, "size" when its images are of another size; "" when it can. (What a page says about it is
    ui.models.mismatch's.)"""
    if tuple(p.classes) != tuple(ds.classes):
        return "classes"
    if p.image_size != ds.image_size:
        return "size"
    return ""


def evaluate(p: Predictor, ds: Dataset) -> EvalReport:
    """The model on the data set's test split: accuracy, confusion matrix, per class, mistakes; with
    the test-time views its run was tested with, so the accuracy matches the run's record."""
    with p.lock:
        return evaluate_test(p.model, ds, p.mean, p.std, tta=p.tta)


# --- what the network sees -----------------------------------------------------------------------

@dataclass
class Sight:
    image: np.ndarray                 # the (S, S) input, enlarged, RGB uint8
    probabilities: torch.Tensor       # (K,) softmax probabilities
    maps: dict[str, np.ndarray]       # conv layer -> grid image of its channels (grey uint8)
    shapes: dict[str, tuple]          # conv layer -> (C, H, W) of its output
    filters: np.ndarray               # the first layer's filters as one RGB grid image
    cam: GradCAM
    overlay: np.ndarray               # Grad-CAM heat on the enlarged image
    filters_fitted: bool = False      # the first layer was set from the data, not learned (models.Whiten)


def see(p: Predictor, image: torch.Tensor, target: int | None = None, max_channels: int = 64) -> Sight:
    """Everything the Inspect page shows for one uint8 (3, S, S) image: feature maps of every conv
    layer (at most `max_channels` each), the first layer's filters and Grad-CAM for `target`
    (None: the predicted class)."""
    with p.lock:
        maps = feature_maps(p.model, image, p.mean, p.std)
        cam = grad_cam(p.model, image, target, p.mean, p.std)
        filters = grid(filter_tiles(p.model), pad=2)
    grids = {name: tile_maps(m, scale=max(1, 48 // m.shape[-1]), max_channels=max_channels)
             for name, m in maps.items()}
    return Sight(upscale(image, 8), cam.probabilities, grids, {n: tuple(m.shape) for n, m in maps.items()},
                 filters, cam, overlay(image, cam.heatmap, scale=8), first_layer_fitted(p.model))


# --- fooling the network -------------------------------------------------------------------------

@dataclass
class Fooled:
    perturbed: torch.Tensor           # (3, S, S) uint8: the image after the attack
    original: np.ndarray              # the image, enlarged, RGB uint8
    perturbation: np.ndarray          # the change, magnified to show (grey: none), enlarged
    adversarial: np.ndarray           # the perturbed image, enlarged
    before: GradCAM                   # Grad-CAM of the predicted class, and the probabilities, before...
    after: GradCAM                    # ...and after the attack
    overlay_before: np.ndarray
    overlay_after: np.ndarray


def fool(p: Predictor, image: torch.Tensor, epsilon: float, steps: int = 0, before: GradCAM | None = None) -> Fooled:
    """Attack one uint8 (3, S, S) image against the network's own answer: FGSM (`steps` = 0) or PGD of
    `steps` steps, with `epsilon` in [0, 1] pixel units; the result as a uint8 image, with Grad-CAM
    of the predicted class before and after. `before`: that Grad-CAM of the image if it is at hand
    (`see`'s, when it looked at the predicted class), so that it is not worked out twice."""
    with p.lock:
        before = before or grad_cam(p.model, image, None, p.mean, p.std)
        y = torch.tensor([before.target])
        x = (pgd(p.model, image[None], y, epsilon, steps, p.mean, p.std) if steps
             else fgsm(p.model, image[None], y, epsilon, p.mean, p.std))
        adv = quantize(x)[0]
        after = grad_cam(p.model, adv, None, p.mean, p.std)
    return Fooled(adv, upscale(image, 8), upscale(perturbation_image(image, adv, epsilon), 8), upscale(adv, 8),
                  before, after, overlay(image, before.heatmap), overlay(adv, after.heatmap))


def robustness(p: Predictor, ds: Dataset, epsilons: Sequence[float] = EPSILONS, n: int = SAMPLE) -> list[float]:
    """FGSM's test accuracy (0..1) at each epsilon on the same `n` test images of `ds` every time."""
    idx = sample(len(ds.y_test), n)
    with p.lock:
        return accuracy_vs_epsilon(p.model, ds.x_test[idx], ds.y_test[idx], epsilons, p.mean, p.std)
