"""The command line: `python -m cnnlib train …` and `python -m cnnlib predict …`.

    python -m cnnlib train --preset tutorial --data builtin
    python -m cnnlib train --preset tutorial --data cifar10 --epochs 10
    python -m cnnlib predict cat.jpg dog.png --checkpoint runs/<run>
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
from pathlib import Path

from cnnlib.config import PRESETS, TrainConfig, facts, preset
from cnnlib.words import say


def _add_config_options(p: argparse.ArgumentParser) -> None:
    """One option per TrainConfig field: its help is the app's (help.<field>, in English), its choices the
    field's facts. Values are not checked here: validation names a bad one as the app does."""
    for f in dataclasses.fields(TrainConfig):
        flag, help_ = "--" + f.name.replace("_", "-"), say(f"help.{f.name}")
        if f.type in ("bool", bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            choices = f"one of {', '.join(c)}; " if (c := facts(f.name).choices) else ""
            p.add_argument(flag, dest=f.name, type=kind, default=None, metavar=f.name.split("_")[-1].upper(),
                           help=f"{help_} ({choices}default: from the preset)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m cnnlib",
                                 description="CNN Lab: train and use small CNNs on CIFAR-10 or your own images.")
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network and save the run",
                       description="Train a network and save it as a run (weights.pt + run.json).",
                       epilog="Presets: " + "; ".join(f"{k}: {d}" for k, (d, _) in PRESETS.items()))
    t.add_argument("--preset", default=None, choices=list(PRESETS), help="the recipe to start from (default: tutorial)")
    t.add_argument("--from-link", default="", metavar="LINK",
                   help="start from the setup in an app's link (a whole address or its ?query): its data set, "
                        "preset and settings; options given here win")
    t.add_argument("--out", default=None,
                   help="folder to save the run in, or object storage's URL (s3://bucket/prefix; credentials "
                        "from AWS_* or $CNNLAB_RUNS_OPTIONS) (default: $CNNLAB_RUNS or runs, where the app looks)")
    t.add_argument("--dry-run", action="store_true", help="run one batch of each phase, save nothing")
    t.add_argument("--name", default="", help="a name for the run (default: model and data set)")
    t.add_argument("--half", action="store_true", help="store the weights as float16 (half the file size)")
    _add_config_options(t)
    pr = sub.add_parser("predict", help="print the top three classes for images",
                        description="Print the three most likely classes of each image, with probabilities.")
    pr.add_argument("images", nargs="+", help="image files (PNG, JPEG, WebP, BMP, GIF, …)")
    pr.add_argument("--checkpoint", required=True, help="a run folder, its weights.pt, or a run .zip")
    pr.add_argument("--top", type=int, default=3, help="how many classes to print (default: 3)")
    return ap


