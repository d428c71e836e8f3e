"""Seconds of training until a preset first reaches a test accuracy, and its final accuracy.

    .venv/bin/python bench/time_to_accuracy.py --preset fast-cpu --target 0.57 --target 0.85
    .venv/bin/python bench/time_to_accuracy.py --preset fast-cpu --vs tutorial --target 0.57
    .venv/bin/python bench/time_to_accuracy.py --preset gpu-speedrun --target 0.905 --set crop=2 --set epochs=12

    .venv/bin/python bench/time_to_accuracy.py --preset cpu-5min --vs cpu-5min --vs-set test_sample=0 --wall

Training time is the engine's clock, which stops while it tests. Wall clock is what a student waits
for: from Start (the model made, on data already loaded) to each accuracy, every test included. The
test set is checked at every epoch end and, with --eval-every N, every N steps within an epoch too.
With --vs, the two presets run alternately, each in its own process, and the ratio of their times
to the first target is printed (of their wall clocks to the final accuracy too, with --wall);
--set applies to both, --vs-set to the second only (a baseline: today's recipe). Data: the compact
CIFAR-10 copy (assets/), or Shapes-10.
"""
from __future__ import annotations

import argparse
import json
import time

from common import load_bench_data, worker_records


def overrides(settings: list[str]) -> dict:
    """--set name=value pairs as TrainConfig fields of the field's own type."""
    from dataclasses import fields

    from cnnlib.config import TrainConfig
    types = {f.name: str(f.type) for f in fields(TrainConfig)}
    out = {}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"--set {item}: {name!r} is no TrainConfig field ({', '.join(types)}).")
        kind = types[name]
        out[name] = (value.lower() in ("1", "true", "yes") if kind == "bool" else
                     int(value) if kind == "int" else float(value) if kind == "float" else value)
    return out


def percent(fraction: float) -> str:
    """0.57 -> '57%', 0.905 -> '90.5%'."""
    return f"{fraction * 100:.4g}%"


def worker(preset_name: str, eval_every: int, epochs: int, data_name: str, settings: list[str]) -> None:
    from cnnlib.config import preset
    from cnnlib.memory import tune_malloc
    from cnnlib.train import Diverged, EpochEnd, Finished, Tested, fit, make_model, resolve_device

    tune_malloc("speed")                         # as the command line trains
    data = load_bench_data(data_name)
    cfg = preset(preset_name, **{"report_every": 10_000, **({"epochs": epochs} if epochs else {}),
                                 **({"eval_every": eval_every} if eval_every >= 0 else {}), **overrides(settings)})
    if resolve_device(cfg.device).type != "cpu":
        # a GPU's first steps start CUDA and let cuDNN time its kernels: a few steps and a test, untimed,
        # before the measured run (as the speed records measure), reported apart
        t = time.perf_counter()
        for _ in fit(make_model(cfg, data), data, cfg.replace(epochs=1), max_steps=5):
            pass
        print(json.dumps({"warmup": time.perf_counter() - t}), flush=True)
    start = time.perf_counter()                  # Start: the data is in memory, as on a server
    model = make_model(cfg, data)
    for ev in fit(model, data, cfg):
        wall = time.perf_counter() - start
        if isinstance(ev, (Tested, EpochEnd)):
            print(json.dumps({"epoch": ev.epoch, "elapsed": ev.elapsed, "acc": ev.test_acc, "wall": wall}),
                  flush=True)
        elif isinstance(ev, Finished):
            print(json.dumps({"finished": True, "seconds": ev.seconds, "final": ev.final_acc, "wall": wall}),
                  flush=True)
        elif isinstance(ev, Diverged):
            print(json.dumps({"diverged": ev.message}), flush=True)


