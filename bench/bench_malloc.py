"""glibc's allocator settings for a long-lived server: training speed and the memory a process keeps,
for each setting, in one alternating run. Each measurement is a fresh process that trains as the
app does, in a background thread, several runs one after the other, and samples its own resident
memory (RSS) all along.

    .venv/bin/python bench/bench_malloc.py --preset fast-cpu --images 10000 --runs 3 --rounds 2
    .venv/bin/python bench/bench_malloc.py --preset tutorial --images 4000 --runs 2 --rounds 2

Modes: "speed", "default" and "server" are cnnlib.memory.MALLOC's settings; "+trim" also hands free memory back
to the system after each run (cnnlib.memory.release_memory, glibc's malloc_trim). Figures per mode:
images/s (median of the runs), the peak RSS, and the RSS after the last run, above the RSS the process
had with its data loaded, before training.
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import threading
import time

from common import ROOT, load_bench_data, worker_records

MODES = ("speed", "default", "server", "speed+trim", "default+trim")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def worker(mode: str, preset_name: str, images: int, runs: int, data_name: str) -> None:
    from cnnlib.config import preset
    from cnnlib.memory import release_memory, tune_malloc
    from cnnlib.train import EpochEnd, fit, make_model

    tune_malloc(mode.split("+")[0])
    data = load_bench_data(data_name).subset(images, 2000)
    cfg = preset(preset_name, epochs=1, eval_every=0, report_every=10_000)
    gc.collect()
    base = peak = rss_mb()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    speeds, after = [], []

    def one_run() -> None:
        model = make_model(cfg, data)
        for ev in fit(model, data, cfg):
            if isinstance(ev, EpochEnd):
                speeds.append(len(data.y_train) / ev.seconds)

    for _ in range(runs):
        t = threading.Thread(target=one_run)     # as the app's runner trains: in a thread of its own
        t.start()
        t.join()
        gc.collect()
        if mode.endswith("+trim"):
            release_memory()
        time.sleep(0.2)
        after.append(rss_mb() - base)
    done.set()
    sampler.join()
    print(json.dumps({"mode": mode, "images_per_s": statistics.median(speeds), "peak": peak - base,
                      "after": after[-1], "after_each": after, "base": base}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="fast-cpu", help="the recipe to train (one epoch each run)")
    ap.add_argument("--images", type=int, default=10_000, help="training images per run")
    ap.add_argument("--runs", type=int, default=3, help="runs one after the other in each process")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds over the modes")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated, from " + ", ".join(MODES))
    ap.add_argument("--data", default="auto", help="auto or cifar10 (the compact CIFAR-10 copy), builtin (Shapes-10)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.preset, args.images, args.runs, args.data)
    modes = args.modes.split(",")
    results: dict[str, list[dict]] = {m: [] for m in modes}
    for r in range(args.rounds):
        for m in modes if r % 2 == 0 else reversed(modes):
            for rec in worker_records(__file__, "--worker", m, "--preset", args.preset, "--images", str(args.images),
                                      "--runs", str(args.runs), "--data", args.data):
                results[m].append(rec)
                print(f"round {r + 1} {m:>13}: {rec['images_per_s']:7.0f} images/s, peak +{rec['peak']:4.0f} MB, "
                      f"after the runs +{rec['after']:4.0f} MB (each: "
                      + ", ".join(f"{a:.0f}" for a in rec["after_each"]) + ")", flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"\n{cpu}, {args.preset}, {args.images} images, {args.runs} runs a process, medians of {args.rounds} rounds:")
    ref = statistics.median(r["images_per_s"] for r in results[modes[0]])
    for m in modes:
        ips = statistics.median(r["images_per_s"] for r in results[m])
        print(f"  {m:>13}: {ips:7.0f} images/s ({ips / ref:.2f}x of {modes[0]}), peak +"
              f"{statistics.median(r['peak'] for r in results[m]):.0f} MB, after the runs +"
              f"{statistics.median(r['after'] for r in results[m]):.0f} MB")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
