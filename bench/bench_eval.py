"""Testing a model on the whole test set, at several test batch sizes, alternating in one run: what
`cnnlib.train.EVAL_BATCH_CPU` is chosen from.

    .venv/bin/python bench/bench_eval.py --rounds 3

For each preset's network (untrained: speed does not depend on the weights), `evaluate()` on every
test image of the compact CIFAR-10 copy, with the preset's own test-time views
and with none. Prints seconds, the fastest of the rounds, and each batch size's speed against 1000
(the engine's batch before).
"""
from __future__ import annotations

import argparse
import time

import torch
from common import load_bench_data  # (common also puts the project on sys.path)

from cnnlib.config import preset
from cnnlib.train import evaluate, make_model
from cnnlib.tta import LAYOUT


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="tutorial,fast-cpu,cpu-5min")
    ap.add_argument("--batches", default="64,128,256,1000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", default="auto", choices=["auto", "cifar10", "builtin"])
    args = ap.parse_args()
    data = load_bench_data(args.data)
    x, y = data.x_test, data.y_test
    mean, std = data.mean_std()
    batches = [int(b) for b in args.batches.split(",")]
    print(f"{data.name}: {len(y):,} test images, {torch.get_num_threads()} threads")
    for name in args.presets.split(","):
        cfg = preset(name)
        model = make_model(cfg, data).to(memory_format=LAYOUT)
        norm = (mean, std) if cfg.normalize else (None, None)
        for tta in dict.fromkeys(["none", cfg.tta]):
            seconds: dict[int, list[float]] = {b: [] for b in batches}
            for _ in range(args.rounds):
                for b in batches:  # alternating, so that the machine's noise falls on all alike
                    t0 = time.perf_counter()
                    evaluate(model, x, y, *norm, batch_size=b, tta=tta)
                    seconds[b].append(time.perf_counter() - t0)
            best = {b: min(v) for b, v in seconds.items()}
            base = best.get(1000)
            print(f"{name:9s} tta={tta:10s} " + "  ".join(
                f"batch {b}: {t:5.2f} s" + (f" ({base / t:.2f}x)" if base else "") for b, t in best.items()),
              flush=True)


if __name__ == "__main__":
    main()
