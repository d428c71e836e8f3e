"""What a run.json may hold: every field the app reads, its type and its range, checked in one place
before anything uses the file.

A run.json comes from this server, from an older CNN Lab, or from an upload (a downloaded run edited
by hand included), so nothing in it is trusted. `parse()` checks the size, the JSON, every field,
and the network the config names, measured on PyTorch's meta device (`models.footprint`) against the
server's memory limit before any tensor exists. It returns a normalised copy: every known field
present with a value of the right type, text cut to a sensible length, unknown keys dropped; the
pages, the plots and the loader read that copy without checking again. Anything else raises
CheckpointError with a message (a words.Message) that names the file, the field and what is allowed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cnnlib.config import TrainConfig, shown
from cnnlib.data import MAX_CLASS_NAME, MAX_CLASSES
from cnnlib.guess import GAPS
from cnnlib.history import ENDED
from cnnlib.models import footprint, too_large
from cnnlib.words import Message, Parts, message_of

FORMAT = "cnnlab-run/1"
MAX_META_BYTES = 4 * 2**20          # a run.json, bytes (a 1,000-epoch run takes about 300 kB)
MAX_RECORDS = 100_000               # entries in each list of records (epochs, changes, tests)
IMAGE_SIZES = (8, 1024)             # side of the images a run was trained on, pixels (the memory limit comes first)
TEXT_LIMITS = {"name": 200, "created": 40, "dataset": 200, "message": 4000, "command": 4000,  # characters kept
               "follow": 40, "parent": 200}   # parent: the folder of the run this one continued
BIG = 1e30                          # the largest loss or time that is still a number worth drawing

# Each record's fields: (lowest, highest, whole number). Losses and times are finite and not negative,
# accuracies 0..1, as cnnlib.train's EpochEnd, Changed and Tested write them.
EPOCH = {"epoch": (0, 1_000_000, True), "train_loss": (0, BIG, False), "train_acc": (0, 1, False),
         "test_loss": (0, BIG, False), "test_acc": (0, 1, False), "seconds": (0, BIG, False),
         "elapsed": (0, BIG, False), "sampled": (0, 10**9, True)}
CHANGE = {"epoch": (0, 1_000_000, True), "step": (0, 10**12, True), "lr": (0, 1000, False),
          "momentum": (0, 1, False)}
TEST = {"epoch": (0, 1_000_000, True), "step": (0, 10**12, True), "test_loss": (0, BIG, False),
        "test_acc": (0, 1, False), "elapsed": (0, BIG, False), "sampled": (0, 10**9, True)}
OPTIONAL = {"sampled": 0}           # fields an older CNN Lab's run.json lacks, and what they were then


class CheckpointError(Exception):
    """A run file that cannot be used; the message says why."""


class _Bad(Exception):
    """A field that is not allowed; the message names it, its value and what is allowed."""


def _wrong(field: str, value, allowed: Message) -> _Bad:
    return _Bad(Message("runfile.wrong", field=field, value=_show(value), allowed=allowed))


def _show(value) -> str:
    """A JSON value as a message quotes it: short, and in JSON's words (null, true, a list of 3)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (list, dict)):
        return Message("runfile.list_of" if isinstance(value, list) else "runfile.mapping_of", n=len(value))
    return shown(value)


def read(path: str | os.PathLike, where: str) -> dict:
    """A run.json file, checked (its size before it is read) and normalised; raises CheckpointError."""
    path = Path(path)
    try:
        check_size(path.stat().st_size, where)
        raw = path.read_bytes()
    except OSError as e:
        raise CheckpointError(Message("runfile.unreadable", where=where,
                                      reason=e.strerror or type(e).__name__)) from None
    return parse(raw, where)


def parse(raw: bytes, where: str) -> dict:
    """The bytes of a run.json, checked and normalised; raises CheckpointError naming `where`."""
    if len(raw) > MAX_META_BYTES:
        raise CheckpointError(_too_big(where, len(raw)))
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as e:   # bad JSON or text, too many digits, nested too deep
        raise CheckpointError(Message("runfile.bad_json", where=where, reason=str(e)[:120])) from None
    return validate(meta, where)


def check_size(size: int, where: str) -> None:
    """Refuse a run.json of `size` bytes before it is read, if it is larger than any run's can be."""
    if size > MAX_META_BYTES:
        raise CheckpointError(_too_big(where, size))


def _too_big(where: str, size: int) -> Message:
    return Message("runfile.too_big", where=where, mb=size / 2**20, limit=MAX_META_BYTES / 2**20)


def validate(meta, where: str) -> dict:
    """A run.json's content (as json.loads gives it), checked and normalised."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(Message("runfile.not_a_run", where=where, format=FORMAT))
    try:
        out = _fields(meta)
    except _Bad as e:
        raise CheckpointError(Message("runfile.at", where=where, problem=e.args[0])) from None
    cfg = TrainConfig(**out["config"])
    try:
        problem = too_large(cfg.model, len(out["classes"]), out["image_size"])
    except (ValueError, RuntimeError) as e:      # the architecture does not fit the image size
        raise CheckpointError(Message("runfile.image_size", where=where, size=out["image_size"],
                                      problem=message_of(e))) from None
    if problem:
        raise CheckpointError(Message("runfile.not_loaded", where=where, problem=problem))
    return out


def weights_limit(meta: dict) -> int:
    """The largest weights.pt that can hold the state_dict of `meta`'s network (a normalised meta):
    its float32 weights, and room for the file's own bookkeeping. Anything larger holds something else."""
    cfg = meta["config"]
    return footprint(cfg["model"], len(meta["classes"]), meta["image_size"]).weight_bytes + 2**20


