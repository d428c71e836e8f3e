"""fc3's forward product two ways, for the batch sizes and image sizes the tutorial's network meets:
where `cnnlib.models.Linear`'s threshold (training batches of up to 64 rows) comes from.

    .venv/bin/python bench/bench_linear.py --threads 2

`x @ W.T + b` (nn.Linear) against the same product as `(W @ x.T + b).T` (cnnlib's Linear), for
fc3 of 16x16, 32x32 and 64x64 images (2,048, 8,192 and 32,768 inputs to 512). The two alternate,
each timed with torch.utils.benchmark; prints the median of each and their ratio over the rounds.
The backward products are the same either way.
"""
from __future__ import annotations

import argparse
import statistics

import torch
from torch.utils.benchmark import Timer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", default="32,64,96,128")
    ap.add_argument("--inputs", default="2048,8192,32768")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads; ms per forward product, median of {args.rounds} rounds")
    ways = {"plain": "torch.addmm(b, x, w.t())", "thin": "torch.addmm(b[:, None], w, x.t()).t().contiguous()"}
    for k in map(int, args.inputs.split(",")):
        for n in map(int, args.batches.split(",")):
            x, w, b = torch.randn(n, k), torch.randn(512, k), torch.randn(512)
            times = {name: [] for name in ways}
            for _ in range(args.rounds):
                for name, stmt in ways.items():
                    t = Timer(stmt, globals=dict(torch=torch, x=x, w=w, b=b)).blocked_autorange(min_run_time=0.3)
                    times[name].append(t.median * 1e3)
            plain, thin = (statistics.median(times[name]) for name in ways)
            print(f"{n:4d} x {k:6d} -> 512: plain {plain:6.2f} ms, thin {thin:6.2f} ms, "
                  f"plain/thin {plain / thin:4.2f}x")


if __name__ == "__main__":
    main()
