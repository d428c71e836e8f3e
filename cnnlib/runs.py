"""The runs folder: every saved run (finished, stopped or diverged), listed, renamed and deleted."""
from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import torch

from cnnlib.checkpoints import FORMAT, META, WEIGHTS, new_run_folder, run_meta, save_run
from cnnlib.files import atomic_write
from cnnlib.runner import History


def runs_dir() -> Path:
    """Where runs are kept: $CNNLAB_RUNS, or ./runs."""
    return Path(os.environ.get("CNNLAB_RUNS", "runs"))


def pretrained_dir() -> Path:
    """Where shipped runs live: $CNNLAB_PRETRAINED, or pretrained/ beside the cnnlib package."""
    return Path(os.environ.get("CNNLAB_PRETRAINED") or Path(__file__).resolve().parents[1] / "pretrained")


def pretrained_runs() -> list[tuple[Path, dict]]:
    """The shipped runs (same format as saved runs; weights may be float16), newest first."""
    return list_runs(pretrained_dir())


def history_meta(h: History, name: str = "", **extra) -> dict:
    """A runner's history as a run.json (named `name`, or after its network and data set)."""
    return run_meta(h.config, h.classes, h.epochs, name=name or f"{h.config.model} on {h.dataset or h.config.data}",
                    dataset=h.dataset, state=h.state, image_size=h.image_size, mean=h.mean, std=h.std,
                    message=h.message, seconds=h.seconds, changes=[c.__dict__ for c in h.changes],
                    per_class_acc=dict(zip(h.classes, h.finished.per_class_acc)) if h.finished else {}, **extra)


def save_history(folder: str | os.PathLike, model: torch.nn.Module, h: History, name: str = "",
                 half: bool = False, **extra) -> Path:
    """Save a runner's model and history as a new run folder inside `folder`."""
    meta = history_meta(h, name, **extra)
    return save_run(new_run_folder(folder, meta["name"]), model, meta, half=half)


def history_file(model: torch.nn.Module, h: History) -> bytes:
    """A runner's model and history as a run file (.zip, as `checkpoints.bundle` makes), made in
    memory: for a run that could not be saved on the server's disk."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(META, json.dumps(history_meta(h), indent=1))
        z.writestr(WEIGHTS, buf.getvalue())
    return out.getvalue()


def list_runs(folder: str | os.PathLike | None = None) -> list[tuple[Path, dict]]:
    """(run folder, run.json) for every readable run, newest first."""
    folder = Path(folder) if folder else runs_dir()
    out = []
    if folder.is_dir():
        for d in folder.iterdir():
            try:
                meta = json.loads((d / META).read_text())
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and meta.get("format") == FORMAT:
                out.append((d, meta))
    return sorted(out, key=lambda r: r[1].get("created", ""), reverse=True)


def rename_run(folder: str | os.PathLike, name: str) -> None:
    path = Path(folder) / META
    meta = json.loads(path.read_text())
    meta["name"] = name.strip() or meta.get("name", "")
    atomic_write(path, json.dumps(meta, indent=1).encode())


def delete_run(folder: str | os.PathLike) -> None:
    folder = Path(folder)
    if (folder / META).exists():
        shutil.rmtree(folder)


def run_label(meta: dict) -> str:
    """How a saved run is listed: its name (architecture and data set), how it ended, its best test
    accuracy and when it was made."""
    best = max((e.get("test_acc", 0) for e in meta.get("epochs", [])), default=0.0)
    return (f"{meta.get('name') or 'run'} · {meta.get('state', '')} · best {100 * best:.0f} % · "
            f"{meta.get('created', '').replace('T', ' ')}")