def _fields(meta: dict) -> dict:
    out = {"format": FORMAT}
    for key, limit in TEXT_LIMITS.items():
        out[key] = _text(meta, key, limit)
    state = meta.get("state")
    if state is not None and state not in ENDED:
        raise _wrong("state", state, Message("runfile.one_of", choices=", ".join(ENDED)))
    out["state"] = state or ""
    out["classes"] = _classes(meta.get("classes"))
    size = meta.get("image_size")
    out["image_size"] = 32 if size is None else _number(size, "image_size", *IMAGE_SIZES, whole=True)
    out["config"] = _config(meta.get("config"))
    out["epochs"] = _records(meta, "epochs", EPOCH)
    out["changes"] = _records(meta, "changes", CHANGE)
    out["tests"] = _records(meta, "tests", TEST)
    out["mean"], out["std"] = _stats(meta)
    seconds = meta.get("seconds")
    out["seconds"] = None if seconds is None else _number(seconds, "seconds", 0, BIG)
    out["per_class_acc"] = _per_class(meta.get("per_class_acc"))
    out["versions"] = _versions(meta.get("versions"))
    out["guess"] = _guess(meta.get("guess"))
    return out


def _text(meta: dict, key: str, limit: int) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _wrong(key, value, Message("runfile.text"))
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _number(value, field: str, lo: float, hi: float, whole: bool = False) -> float | int:
    """A finite number from lo to hi (a whole one if `whole`); bools are not numbers here."""
    what = Message("runfile.whole_from_to" if whole else "runfile.number_from_to", lo=lo, hi=hi)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise _wrong(field, value, what)
    if not (lo <= value <= hi):                  # NaN fails here too; an int is compared exactly, never overflows
        raise _wrong(field, value, what)
    return value if whole else float(value)


def _classes(value) -> list[str]:
    what = Message("runfile.classes", most=MAX_CLASSES, length=MAX_CLASS_NAME)
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_CLASSES:
        raise _wrong("classes", value, what)
    for i, c in enumerate(value):
        if not isinstance(c, str) or not c.strip() or len(c) > MAX_CLASS_NAME:
            raise _wrong(f"classes[{i}]", c, what)
    if len(set(value)) < len(value):
        twice = next(c for c in value if value.count(c) > 1)
        raise _wrong("classes", value, Message("runfile.twice", name=shown(twice)))
    return list(value)


def _config(value) -> dict:
    if not isinstance(value, dict):
        raise _wrong("config", value, Message("runfile.config"))
    cfg = TrainConfig.from_dict(value)          # unknown keys (an older or newer CNN Lab's) are dropped
    if problems := cfg.validate():
        raise _Bad(Message("runfile.bad_config", problems=Parts(problems[:5])))
    return cfg.to_dict()


def _records(meta: dict, key: str, schema: dict) -> list[dict]:
    value = meta.get(key)
    if value is None:
        return []
    what = Message("runfile.records", most=MAX_RECORDS, fields=", ".join(n for n in schema if n not in OPTIONAL),
                   optional=", ".join(n for n in schema if n in OPTIONAL))
    if not isinstance(value, list) or len(value) > MAX_RECORDS:
        raise _wrong(key, value, what)
    out = []
    for i, record in enumerate(value):
        if not isinstance(record, dict):
            raise _wrong(f"{key}[{i}]", record, what)
        filled = {**OPTIONAL, **record}     # the message quotes the record as the file has it
        for name in schema:
            if name not in filled:
                raise _wrong(f"{key}[{i}]", record, Message("runfile.missing_field", name=name, what=what))
        out.append({name: _number(filled[name], f"{key}[{i}].{name}", lo, hi, whole)
                    for name, (lo, hi, whole) in schema.items()})
    return out


def _stats(meta: dict) -> tuple[list[float] | None, list[float] | None]:
    """The per-channel normalisation: both absent, or both three numbers (std above 0), in [0, 1] units."""
    mean, std = meta.get("mean"), meta.get("std")
    if mean is None and std is None:
        return None, None
    out = []
    for key, value, lo in (("mean", mean, 0.0), ("std", std, 1e-6)):
        what = Message("runfile.stats", lo=lo)
        if not isinstance(value, list) or len(value) != 3:
            raise _wrong(key, value, what)
        out.append([_number(v, f"{key}[{i}]", lo, 1.0) for i, v in enumerate(value)])
    return out[0], out[1]


def _per_class(value) -> dict[str, float]:
    if value is None:
        return {}
    what = Message("runfile.per_class", most=MAX_CLASSES)
    if not isinstance(value, dict) or len(value) > MAX_CLASSES:
        raise _wrong("per_class_acc", value, what)
    return {str(k)[:MAX_CLASS_NAME]: _number(v, f"per_class_acc.{shown(k, 40)}", 0, 1) for k, v in value.items()}


def _versions(value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 50 or not all(isinstance(v, str) for v in value.values()):
        raise _wrong("versions", value, Message("runfile.versions"))
    return {str(k)[:40]: v[:100] for k, v in value.items()}


def _guess(value) -> dict | None:
    """The student's guess before the run (cnnlib.guess): absent (None), or both parts, each None
    (not guessed) or in range: the final test accuracy in percent, whether test fell behind training."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong("guess", value, Message("runfile.guess", choices=", ".join(GAPS)))
    accuracy, gap = value.get("accuracy"), value.get("gap")
    if gap is not None and gap not in GAPS:
        raise _wrong("guess.gap", gap, Message("runfile.one_of", choices=", ".join(GAPS)))
    return {"accuracy": None if accuracy is None else _number(accuracy, "guess.accuracy", 0, 100), "gap": gap}
