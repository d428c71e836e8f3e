"""The app's data sources, without Streamlit: which ones there are (CIFAR-10, the built-in
Shapes-10, uploaded image-folder zips), where they are kept, loading one, and browsing its batches
as the Data page shows them."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from cnnlib.checkpoints import slug
from cnnlib.data import Dataset, augment, cifar10_status, load_builtin, load_dataset
from cnnlib.files import atomic_write

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
    """What a source is called on screen and in messages: an uploaded zip by the name it was uploaded
    with (save_upload keeps it as <name>-<hash of its content>.zip)."""
    if source in SOURCE_NAMES:
        return SOURCE_NAMES[source]
    path = Path(source)
    return re.sub(r"-[0-9a-f]{10}$", "", path.stem) if path.parent.name == "uploads" else path.stem


def load_source(source: str, root: str | os.PathLike | None = None) -> Dataset:
    """A data source as a Dataset, never downloading (the Home page's button does that); raises
    DataError with what to do instead."""
    limit = data_limit()
    if source == "builtin" and limit:
        return load_builtin(n_train=limit, n_test=max(50, limit // 5))
    ds = load_dataset(source, root or data_root(), download=False, name=source_name(source) + Path(source).suffix)
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
