"""Saving and loading runs: weights (state_dict) in `weights.pt`, and `run.json` beside them
with the config, class names, per-epoch metrics and library versions; and, for a run that can be
continued exactly, `optimizer.pt` with where its training stood (train.TrainState: the epochs and
steps done, the optimiser's state), checked and size-limited on load as the weights are.

Writes are atomic: a run folder is written hidden, then renamed into place, so that it appears
whole or not at all; a full disk raises files.DiskFull. Loading checks every size before reading or
building anything: run.json against its schema and the network it names against the server's memory
limit (cnnlib.runfile), weights.pt against the size of that network's state_dict. It then uses
`weights_only=True` and checks that the weights fit the architecture and classes exactly, so a
corrupt, foreign or malicious file is refused with a clear message; every failure is a CheckpointError.
"""
from __future__ import annotations

import errno
import importlib.metadata
import io
import json
import os
import platform
import secrets
import shutil
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from cnnlib import runfile
from cnnlib.config import TrainConfig
from cnnlib.files import atomic_write, fsync_dir, saving, slug
from cnnlib.models import build_model
from cnnlib.runfile import FORMAT, CheckpointError
from cnnlib.train import TrainState
from cnnlib.words import Message

WEIGHTS, META, OPTIMIZER = "weights.pt", "run.json", "optimizer.pt"
MAX_BUNDLE_BYTES = 64 * 1024 ** 2   # an uploaded run file, bytes
PARTIAL = ".partial-"              # a run folder being written; hidden, and renamed into place when whole


@dataclass
class Run:
    model: nn.Module
    config: TrainConfig
    classes: tuple[str, ...]
    meta: dict               # run.json, checked and normalised (cnnlib.runfile)
    optimizer: bytes = b""   # a bundle's optimizer.pt, checked (load_train_state); b"" for none


def new_run_folder(parent: str | os.PathLike, name: str, tag: str = "") -> Path:
    """A fresh folder name for a run in `parent`: the time, the name as a slug, `tag` if any, and ~2,
    ~3… when a run of that name was saved in the same second (nothing is ever written over). The ~n
    only knows this server's folder: a runs store shared by several servers needs the tag too."""
    target = Path(parent) / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug(name)}{'-' + tag if tag else ''}"
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{target.name.rsplit('~', 1)[0]}~{n}")
    return target


