"""bf16 against fp32 on this CPU: a training step of each CPU preset's network, both ways, in one run.

    .venv/bin/python bench/bench_precision.py --rounds 4 --steps 5

`cpu.fast_bf16()` decides from the CPU's flags whether precision "auto" takes bf16 (and so which recipe
`cpu-5min` and `cpu-15min` take); this bench measures whether that is right here. For each network it
times `train.train_step` (the engine's own step: channels last, the preset's optimizer, label smoothing)
on random images at the preset's batch size and image size, fp32 and bf16 alternating round by round,
and prints images/s and the ratio bf16 / fp32 at the median. Speed does not depend on the pixels.
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import common  # noqa: F401  (puts the project on sys.path)
import torch
from machine import cpu_model
from torch import nn

from cnnlib.config import cpu_kind, preset
from cnnlib.cpu import fast_bf16, flags, halves_avx512, has_amx, matmul_library
from cnnlib.memory import tune_malloc
from cnnlib.models import build_model, fit_to_data
from cnnlib.runner import match_threads
from cnnlib.train import make_optimizer, train_step
from cnnlib.tta import LAYOUT

# bf16 counts as faster where it trains cpu-5min's and cpu-15min's networks at least this many times fp32's speed
FASTER = 1.05

# (label, recipe, image side): the networks the CPU presets train, at the sizes they train them
CASES = [
    ("speedrun (cpu-15min:bf16), 32 px", "cpu-15min:bf16", 32),
    ("speedrun (cpu-15min:bf16), 24 px", "cpu-15min:bf16", 24),
    ("fast (cpu-5min)", "cpu-5min:plain", 32),
    ("quick (fast-cpu)", "fast-cpu", 32),
]


def make_case(name: str, size: int, precision: str):
    """A step of preset `name`'s network at `precision` on a fixed random batch of side `size`."""
    cfg = replace(preset(name), precision=precision)
    torch.manual_seed(0)
    model = build_model(cfg.model, 10, cfg.conv_dropout, cfg.fc_dropout, 32).to(memory_format=LAYOUT).train()
    fit_to_data(model, lambda: torch.randn(512, 3, 32, 32))          # a whitening layer, if any
    opt = make_optimizer(cfg, model)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    x = torch.randn(cfg.batch_size, 3, size, size).contiguous(memory_format=LAYOUT)
    y = torch.randint(0, 10, (cfg.batch_size,))

    def step() -> None:
        train_step(model, opt, scaler, loss_fn, x, y, 1e-3, precision)
    return step, cfg.batch_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5, help="steps a round, each way")
    args = ap.parse_args()
    tune_malloc()
    match_threads()
    print(f"CPU: {cpu_model()}; AMX: {has_amx()}, avx512_bf16: {'avx512_bf16' in flags()}; "
          f"cpu.fast_bf16(): {fast_bf16()}, cpu.halves_avx512(): {halves_avx512()}, kind: {cpu_kind()}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; linear layers by {matmul_library()}")
    print(f"{'network (recipe), image':36s} {'fp32':>8s} {'bf16':>8s}  bf16/fp32   "
          f"(images/s, median of {args.rounds} rounds)")
    ratios = []
    for label, name, size in CASES:
        steps = {p: make_case(name, size, p) for p in ("fp32", "bf16")}
        rates = {p: [] for p in steps}
        for step, _ in steps.values():           # warm-up: oneDNN's kernels are made at first use
            step()
            step()
        for _ in range(args.rounds):
            for p, (step, batch) in steps.items():
                t = time.perf_counter()
                for _ in range(args.steps):
                    step()
                rates[p].append(args.steps * batch / (time.perf_counter() - t))
        med = {p: statistics.median(r) for p, r in rates.items()}
        ratios.append(med["bf16"] / med["fp32"])
        print(f"{label:36s} {med['fp32']:8,.0f} {med['bf16']:8,.0f}  {ratios[-1]:.2f}x", flush=True)
    faster = min(r for (_, name, _), r in zip(CASES, ratios) if name.startswith("cpu-")) >= FASTER
    print(f"on the networks of cpu-5min and cpu-15min: bf16 is {'faster' if faster else 'NOT clearly faster'} here; "
          f"cpu.fast_bf16() says {'bf16' if fast_bf16() else 'fp32'}"
          f" ({'right' if faster == fast_bf16() else 'WRONG for this CPU: see cnnlib/cpu.py'})")


if __name__ == "__main__":
    main()
