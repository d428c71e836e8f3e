"""One training step of the tutorial's CNN at batch 32, done five ways, in one run: what speeds up
"same model, same maths" on a CPU, and what does not.

    .venv/bin/python bench/bench_step.py --steps 100 --rounds 3

- tutorial: the tutorial's own network (nn.Dropout) and torch's default SGD, plain layout;
- eager: cnnlib's model as the engine runs it (fp32, channels-last, its own dropout, flatten and
  linear layers, fused SGD);
- bf16: the same under bf16 autocast (fast only on a CPU with AMX or AMD's AVX-512 bf16);
- compiled: `torch.compile` (Inductor) of the model with torch's own dropout;
- compiled, no dropout: the same without dropout, to see what the compiled convolutions cost.

Random inputs (speed does not depend on them). Prints milliseconds per step, median of the rounds,
and each variant's speed against the tutorial's. Compile time is reported apart.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import TutorialNet  # (common also puts the project on sys.path)
from torch import nn

from cnnlib.config import preset
from cnnlib.memory import tune_malloc
from cnnlib.models import TutorialCNN
from cnnlib.train import make_optimizer
from cnnlib.tta import LAYOUT


def make_step(variant: str):
    torch.manual_seed(0)
    model = TutorialNet() if variant == "tutorial" else TutorialCNN()
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.rand(32, 3, 32, 32), torch.randint(0, 10, (32,))
    forward = model
    if variant in ("eager", "bf16"):
        model.to(memory_format=LAYOUT)
        x = x.contiguous(memory_format=LAYOUT)
    if variant.startswith("compiled"):
        keep = "no dropout" not in variant
        model.drop1 = nn.Dropout(0.3) if keep else nn.Identity()
        model.drop3 = nn.Dropout(0.5) if keep else nn.Identity()
        forward = torch.compile(model)
    if variant == "tutorial":
        opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    else:
        opt = make_optimizer(preset("tutorial"), model)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16"):
            loss = loss_fn(forward(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tune_malloc()
    variants = ["tutorial", "eager", "bf16", "compiled", "compiled, no dropout"]
    steps, times = {}, {v: [] for v in variants}
    for v in variants:
        t = time.perf_counter()
        steps[v] = make_step(v)
        for _ in range(3):
            steps[v]()
        print(f"{v}: ready after {time.perf_counter() - t:.1f} s (model, warm-up steps and any compile)", flush=True)
    for _ in range(args.rounds):
        for v in variants:  # alternate, so that noise on the machine hits every variant alike
            t = time.perf_counter()
            for _ in range(args.steps):
                steps[v]()
            times[v].append(1000 * (time.perf_counter() - t) / args.steps)
    base = statistics.median(times["tutorial"])
    print(f"\n{torch.get_num_threads()} threads, batch 32, {args.steps} steps x {args.rounds} rounds")
    for v in variants:
        med = statistics.median(times[v])
        print(f"{v:22s} {med:6.1f} ms/step  ({base / med:.2f}x the tutorial's speed)")


if __name__ == "__main__":
    main()
