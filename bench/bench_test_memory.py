"""A server's test of all the test images: how far it takes the process's resident memory above where
it started, and its time, for cnnlib's evaluate as a server runs it (the answers written into tensors made
before the first batch; a memory.Tidier handing freed memory back whenever the process has grown by
memory.TIDY_ABOVE) against the same test keeping each batch's answers in a list until the end, with no
Tidier (as evaluate did before 2026-12-01), alternating in one process set up as the server is (two arenas, glibc's own
thresholds, the CUDA libraries handed back).

    .venv/bin/python bench/bench_test_memory.py --rounds 5

For the tutorial's CNN, untrained, on random images, and each shipped run (pretrained/) on CIFAR-10's test
images: each way's median time, the ratio, and its peaks above the start
(VmHWM, reset before each test; glibc's heaps trimmed first, as the server does after each piece of
work). CIFAR-10's compact copy, 2 threads.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch
from common import ROOT, load_bench_data  # (common also puts the project on sys.path)
from machine import cpu_model

from cnnlib import inference, memory, train
from cnnlib.data import to_float
from cnnlib.models import build_model
from cnnlib.tta import view_logits


@torch.inference_mode()
def kept_in_a_list(model, x, y, mean, std, batch_size: int = train.EVAL_BATCH_CPU) -> float:
    """The baseline: evaluate() as it was, each batch's answers kept in lists and joined at the end."""
    model.eval()
    device = next(model.parameters()).device
    loss_sum, preds, confs = 0.0, [], []
    for i in range(0, len(y), batch_size):
        xb = to_float(x[i:i + batch_size].to(device, non_blocking=True), mean, std)
        yb = y[i:i + batch_size].to(device)
        with contextlib.nullcontext():
            logits = view_logits(model, xb, "none")
        loss_sum += torch.nn.functional.cross_entropy(logits, yb, reduction="sum").item()
        p = logits.softmax(1)
        c, k = p.max(1)
        preds.append(k.cpu())
        confs.append(c.cpu())
    preds_t = torch.cat(preds)
    torch.cat(confs)
    return (preds_t == y.cpu()).float().sum().item() / len(y)


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def measured(work) -> tuple[float, float]:
    """(seconds, MiB above the start at the peak) of work(), from trimmed heaps."""
    memory.release_memory()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                              # resets VmHWM to today's RSS
    start = peak_mb()
    t = time.perf_counter()
    work()
    return time.perf_counter() - t, peak_mb() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    memory.skip_triton()
    memory.tune_malloc(memory.SERVER)
    memory.drop_unused_libraries()
    torch.set_num_threads(2)
    data = load_bench_data()
    print(f"CPU: {cpu_model()}; torch {torch.__version__}, 2 threads; all {len(data.y_test):,} test images")
    g = torch.Generator().manual_seed(0)
    noise = (torch.randint(0, 256, (10_000, 3, 32, 32), dtype=torch.uint8, generator=g),
             torch.randint(0, 10, (10_000,), generator=g))
    subjects = [("the tutorial's CNN, untrained, on random images", build_model("tutorial", 10, 0.3, 0.5, 32),
                 *noise, None, None)]
    for folder in sorted((ROOT / "pretrained").iterdir()):
        p = inference.predictor_from_folder(folder)
        mean, std = (torch.tensor(v) for v in (p.mean, p.std)) if p.mean else (None, None)
        subjects.append((f"{folder.name} on CIFAR-10's test images", p.model, data.x_test, data.y_test, mean, std))
    for name, model, x, y, mean, std in subjects:
        ways = {"evaluate": lambda a=(model, x, y, mean, std): train.evaluate(*a),
                "kept in a list": lambda a=(model, x, y, mean, std): kept_in_a_list(*a)}
        seconds, peaks = {w: [] for w in ways}, {w: [] for w in ways}
        for _ in range(args.rounds):
            for way, work in ways.items():
                s, mb = measured(work)
                seconds[way].append(s)
                peaks[way].append(mb)
        new, old = (statistics.median(seconds[w]) for w in ways)
        print(f"{name}: evaluate {new:.2f} s, kept in a list {old:.2f} s: {new / old:.2f}x; peaks above the "
              f"start: evaluate {min(peaks['evaluate']):.0f}-{max(peaks['evaluate']):.0f} MiB, kept in a list "
              f"{min(peaks['kept in a list']):.0f}-{max(peaks['kept in a list']):.0f} MiB")


if __name__ == "__main__":
    main()
