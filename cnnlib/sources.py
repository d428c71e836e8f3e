"""The app's data sources, without Streamlit: which ones there are (CIFAR-10, the built-in
Shapes-10, uploaded image-folder zips), where they are kept, loading one, and browsing its batches
as the Data page shows them; and which uploaded zips are kept, within a limit of disk space."""
from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch

from cnnlib.data import SHAPES10_NAME, DataError, Dataset, augment, cifar10_status, load_builtin, load_dataset
from cnnlib.files import atomic_write, remove_leftovers, saving, slug
from cnnlib.memory import release_memory

SOURCE_NAMES = {"cifar10": "CIFAR-10", "builtin": SHAPES10_NAME}   # (a page says them in its language: words.tr)


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
    return "cifar10" if cifar10_status(root or data_root()) in ("ready", "compact") else "builtin"


def source_name(source: str) -> str:
    """What a source is called on screen and in messages: an uploaded zip by the name it was uploaded
    with (save_upload keeps it as <name>-<hash of its content>.zip)."""
    if source in SOURCE_NAMES:
        return SOURCE_NAMES[source]
    path = Path(source)
    return re.sub(r"-[0-9a-f]{10}$", "", path.stem) if path.parent.name == "uploads" else path.stem


def load_source(source: str, root: str | os.PathLike | None = None) -> Dataset:
    """A data source as a Dataset, never downloading (the Home page's button does that); raises
    DataError with what to do instead. Loading an upload marks it used (see trim_uploads). What the
    loading freed (a zip's decoding, a cache file's reading, Shapes-10's drawing) goes back to the
    system at once: a server loads a set once and keeps it for hours."""
    limit = data_limit()
    try:
        if source == "builtin" and limit:
            return load_builtin(n_train=limit, n_test=max(50, limit // 5))
        if Path(source).parent.resolve() == uploads_dir(root).resolve():
            mark_used(source)
        ds = load_dataset(source, root or data_root(), download=False,
                          name=source_name(source) + Path(source).suffix)
        return ds.subset(limit, max(50, limit // 5)) if limit else ds
    finally:
        release_memory()


# --- uploads kept on the server ------------------------------------------------------------------
# An uploaded image-folder zip is kept under data/uploads, named by its content, so that it is a data
# source like any folder; its decoded tensors are kept beside the other caches in data/cache. A zip
# that cannot be used is deleted at once. The rest are kept within CNNLAB_UPLOADS_MB: beyond it the
# least recently used go first, but never one that a live session offers or that is being added.

UPLOADS_MB = 500                      # default of CNNLAB_UPLOADS_MB
_guard = threading.Lock()             # guards _locks
_locks: dict[str, threading.RLock] = {}   # one per upload path: held while it is saved, loaded or deleted
T = TypeVar("T")


def uploads_dir(root: str | os.PathLike | None = None) -> Path:
    return Path(root or data_root()) / "uploads"


def uploads_limit() -> int:
    """$CNNLAB_UPLOADS_MB in bytes: the disk space kept uploads (zips and their decoded copies) may
    take before the least recently used are deleted."""
    v = os.environ.get("CNNLAB_UPLOADS_MB", "")
    return (int(v) if v.isdigit() else UPLOADS_MB) * 2**20


def _key(path: str | os.PathLike) -> str:
    return str(Path(path).resolve())


def _lock(path: Path) -> threading.RLock:
    with _guard:
        return _locks.setdefault(_key(path), threading.RLock())


def upload_path(data: bytes, name: str, root: str | os.PathLike | None = None) -> Path:
    """Where an upload is kept: its name as a slug and a hash of its bytes (the same file uploaded
    twice, or by several sessions, is kept once)."""
    return uploads_dir(root) / f"{slug(Path(name).stem)[:40]}-{hashlib.sha1(data).hexdigest()[:10]}.zip"


def save_upload(data: bytes, name: str, root: str | os.PathLike | None = None) -> str:
    """Keep an uploaded image-folder .zip under root/uploads (named by content) and return its
    path, which is then a data source like any folder. Sessions saving the same file at once each
    get the whole file; a full disk raises files.DiskFull and leaves nothing."""
    path = upload_path(data, name, root)
    with _lock(path), saving("the upload"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            atomic_write(path, data)
    mark_used(path)
    return str(path)


def add_upload(data: bytes, name: str, load: Callable[[str], T], in_use: Iterable[str] = (),
               root: str | os.PathLike | None = None) -> tuple[str, T]:
    """Keep an uploaded zip (`save_upload`) and load it with `load(path)`. One that cannot be used
    (`load` raises DataError) is deleted at once; a usable one is kept, and older uploads beyond
    the server's limit are deleted (`trim_uploads`, sparing `in_use`: the paths live sessions use).
    Sessions adding the same file at once take turns, so that none loses the file to another's
    deletion."""
    path = upload_path(data, name, root)
    with _lock(path):                 # trim_uploads passes over an upload while its lock is held
        save_upload(data, name, root)
        try:
            result = load(str(path))
        except DataError:
            discard_upload(path, root)   # the same bytes fail for everyone: no one else can be using it
            raise
    trim_uploads({*in_use, str(path)}, root)
    return str(path), result


def mark_used(path: str | os.PathLike) -> None:
    """Note that an upload was used now, in its access time: its modification time is part of its
    decoded copy's cache key (data._folder_cache), so it must not change."""
    try:
        st = os.stat(path)
        os.utime(path, ns=(time.time_ns(), st.st_mtime_ns))
    except OSError:
        pass                          # a read-only or vanished file: nothing to keep track of


def _caches(root: str | os.PathLike | None) -> dict[str, list[Path]]:
    """The decoded copies in root/cache, by the stem of the file they were made from."""
    out: dict[str, list[Path]] = {}
    folder = Path(root or data_root()) / "cache"
    for p in folder.glob("*.pt") if folder.is_dir() else ():
        if re.fullmatch(r".+-[0-9a-f]{16}\.pt", p.name):
            out.setdefault(p.name[:-20], []).append(p)     # "<stem>-<16 hex>.pt"
    return out


def discard_upload(path: str | os.PathLike, root: str | os.PathLike | None = None) -> None:
    """Delete a kept upload and its decoded copies."""
    path = Path(path)
    with _lock(path):
        for p in [path, *_caches(root).get(path.stem, [])]:
            p.unlink(missing_ok=True)


def _last_used(path: Path) -> float | None:
    try:
        st = path.stat()
    except OSError:
        return None                   # deleted meanwhile
    return max(st.st_atime, st.st_mtime)


def trim_uploads(in_use: Iterable[str] = (), root: str | os.PathLike | None = None,
                 limit: int | None = None) -> list[Path]:
    """Delete kept uploads, least recently used first, until they and their decoded copies take at
    most `limit` bytes (uploads_limit()); never one in `in_use`, being added, or used since this
    began. Returns the deleted."""
    limit = uploads_limit() if limit is None else limit
    caches = _caches(root)
    kept = []
    for zip_path in uploads_dir(root).glob("*.zip"):
        used = _last_used(zip_path)
        try:
            size = zip_path.stat().st_size + sum(c.stat().st_size for c in caches.get(zip_path.stem, []))
        except OSError:
            continue
        if used is not None:
            kept.append((used, zip_path, size))
    total = sum(size for *_, size in kept)
    in_use = {_key(p) for p in in_use}
    deleted = []
    for used, zip_path, size in sorted(kept):
        if total <= limit:
            break
        lock = _lock(zip_path)
        if _key(zip_path) in in_use or not lock.acquire(blocking=False):
            continue                  # in use, or a session is adding it now
        try:
            if _last_used(zip_path) != used:
                continue              # used since it was listed
            discard_upload(zip_path, root)
        finally:
            lock.release()
        total -= size
        deleted.append(zip_path)
    return deleted


def clean_up_data(root: str | os.PathLike | None = None) -> None:
    """At start: remove what killed writes left in the data folder (temporary files), and trim the
    kept uploads to the limit (no session is live yet)."""
    root = Path(root or data_root())
    for folder in (root, uploads_dir(root), root / "cache"):
        remove_leftovers(folder)
    trim_uploads(set(), root)


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