def _version(package: str) -> str:
    """An installed package's version, without importing it (torchvision would cost 170 MB of memory)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


def run_meta(cfg: TrainConfig, classes, epochs=(), name: str = "", dataset: str = "", state: str = "finished",
             image_size: int = 32, **extra) -> dict:
    return {
        "format": FORMAT,
        "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "state": state,
        "dataset": dataset,
        "classes": list(classes),
        "image_size": image_size,
        "config": cfg.to_dict(),
        "epochs": [asdict(e) if not isinstance(e, dict) else e for e in epochs],
        "versions": {"torch": torch.__version__, "torchvision": _version("torchvision"),
                     "python": platform.python_version()},
        **extra,
    }


def _run_files(model: nn.Module, meta: dict, half: bool = False, train_state: dict | bytes | None = None
               ) -> dict[str, bytes]:
    """A run's files as bytes: its weights (float16 if `half`) and its run.json; with `train_state`
    (train.TrainState.to_dict(), or the bytes of an optimizer.pt), its optimizer.pt too."""
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    torch.save(state, buf)
    files = {WEIGHTS: buf.getvalue(), META: json.dumps(meta, indent=1).encode()}
    if isinstance(train_state, dict):
        buf = io.BytesIO()
        torch.save(train_state, buf)
        files[OPTIMIZER] = buf.getvalue()
    elif train_state:
        files[OPTIMIZER] = train_state
    return files


def _write_partial(parent: Path, name: str, files: dict[str, bytes]) -> Path:
    """The files of a run in a new hidden folder in `parent`, flushed to disk. Its name holds this
    process's id, so that runs.clean_up knows when a killed save left it; nothing lists it."""
    partial = parent / f"{PARTIAL}{slug(name)[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
    parent.mkdir(parents=True, exist_ok=True)
    partial.mkdir()
    try:
        for file, data in files.items():
            with open(partial / file, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        fsync_dir(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return partial


def _publish(partial: Path, target: Path) -> bool:
    """Rename the finished partial folder to `target` in one step; False if `target` is a folder with
    something in it already (another run took the name since it was chosen)."""
    try:
        os.rename(partial, target)
    except OSError as e:
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
            return False
        raise
    fsync_dir(target.parent)
    return True


def save_run(folder: str | os.PathLike, model: nn.Module, meta: dict, half: bool = False,
             train_state: dict | bytes | None = None) -> Path:
    """Save a run as the folder `folder`, which appears whole or not at all: weights.pt and run.json
    are written into a hidden partial folder beside it, flushed to disk, and the folder is renamed
    into place. Over an existing run, each file is replaced atomically instead. `half` stores
    floating-point weights as float16 (half the size; loading casts them back). A full disk raises
    files.DiskFull and leaves nothing behind. With `train_state`, optimizer.pt is written too."""
    folder = Path(folder)
    files = _run_files(model, meta, half, train_state)
    with saving(Message("what.the_run_named", name=folder.name)):
        if folder.is_dir() and any(folder.iterdir()):
            for file, data in files.items():
                atomic_write(folder / file, data)
            return folder
        partial = _write_partial(folder.parent, folder.name, files)
        try:
            if not _publish(partial, folder):
                raise FileExistsError(errno.EEXIST, f"{folder} was made by someone else meanwhile")
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return folder


def save_new_run(parent: str | os.PathLike, name: str, model: nn.Module, meta: dict, half: bool = False,
                 train_state: dict | bytes | None = None, tag: str = "") -> Path:
    """Save a run as a new folder in `parent` (named by `new_run_folder`, with `tag`), as `save_run`
    does; two sessions saving runs of one name in the same second get a folder each, never one over
    the other."""
    parent = Path(parent)
    with saving(Message("what.the_run")):
        partial = _write_partial(parent, name, _run_files(model, meta, half, train_state))
        try:
            while not _publish(partial, target := new_run_folder(parent, name, tag)):
                pass
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return target


def check_weights_size(n_bytes: int, meta: dict, where: str) -> None:
    """Refuse a weights.pt larger than the state_dict of `meta`'s network can be, before it is read."""
    limit = runfile.weights_limit(meta)
    if n_bytes > limit:
        raise CheckpointError(Message("checkpoints.weights_too_big", where=where, mb=n_bytes / 2**20,
                                      model=meta["config"]["model"], classes=len(meta["classes"]),
                                      limit=limit / 2**20))


def train_state_limit(meta: dict) -> int:
    """The largest optimizer.pt `meta`'s network can have: Adam keeps two numbers for each weight."""
    return 2 * runfile.weights_limit(meta)


def _check_train_state_size(n_bytes: int, meta: dict, where: str) -> None:
    if n_bytes > (limit := train_state_limit(meta)):
        raise CheckpointError(Message("checkpoints.optimizer_too_big", where=where, mb=n_bytes / 2**20,
                                      limit=limit / 2**20))


def _train_state(data: bytes, meta: dict, where: str) -> TrainState:
    """The TrainState in optimizer.pt's bytes, checked as weights.pt is (the sizes its zip declares
    before anything is read, then weights_only): its numbers in range and its epochs those of run.json.
    Whether the optimiser's state fits the network is checked when training takes it up."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            _check_train_state_size(sum(i.file_size for i in z.infolist()), meta, where)
        d = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except Exception:  # noqa: BLE001 - not a zip, a pickle error, refused globals: not a saved state
        raise CheckpointError(Message("checkpoints.not_optimizer", where=where, file=OPTIMIZER)) from None
    numbers = isinstance(d, dict) and all(isinstance(d.get(k), int) and not isinstance(d.get(k), bool)
                                          and 0 <= d[k] <= 10**12 for k in ("epoch", "step")) \
        and all(isinstance(d.get(k, 0.0), (int, float)) and 0 <= d.get(k, 0.0) < runfile.BIG
                for k in ("elapsed", "best"))
    opt = d.get("optimizer") if isinstance(d, dict) else None
    fits = opt is None or (isinstance(opt, dict) and isinstance(opt.get("state"), dict)
                           and isinstance(opt.get("param_groups"), list))
    if not numbers or not fits or not isinstance(d.get("scaler") or {}, dict) \
            or d["epoch"] != len(meta["epochs"]) or d["epoch"] > meta["config"]["epochs"]:
        raise CheckpointError(Message("checkpoints.not_optimizer", where=where, file=OPTIMIZER))
    return TrainState.from_dict(d)


def load_train_state(folder: str | os.PathLike, meta: dict) -> TrainState | None:
    """Where a saved run's training stood (train.TrainState) from its optimizer.pt, checked; None for a
    run saved without one (an older CNN Lab's, a shipped one). Raises CheckpointError."""
    path, where = Path(folder) / OPTIMIZER, Path(folder).name
    try:
        if not path.is_file():
            return None
        _check_train_state_size(path.stat().st_size, meta, where)
        return _train_state(path.read_bytes(), meta, where)
    except OSError as e:
        raise CheckpointError(Message("checkpoints.unreadable", where=where,
                                      reason=e.strerror or type(e).__name__)) from None


def _load_state(weights: bytes, meta: dict, where: str) -> dict:
    """The state_dict in weights.pt's bytes: the sizes its zip declares are checked before PyTorch
    allocates them, then it is unpickled with weights_only=True (tensors and plain containers only)."""
    try:
        with zipfile.ZipFile(io.BytesIO(weights)) as z:     # torch.save's format is a zip of the tensors' bytes
            unpacked = sum(i.file_size for i in z.infolist())
    except Exception:  # noqa: BLE001 - not a zip: an old pickle format, or not weights at all
        raise CheckpointError(Message("checkpoints.not_torch_save", where=where)) from None
    check_weights_size(unpacked, meta, where)
    try:
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    except Exception as e:  # pickle errors, zip errors, refused globals: all mean "not safe weights"
        raise CheckpointError(Message("checkpoints.not_weights", where=where, kind=type(e).__name__)) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(Message("checkpoints.no_state_dict", where=where))
    return state


def _build(meta: dict, weights: bytes, where: str) -> Run:
    """A run from a checked, normalised meta (cnnlib.runfile) and the bytes of its weights."""
    cfg = TrainConfig.from_dict(meta["config"])
    classes = tuple(meta["classes"])
    state = _load_state(weights, meta, where)
    try:
        model = build_model(cfg.model, len(classes), cfg.conv_dropout, cfg.fc_dropout, meta["image_size"])
        model.load_state_dict(state, strict=True)
    except Exception as e:  # noqa: BLE001 - size mismatches, missing keys, tensors of odd kinds: "does not fit"
        # PyTorch's first line only says "Error(s) in loading state_dict for X:"; the next names a layer
        lines = [s.strip() for s in str(e).splitlines() if s.strip() and not s.startswith("Error(s) in loading")]
        saved = Message("checkpoints.saved_on", date=meta["created"][:10]) if meta["created"] else ""
        raise CheckpointError(Message("checkpoints.do_not_fit", where=where, model=cfg.model, classes=len(classes),
                                      detail=(lines[0] if lines else type(e).__name__)[:300], saved=saved)) from None
    model.eval()
    return Run(model, cfg, classes, meta)


def load_run(path: str | os.PathLike) -> Run:
    """Load a run folder, its weights.pt, or a bundle (.zip made by `bundle()`); raises CheckpointError."""
    path = Path(path)
    where = path.name
    try:
        if path.is_file() and path.suffix == ".zip":
            if (size := path.stat().st_size) > MAX_BUNDLE_BYTES:
                raise CheckpointError(_too_big_bundle(where, size))
            return load_bundle(path.read_bytes(), where)
        folder = path if path.is_dir() else path.parent
        where = folder.name
        if not (folder / WEIGHTS).is_file() or not (folder / META).is_file():
            raise CheckpointError(Message("checkpoints.not_saved_run", where=where, weights=WEIGHTS, meta=META))
        meta = runfile.read(folder / META, where)
        check_weights_size((folder / WEIGHTS).stat().st_size, meta, where)
        return _build(meta, (folder / WEIGHTS).read_bytes(), where)
    except OSError as e:      # gone, or unreadable, since it was listed
        raise CheckpointError(Message("checkpoints.unreadable", where=where,
                                      reason=e.strerror or type(e).__name__)) from None


def _too_big_bundle(name: str, size: int) -> Message:
    return Message("checkpoints.bundle_too_big", name=name, mb=size / 2**20, limit=MAX_BUNDLE_BYTES / 2**20)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in (META, WEIGHTS, OPTIMIZER):
            if name in files:
                z.writestr(name, files[name])
    return buf.getvalue()


def bundle(folder: str | os.PathLike) -> bytes:
    """A run folder as one .zip file (weights.pt + run.json, and optimizer.pt if it has one), for download."""
    folder = Path(folder)
    return _zip({name: (folder / name).read_bytes() for name in (META, WEIGHTS, OPTIMIZER)
                 if name != OPTIMIZER or (folder / name).is_file()})


def bundle_bytes(model: nn.Module, meta: dict, half: bool = False, train_state: dict | None = None) -> bytes:
    """A run that is not saved (the disk was full) as the same .zip file as `bundle()`, made in
    memory: so it can still be downloaded, and uploaded again later."""
    return _zip(_run_files(model, meta, half, train_state))


def load_bundle(data: bytes, name: str = "upload") -> Run:
    """A run from the bytes of a bundle .zip, checked as strictly as a folder."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise CheckpointError(_too_big_bundle(name, len(data)))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if not {META, WEIGHTS} <= names:
                raise CheckpointError(Message("checkpoints.not_run_file", name=name, meta=META, weights=WEIGHTS))
            if (size := z.getinfo(META).file_size) > runfile.MAX_META_BYTES:
                raise CheckpointError(Message("checkpoints.bundle_meta_too_big", name=name, mb=size / 2**20,
                                              limit=runfile.MAX_META_BYTES / 2**20))
            meta = runfile.parse(z.read(META), name)
            check_weights_size(z.getinfo(WEIGHTS).file_size, meta, name)
            weights = z.read(WEIGHTS)
            optimizer = b""
            if OPTIMIZER in names:
                _check_train_state_size(z.getinfo(OPTIMIZER).file_size, meta, name)
                optimizer = z.read(OPTIMIZER)
    except CheckpointError:
        raise
    except Exception:  # noqa: BLE001 - not a zip, or a damaged one (bad CRC, unknown compression, ...)
        raise CheckpointError(Message("checkpoints.not_a_zip", name=name)) from None
    if optimizer:
        _train_state(optimizer, meta, name)
    run = _build(meta, weights, name)
    run.optimizer = optimizer
    return run


def save_bundle_to(folder: str | os.PathLike, data: bytes, name: str = "upload", tag: str = "") -> Path:
    """Check an uploaded bundle, then unpack it as a new run folder (`tag`: as save_new_run's)."""
    run = load_bundle(data, name)
    run.meta["name"] = run.meta["name"] or Path(name).stem[:runfile.TEXT_LIMITS["name"]]
    return save_new_run(folder, run.meta["name"], run.model, run.meta, train_state=run.optimizer or None, tag=tag)
