"""What the app's pages ask of the library, in one place and without Streamlit: which data source
to use and how to load it, browsing batches, one browser session's run, progress text, and
predictions for uploaded files. The pages stay thin; everything here is testable on its own."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnlib.checkpoints import load_run, slug
from cnnlib.files import atomic_write
from cnnlib.config import TrainConfig
from cnnlib.data import CIFAR10_CLASSES, Dataset, augment, cifar10_status, load_builtin, load_dataset
from cnnlib.inspection import (EvalReport, GradCAM, evaluate_test, feature_maps, filter_tiles, grad_cam, grid,
                               overlay, tile_maps, upscale)
from cnnlib.models import build_model, count_parameters, summary as layer_summary
from cnnlib.predict import prepare, top_k
from cnnlib.runner import History, Runner, Slots
from cnnlib.runs import runs_dir, save_history

SOURCE_NAMES = {"cifar10": "CIFAR-10", "builtin": "Shapes-10 (built in)"}


def data_root() -> Path:
    """Where CIFAR-10 and uploaded data sets live: $CNNLAB_DATA, or ./data."""
    return Path(os.environ.get("CNNLAB_DATA", "data"))


def data_limit() -> int:
    """$CNNLAB_DATA_LIMIT: use at most this many training images of any source (0 = all); tests
    and small servers set it so that everything loads and trains in seconds."""
    v = os.environ.get("CNNLAB_DATA_LIMIT", "")
    return int(v) if v.isdigit() else 0


def default_source(root: str | os.PathLike | None = None) -> str:
    """CIFAR-10 when it is on disk, else the built-in set: never a download without being asked."""
    return "cifar10" if cifar10_status(root or data_root()) == "ready" else "builtin"


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, Path(source).stem)


def load_source(source: str, root: str | os.PathLike | None = None) -> Dataset:
    """A data source as a Dataset, never downloading (the Home page's button does that); raises
    DataError with what to do instead."""
    limit = data_limit()
    if source == "builtin" and limit:
        return load_builtin(n_train=limit, n_test=max(50, limit // 5))
    ds = load_dataset(source, root or data_root(), download=False)
    return ds.subset(limit, max(50, limit // 5)) if limit else ds


def save_upload(data: bytes, name: str, root: str | os.PathLike | None = None) -> str:
    """Keep an uploaded image-folder .zip under root/uploads (named by content) and return its
    path, which is then a data source like any folder."""
    import hashlib
    folder = Path(root or data_root()) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(Path(name).stem)[:40]}-{hashlib.sha1(data).hexdigest()[:10]}.zip"
    if not path.exists():
        atomic_write(path, data)
    return str(path)


# --- browsing ------------------------------------------------------------------------------------

@dataclass
class Batch:
    x: torch.Tensor             # (N, 3, H, W) uint8
    labels: list[str]           # class name of each image
    augmented: torch.Tensor     # the same images after the training augmentation
    number: int                 # which batch this is, 0-based
    batches: int                # how many batches the selection holds


def browse(ds: Dataset, split: str = "train", class_name: str | None = None, number: int = 0,
           shuffle_seed: int | None = None, augment_mode: str = "flip+crop", size: int = 64) -> Batch:
    """Batch `number` (wrapping around) of a split, optionally of one class and shuffled, with the
    same images after augmentation."""
    x, y = (ds.x_train, ds.y_train) if split == "train" else (ds.x_test, ds.y_test)
    idx = torch.arange(len(y))
    if class_name is not None:
        idx = (y == ds.classes.index(class_name)).nonzero().flatten()
    if shuffle_seed is not None:
        idx = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(shuffle_seed))]
    batches = max(1, -(-len(idx) // size))
    number %= batches
    idx = idx[number * size:(number + 1) * size]
    xb = x[idx]
    aug = augment(xb, augment_mode, torch.Generator().manual_seed(number))
    return Batch(xb, [ds.classes[int(i)] for i in y[idx]], aug, number, batches)


# --- one browser session's run ------------------------------------------------------------------

class SessionRun:
    """The one run a browser session may have. The app keeps one per session (a session-scoped
    cache whose release calls `close()`, so a closed tab stops its thread)."""

    def __init__(self):
        self.runner: Runner | None = None

    def start(self, cfg: TrainConfig, data: Dataset, slots: Slots | None = None,
              folder: str | os.PathLike | None = None) -> Runner:
        """Start a new run (refused while one is alive), saved into `folder` when it ends."""
        if self.runner is not None and self.runner.alive:
            raise RuntimeError("This session is already training: stop that run first.")
        folder = Path(folder or runs_dir())
        self.runner = Runner(cfg, data, slots, on_end=lambda model, h: save_history(folder, model, h))
        self.runner.start()
        return self.runner

    @property
    def busy(self) -> bool:
        """True while the run's thread is alive: training, or saving the run after it ended."""
        return self.runner is not None and self.runner.alive

    def snapshot(self) -> History | None:
        return self.runner.snapshot() if self.runner else None

    def clear(self) -> None:
        """Forget an ended run (the New run button)."""
        self.close()
        self.runner = None

    def close(self, timeout: float = 10.0) -> None:
        if self.runner is not None:
            self.runner.stop(timeout)


def progress(h: History) -> tuple[float, str]:
    """Fraction done and a one-line status: epoch, step, ETA and images per second."""
    cfg, s = h.config, h.last_step
    if s is None:
        return 0.0, {"waiting": "Waiting for a free training slot…", "loading": "Loading the data…"}.get(
            h.state, "Starting…")
    done = (s.epoch * s.steps + s.step) / (cfg.epochs * s.steps)
    eta = s.elapsed / done * (1 - done) if done > 0 else 0.0
    text = (f"Epoch {s.epoch + 1}/{cfg.epochs} · step {s.step}/{s.steps} · "
            f"ETA {_duration(eta)} · {s.images_per_s:,.0f} images/s")
    return min(1.0, done), text


def summary(h: History) -> dict[str, str]:
    """Best and final test accuracy and training time of a run, as display strings."""
    final = h.epochs[-1].test_acc if h.epochs else 0.0
    return {"Best test accuracy": f"{100 * h.best_acc():.1f} %", "Final test accuracy": f"{100 * final:.1f} %",
            "Epochs": f"{len(h.epochs)} of {h.config.epochs}", "Training time": _duration(h.seconds)}


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


# --- prediction ----------------------------------------------------------------------------------

@dataclass
class Predictor:
    name: str
    model: nn.Module
    classes: tuple[str, ...]
    image_size: int = 32
    mean: list[float] | None = None
    std: list[float] | None = None
    # one inspection at a time: a model is shared by every session, and the hooks that feature maps and
    # Grad-CAM put on it would otherwise also catch another session's forward pass
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass
class Prediction:
    original: Image.Image        # upright RGB, as uploaded
    small: torch.Tensor          # (3, S, S) uint8: what the network sees
    top: list[tuple[str, float]]  # (class, probability), most likely first


def predictor_from_folder(path: str | os.PathLike) -> Predictor:
    """A saved run as a Predictor; raises CheckpointError."""
    run = load_run(path)
    m = run.meta
    name = f"{m.get('name') or Path(path).name} ({m.get('created', '')})"
    return Predictor(name, run.model, run.classes, int(m.get("image_size", 32)), m.get("mean"), m.get("std"))


def predictor_from_runner(runner: Runner) -> Predictor | None:
    """The model of this session's run once it has ended; while it trains, a copy of the network
    as it was at the last epoch end (the training model itself is never shared)."""
    h = runner.snapshot()
    if not h.classes:
        return None
    if h.ended and runner.model is not None:
        return Predictor(f"this session's run ({h.state})", runner.model, h.classes, h.image_size, h.mean, h.std)
    if (copy := runner.epoch_model()) is None:
        return None
    model, epoch = copy
    return Predictor(f"this session's run (after epoch {epoch + 1}, still training)", model, h.classes,
                     h.image_size, h.mean, h.std)


def predict(p: Predictor, data: bytes, k: int = 3) -> Prediction:
    """An uploaded file's bytes -> what the model says. Raises ImageError for a file that is not a
    readable image or is too large."""
    prep = prepare(data, p.image_size)
    return Prediction(prep.original, prep.small, top_k(p.model, prep.small[None], p.classes, k, p.mean, p.std)[0])


def run_label(meta: dict) -> str:
    """How a saved run is listed: its name (architecture and data set), how it ended, its best test
    accuracy and when it was made."""
    best = max((e.get("test_acc", 0) for e in meta.get("epochs", [])), default=0.0)
    return (f"{meta.get('name') or 'run'} · {meta.get('state', '')} · best {100 * best:.0f} % · "
            f"{meta.get('created', '').replace('T', ' ')}")



# --- the network's architecture --------------------------------------------------------------------

def layer_table(model_name: str, num_classes: int, image_size: int = 32) -> tuple[list[dict], int]:
    """One row per layer of an architecture built for this many classes and this image size (name,
    kind, output shape, parameters), and the total parameter count. Raises ValueError when the
    architecture does not fit the image size."""
    model = build_model(model_name, num_classes, image_size=image_size)
    rows = [{"layer": r.name, "kind": r.kind, "output shape": " × ".join(map(str, r.output_shape)),
             "parameters": r.parameters} for r in layer_summary(model, (3, image_size, image_size))]
    return rows, count_parameters(model)


# --- evaluation on the test split ----------------------------------------------------------------

def mismatch(p: Predictor, ds: Dataset) -> str:
    """Why `p` cannot be used on `ds`'s images ("" if it can): the same classes, in the same order,
    and the same image size."""
    if tuple(p.classes) != tuple(ds.classes):
        where = ("CIFAR-10 (if the sidebar does not offer it, get it onto this server on the Home page)"
                 if tuple(p.classes) == CIFAR10_CLASSES else "the data set it was trained on")
        return (f"This model knows {len(p.classes)} classes ({', '.join(p.classes)}), but {ds.name} has "
                f"{len(ds.classes)} ({', '.join(ds.classes)}). Choose {where} in the sidebar, or another model.")
    if p.image_size != ds.image_size:
        return (f"This model reads {p.image_size}×{p.image_size} images, but {ds.name}'s are "
                f"{ds.image_size}×{ds.image_size}.")
    return ""


def evaluate(p: Predictor, ds: Dataset) -> EvalReport:
    """The model on the data set's test split: accuracy, confusion matrix, per class, mistakes."""
    with p.lock:
        return evaluate_test(p.model, ds, p.mean, p.std)


def mistakes(report: EvalReport, ds: Dataset, n: int = 24, scale: int = 4) -> list[tuple[np.ndarray, str]]:
    """The n most confident mistakes as (enlarged image, "true → predicted (confidence)")."""
    return [(upscale(ds.x_test[m.index], scale),
             f"{ds.classes[m.true]} → {ds.classes[m.predicted]} ({100 * m.confidence:.0f} %)")
            for m in report.mistakes[:n]]


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
                 filters, cam, overlay(image, cam.heatmap, scale=8))