def train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cnnlib import runs, store
    from cnnlib.data import DataError, load_builtin, load_dataset
    from cnnlib.history import History
    from cnnlib.memory import tune_malloc
    from cnnlib.train import (
        Diverged,
        EpochEnd,
        Finished,
        Step,
        TrainState,
        fit,
        make_model,
        resolve_device,
        shrink_note,
    )

    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                 if getattr(args, f.name) is not None}
    if args.data_root is None and os.environ.get("CNNLAB_DATA"):  # the app's data folder, as --out is its runs
        overrides["data_root"] = os.environ["CNNLAB_DATA"]
    name = args.preset or "tutorial"
    if args.from_link:
        from cnnlib.links import parse_link
        setup = parse_link(args.from_link)
        for problem in setup.problems:
            print(f"note: {problem}", file=sys.stderr)
        name = args.preset or setup.preset or (setup.presets[0] if setup.presets else name)
        overrides = {**({"data": setup.data} if setup.data else {}), **setup.values, **overrides}
    cfg = preset(name, **overrides)
    if problems := cfg.validate():     # what was asked for, before a dry run shortens it
        print("error: " + "\n       ".join(problems), file=sys.stderr)
        return 2
    if args.dry_run:
        cfg = cfg.replace(epochs=1, report_every=1)
    try:
        shown = []

        def show(msg, frac):
            print(f"\r{msg}", end="", file=sys.stderr, flush=True)
            shown.append(msg)
        if args.dry_run and cfg.data == "builtin":
            data = load_builtin(n_train=cfg.batch_size, n_test=cfg.batch_size)  # no need to draw 24,000
        else:
            data = load_dataset(cfg.data, cfg.data_root, cfg.holdout, cfg.seed, progress=show)
        if shown:
            print(file=sys.stderr)         # end the loading progress line
    except DataError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        data = data.subset(cfg.batch_size, cfg.batch_size, cfg.seed)
    else:
        data = data.subset(cfg.max_train, cfg.max_test, cfg.seed)
    for note in [*data.notes, shrink_note(cfg, data.image_size)]:
        if note:
            print(f"note: {note}", file=sys.stderr)
    print(f"Training {cfg.model} on {data.name}: {len(data.y_train):,} train / {len(data.y_test):,} test images, "
          f"{len(data.classes)} classes, {cfg.epochs} epoch(s), preset {name}.", flush=True)
    try:  # a device this machine lacks, or a network that does not fit the images: say so, no traceback
        resolve_device(cfg.device)
        model = make_model(cfg, data)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tune_malloc("speed")       # one run, then the process ends: keep every freed buffer for the next step
    h = History(cfg, state="running")
    h.begin(data)
    bar = None
    progress = TrainState()    # saved as optimizer.pt, so that the app can continue this run exactly
    for ev in fit(model, data, cfg, max_steps=1 if args.dry_run else 0, start=progress):
        h.record(ev)
        if isinstance(ev, Step):
            if bar is None:
                bar = tqdm(total=ev.steps, desc=f"epoch {ev.epoch + 1}/{cfg.epochs}", unit="step", leave=False,
                           file=sys.stderr)
            bar.update(ev.step - bar.n)
            bar.set_postfix(loss=f"{ev.loss:.3f}", acc=f"{ev.train_acc:.1%}", img_s=f"{ev.images_per_s:.0f}")
        elif isinstance(ev, EpochEnd):
            if bar is not None:
                bar.close()
                bar = None
            print(f"Epoch {ev.epoch + 1}/{cfg.epochs}: accuracy {ev.test_acc * 100:.1f} % "
                  f"(train loss {ev.train_loss:.3f}, test loss {ev.test_loss:.3f}, {ev.seconds:.1f} s)", flush=True)
        elif isinstance(ev, Finished):
            print(f"Done: final accuracy {ev.final_acc:.1%}, best {ev.best_acc:.1%}, {ev.seconds:.1f} s of training.")
        elif isinstance(ev, Diverged):
            print(f"Diverged: {ev.message}", file=sys.stderr)
    if bar is not None:
        bar.close()
    if args.dry_run:
        print("Dry run: one batch of training and of testing ran; nothing saved.")
        return 0
    out = args.out or runs.location()
    h.resume = progress.to_dict()
    folder = runs.save_history(runs.local_folder(out), model, h, name=args.name, half=args.half,
                               command="python -m cnnlib " + shlex.join(sys.argv[1:]))
    if not store.is_url(out):
        print(f"Saved the run to {folder}")
    elif problem := store.owning(folder.parent).status():     # no listing: this run was sent, or kept here
        print(f"Saved the run to {folder}, on this machine only: {problem}", file=sys.stderr)
    else:
        print(f"Saved the run to {store.public(out).rstrip('/')}/{folder.name} (a copy is in {folder})")
    return 0 if h.state == "finished" else 1


def predict(args: argparse.Namespace) -> int:
    from cnnlib import inference
    from cnnlib.checkpoints import CheckpointError
    from cnnlib.images import ImageError

    try:
        model = inference.predictor_from_folder(args.checkpoint)   # loaded as the pages load a saved run
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    status = 0
    for path in args.images:
        try:
            top = inference.predict(model, Path(path).read_bytes(), args.top).top
        except (OSError, ImageError) as e:
            print(f"{path}: error: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: " + ", ".join(f"{c} {p:.1%}" for c, p in top))
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return train(args) if args.command == "train" else predict(args)


if __name__ == "__main__":
    sys.exit(main())
