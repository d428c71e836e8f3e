"""The runs folder: every saved run (finished, stopped or diverged), listed, renamed and deleted;
the folders in it that are broken (a run.json that does not pass cnnlib.runfile's checks, or one of
the two files missing), listed with the reason so that they can be deleted too; and what a killed
save left there, cleaned up. When CNNLAB_RUNS names object storage (s3://bucket/prefix), the runs
folder is this server's working copy of it, and each of these goes through cnnlib.store too."""
from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from cnnlib import runfile, store
from cnnlib.checkpoints import (
    META,
    OPTIMIZER,
    WEIGHTS,
    CheckpointError,
    check_weights_size,
    load_run,
    load_train_state,
    run_meta,
    save_bundle_to,
    save_new_run,
)
from cnnlib.config import TrainConfig
from cnnlib.data import Dataset
from cnnlib.files import atomic_write, remove, remove_leftovers, saving
from cnnlib.history import STATES, History, best_accuracy
from cnnlib.runner import Continuation
from cnnlib.train import Changed, EpochEnd, Tested, TrainState
from cnnlib.words import Message, message_of

DOWNLOAD_INSTEAD = "disk.download_instead"   # a full disk's advice when a run ends (files.DiskFull fills in {fix})


def location() -> str:
    """Where runs are kept, as set: $CNNLAB_RUNS (a folder, or object storage's URL), or runs."""
    return os.environ.get("CNNLAB_RUNS", "runs")


def local_folder(where: str | os.PathLike) -> Path:
    """The folder runs are saved to and read from for `where`: the folder itself, or for object
    storage's URL this server's working copy of the store (cnnlib.store; nothing is asked of it yet)."""
    return store.open_store(str(where)).mirror if store.is_url(where) else Path(where)


def runs_dir() -> Path:
    """The runs folder: $CNNLAB_RUNS, or ./runs; for a store's URL, this server's working copy of it."""
    return local_folder(location())


def store_status(folder: str | os.PathLike | None = None) -> Message | None:
    """While the store behind the runs folder fails: why, and that runs saved meanwhile are kept on
    this server only until it answers. None for a plain folder, or a store that works."""
    s = _synced(folder)[1]
    return s.status() if s is not None else None


def _publish(folder: Path, only_meta: bool = False) -> None:
    """Send a run just saved (or renamed) in the runs folder to its store, if it has one; a store that
    fails keeps it here (store_status says so) and is tried again by the next listing or save."""
    if (s := store.owning(folder.parent)) is not None:
        s.publish(folder, only_meta)


def _tag(folder: str | os.PathLike) -> str:
    """For a run saved into a store's mirror: four random hex digits for its folder's name, so that two
    servers sharing the store and saving runs of one name in the same second do not write one run over
    the other (each knows only its own folders). "" for a plain runs folder."""
    return secrets.token_hex(2) if store.owning(folder) is not None else ""


def pretrained_dir() -> Path:
    """Where shipped runs live: $CNNLAB_PRETRAINED, or pretrained/ beside the cnnlib package."""
    return Path(os.environ.get("CNNLAB_PRETRAINED") or Path(__file__).resolve().parents[1] / "pretrained")


def pretrained_runs() -> list[tuple[Path, dict]]:
    """The shipped runs (same format as saved runs; weights may be float16), newest first."""
    return list_runs(pretrained_dir())


def history_meta(h: History, name: str = "", **extra) -> dict:
    """The run.json of a runner's history: what `save_history` saves, and what `bundle_bytes` needs
    to offer a run for download when it could not be saved."""
    name = name or Message("runs.default_name", model=h.config.model, data=h.dataset or h.config.data)
    return run_meta(h.config, h.classes, h.epochs, name=name, dataset=h.dataset, state=h.state,
                    image_size=h.image_size, mean=h.mean, std=h.std, message=h.message,
                    seconds=h.seconds, follow=h.follow, guess=h.guess.to_dict() if h.guess else None,
                    **({"parent": h.parent} if h.parent else {}),
                    changes=[c.__dict__ for c in h.changes],
                    per_class_acc=dict(zip(h.classes, h.finished.per_class_acc)) if h.finished else {}, **extra)