def run(preset_name: str, settings: list[str], args) -> dict:
    points, end = [], {}
    for rec in worker_records(__file__, "--worker", preset_name, "--eval-every", str(args.eval_every),
                              "--epochs", str(args.epochs), "--data", args.data,
                              *(a for s in settings for a in ("--set", s))):
        if "acc" in rec:
            points.append((rec["elapsed"], rec["acc"]))
            if args.verbose:
                print(f"  {preset_name}: {rec['elapsed']:7.1f} s  {rec['acc']:.2%}  (wall clock {rec['wall']:.1f} s)",
                      flush=True)
        else:
            end.update(rec)
    hit = {t: next((s for s, a in points if a >= t), None) for t in args.target}
    return {"points": points, "hit": hit, **end}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="fast-cpu")
    ap.add_argument("--vs", default="", help="a second preset to alternate with, for a ratio")
    ap.add_argument("--target", type=float, action="append", help="test accuracy, 0..1 (repeatable; default 0.57)")
    ap.add_argument("--eval-every", type=int, default=-1,
                    help="also test every N steps (0 = epoch ends only; default: the preset's own)")
    ap.add_argument("--epochs", type=int, default=0, help="override the preset's epochs (0 = keep)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--data", default="auto", help="auto, cifar10 or builtin")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a field of the preset (repeatable), e.g. --set crop=2")
    ap.add_argument("--vs-set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a field of the --vs preset only (repeatable)")
    ap.add_argument("--wall", action="store_true",
                    help="with --vs: also the ratio of the wall clocks from Start to the final accuracy")
    ap.add_argument("--verbose", action="store_true", help="print every test point")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.target = args.target or [0.57]
    if args.worker:
        return worker(args.worker, args.eval_every, args.epochs, args.data, args.set)
    overrides(args.set + args.vs_set)   # a bad --set stops here, before any run
    data = load_bench_data(args.data)
    print(f"data: {data.name}; targets: {', '.join(map(percent, args.target))}"
          + (f"; the presets with {', '.join(args.set)}" if args.set else ""))
    sides = [(args.preset, args.set)] + ([(args.vs, args.set + args.vs_set)] if args.vs else [])
    names = [p + (f" ({', '.join(args.vs_set)})" if i and args.vs_set else "") for i, (p, _) in enumerate(sides)]
    if len(names) == 2 and names[0] == names[1]:
        names[1] += " (again)"
    first = {p: [] for p in names}
    walls = {p: [] for p in names}
    for r in range(args.rounds):
        for p, (preset_name, settings) in zip(names, sides):
            res = run(preset_name, settings, args)
            for t, s in res["hit"].items():
                print(f"round {r + 1} {p}: {percent(t)} " + (f"after {s:.1f} s of training" if s is not None
                      else f"not reached in {res.get('seconds', 0):.1f} s"), flush=True)
            if "warmup" in res:
                print(f"round {r + 1} {p}: warm-up before the measured run (not counted): {res['warmup']:.1f} s")
            print(f"round {r + 1} {p}: final accuracy {res.get('final', 0):.2%} after {res.get('seconds', 0):.1f} s"
                  f" of training, {res.get('wall', 0):.1f} s of wall clock (tests included)"
                  + (f" (diverged: {res['diverged']})" if "diverged" in res else ""), flush=True)
            first[p].append(res["hit"][args.target[0]])
            walls[p].append(res.get("wall", 0))
    if args.vs and args.wall:
        new, old = (sum(walls[p]) / len(walls[p]) for p in names)
        print(f"wall clock to the final accuracy: {names[0]} / {names[1]} = {new / old:.2f}x")
    if args.vs:
        a, b = first[names[0]], first[names[1]]
        if all(x is not None for x in a + b):
            ratio = (sum(b) / len(b)) / (sum(a) / len(a))
            print(f"time to {percent(args.target[0])}: {names[1]} / {names[0]} = {ratio:.1f}x")
        else:
            print(f"time to {percent(args.target[0])}: ratio not defined (a run did not reach it)")


if __name__ == "__main__":
    main()