def save_history(folder: str | os.PathLike, model: torch.nn.Module, h: History, name: str = "",
                 half: bool = False, **extra) -> Path:
    """Save a runner's model and history as a new run folder inside `folder`, with where its training
    stood (h.resume: optimizer.pt) so that it can be continued. On a full disk it raises
    files.DiskFull, whose message says to download the run instead, and leaves nothing."""
    meta = history_meta(h, name, **extra)
    with saving(Message("what.this_run"), advice=DOWNLOAD_INSTEAD):
        saved = save_new_run(folder, meta["name"], model, meta, half=half, train_state=h.resume, tag=_tag(folder))
    _publish(saved)
    return saved


def add_run_file(data: bytes, name: str = "upload", folder: str | os.PathLike | None = None) -> Path:
    """An uploaded run file (a .zip from the Runs page), checked, saved as a new run in the runs folder."""
    folder = Path(folder) if folder else runs_dir()
    saved = save_bundle_to(folder, data, name, tag=_tag(folder))
    _publish(saved)
    return saved


def clean_up(folder: str | os.PathLike | None = None, now: float | None = None) -> list[Path]:
    """Remove what interrupted saves left in the runs folder, which the app could neither show nor
    delete: hidden partial run folders and temporary files whose save will not finish (its process
    was killed: files.is_leftover) and, from older versions that saved file by file, run folders
    holding only weights.pt, or nothing. A folder with a run.json stays: it is listed, and can be
    deleted. The app calls this once at start; it costs a listing of the folder and of each run in
    it. Returns what was removed."""
    folder = Path(folder) if folder else runs_dir()
    removed = remove_leftovers(folder, now)
    try:
        runs = [Path(e.path) for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for run in runs:
        if run.name.startswith("."):
            continue                                  # a save still going on (checkpoints.PARTIAL)
        removed += remove_leftovers(run, now)
        try:
            names = {p.name for p in run.iterdir()}
        except OSError:
            continue
        if names <= {WEIGHTS, OPTIMIZER}:             # no run.json, and no save going on inside
            remove(run)
            removed.append(run)
    return removed


def _scan(folder: Path) -> tuple[list[tuple[Path, dict]], list[tuple[Path, str]]]:
    """(valid runs with their checked run.json, broken run folders with the reason) in `folder`.
    Folders holding neither file are not runs; hidden ones (a save in progress) and links are skipped."""
    good, broken = [], []
    try:
        children = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return [], []
    for d in children:
        try:
            if d.name.startswith(".") or d.is_symlink() or not d.is_dir():
                continue
            has_meta, has_weights = (d / META).is_file(), (d / WEIGHTS).is_file()
            if not has_meta and not has_weights:
                continue
            if not has_weights or not has_meta:
                there, missing = (META, WEIGHTS) if has_meta else (WEIGHTS, META)
                broken.append((d, Message("runs.half", name=d.name, there=there, missing=missing)))
                continue
            meta = runfile.read(d / META, d.name)
            check_weights_size((d / WEIGHTS).stat().st_size, meta, d.name)
            good.append((d, meta))
        except CheckpointError as e:
            broken.append((d, str(e)))
        except OSError as e:                     # deleted while listed, or unreadable: say so, never fail
            broken.append((d, Message("checkpoints.unreadable", where=d.name, reason=e.strerror or type(e).__name__)))
    return sorted(good, key=lambda r: r[1]["created"], reverse=True), broken


def _synced(folder: str | os.PathLike | None) -> tuple[Path, store.Store | None]:
    """The runs folder, brought in step with its store first if it has one (store.Store.sync: at most
    one listing every few seconds)."""
    folder = Path(folder) if folder else runs_dir()
    if (s := store.owning(folder)) is not None:
        s.sync()
    return folder, s


def list_runs(folder: str | os.PathLike | None = None) -> list[tuple[Path, dict]]:
    """(run folder, run.json checked and normalised by cnnlib.runfile) for every usable run, newest first."""
    return _scan(_synced(folder)[0])[0]


def broken_runs(folder: str | os.PathLike | None = None) -> list[tuple[Path, str]]:
    """(folder, why it cannot be used) for every broken run in the runs folder: a run.json that cannot
    be read or does not pass its checks, weights.pt without run.json, or run.json without weights.pt;
    and, with a store, each run in it that cannot be used for the same reasons."""
    folder, s = _synced(folder)
    broken = _scan(folder)[1]
    here = {f.name for f, _ in broken}
    return broken + [(f, why) for f, why in (s.broken() if s else []) if f.name not in here]


def rename_run(folder: str | os.PathLike, name: str) -> None:
    """Give a saved run a new name (blank keeps the old one); a full disk raises files.DiskFull."""
    path = Path(folder) / META
    meta = json.loads(path.read_text())
    meta["name"] = name.strip()[:runfile.TEXT_LIMITS["name"]] or meta.get("name", "")
    with saving(Message("what.the_new_name")):
        atomic_write(path, json.dumps(meta, indent=1).encode())
    _publish(Path(folder), only_meta=True)


def delete_run(folder: str | os.PathLike, root: str | os.PathLike | None = None) -> bool:
    """Delete a run folder, working or broken; True if it was deleted. Only a folder directly inside
    `root` (the runs folder by default) that holds a run.json or a weights.pt is ever deleted: not a
    link, not the runs folder itself, nothing outside it. With a store, the run is deleted there first
    (a run only the store holds, broken, included); False if the store could not be told (store_status
    says why), and the run stays."""
    root = Path(root) if root else runs_dir()
    folder = Path(folder)
    if (s := store.owning(root)) is not None:
        if folder.is_symlink() or folder.parent.resolve() != root.resolve() or not s.delete(folder.name):
            return False
        if not folder.exists():
            return True                            # it was in the store only
    try:
        target, parent = folder.resolve(strict=True), root.resolve(strict=True)
        if folder.is_symlink() or target.parent != parent or not target.is_dir():
            return False
        if not (target / META).exists() and not (target / WEIGHTS).exists():
            return False                           # not a run: left alone
        shutil.rmtree(target)
    except OSError:
        return False
    return True


def continuation(folder: str | os.PathLike, meta: dict, more: int, data: Dataset) -> TrainConfig:
    """The config of a run that continues the saved run in `folder` (its checked run.json `meta`) for
    `more` epochs on `data`: the parent's, its epochs the total, with the learning rate and momentum
    its last live change left (where the parent's training stood when it ended). Raises ValueError with the reason
    when it cannot be continued: it diverged, `data` is not what it was trained on, or the total is
    more epochs than a run may have."""
    if meta["state"] == "diverged":
        raise ValueError(Message("continue.diverged"))
    if int(more) < 1:
        raise ValueError(Message("continue.at_least_one", more=int(more)))
    if data.name != meta["dataset"] or list(data.classes) != meta["classes"] or data.image_size != meta["image_size"]:
        raise ValueError(Message("continue.other_data", data=meta["dataset"] or "?", chosen=data.name))
    cfg = replace(TrainConfig.from_dict(meta["config"]), epochs=len(meta["epochs"]) + int(more))
    if meta["changes"]:
        cfg = replace(cfg, lr=meta["changes"][-1]["lr"], momentum=meta["changes"][-1]["momentum"])
    if problems := cfg.validate():
        raise ValueError(problems[0])
    return cfg


def goes_on_exactly(folder: str | os.PathLike) -> bool:
    """Whether the saved run in `folder` kept where its training stood (optimizer.pt): then continuing
    it is as if it had never stopped. A shipped run or an older CNN Lab's goes on from its weights
    with the optimiser's momentum starting afresh."""
    return (Path(folder) / OPTIMIZER).is_file()


def load_continuation(folder: str | os.PathLike) -> Continuation:
    """What a run needs to go on from the saved run in `folder` (runner.Continuation): its weights,
    checked as every load is; where its training stood, from optimizer.pt, or for a run saved without
    one (an older CNN Lab's, a pretrained run) the epochs done, with the optimiser starting afresh; and
    its history. Raises ValueError with CheckpointError's message."""
    try:
        run = load_run(folder)
        meta = run.meta
        state = load_train_state(folder, meta)
    except CheckpointError as e:
        raise ValueError(message_of(e)) from None
    state = state or TrainState(
        epoch=len(meta["epochs"]),
        elapsed=meta["seconds"] or (meta["epochs"][-1]["elapsed"] if meta["epochs"] else 0.0),
        best=best_accuracy(meta["epochs"]))
    return Continuation(Path(folder).name, run.model.state_dict(), state, [EpochEnd(**e) for e in meta["epochs"]],
                        [Changed(**c) for c in meta["changes"]], [Tested(**t) for t in meta["tests"]])


def run_label(meta: dict) -> Message:
    """How a saved run is listed: its name (architecture and data set), how it ended, its best test
    accuracy and when it was made."""
    best = best_accuracy(meta.get("epochs") or [])
    state = meta.get("state", "")
    return Message("runs.label", name=meta.get("name") or Message("runs.unnamed"),
                   state=Message(f"state.{state}") if state in STATES else state, best=100 * best,
                   created=meta.get("created", "").replace("T", " "))
