"""Training inside the app against the command line, on the same preset and data, and how fast the
page answers a click while the app trains.

    .venv/bin/python bench/bench_app.py --preset fast-cpu --epochs 3 --rounds 2
    .venv/bin/python bench/bench_app.py --preset tutorial --epochs 1 --app-threads 0,1
    .venv/bin/python bench/bench_app.py --preset fast-cpu --epochs 4 --rounds 3 --split

Each round runs, one after the other: `python -m cnnlib train` (the command line), then the real
app (`streamlit run app.py` in Debian's Chromium through Playwright) once per --app-threads value
(0 = the app's own policy, `cnnlib.runner.torch_threads()`; N = CNNLAB_TORCH_THREADS=N). In the
app, the bench picks the preset on the Train page, presses Start and, while the run goes on, flips
the chart's reference toggle every few seconds and times each click until the redrawn chart shows
it. Images/s are training images over training seconds, read from each run's run.json, so both
sides are measured the same way (the engine's clock stops while it tests). Data: Shapes-10 (built
in), the same images on both sides; speed does not depend on what the images show.

--split stands in for a class, where each browser runs on the student's own machine: the command
line and the app's server get core 0 (so one torch thread each, by their own thread policies), the
browser (and this bench, which drives it) the other cores. Then what the app loses is the server's
own cost of a watched run, not the browser's drawing.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import OUT, ROOT

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from classdrive import cpu_seconds  # noqa: E402
from drive import CHART, CHROME_ARGS, CHROMIUM, button, go, set_number, settle, streamlit_process  # noqa: E402

TRACES = "s => { const c = document.querySelector(s); return c && c.data ? c.data.length : -1 }"


def browser_cpu_seconds() -> float:
    """CPU seconds used so far by every Chromium process on this machine (from /proc)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"chrom" not in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
                continue
        except OSError:
            continue
        total += cpu_seconds(int(pid))
    return total


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds used so far by each thread of process `pid`, by thread id (from /proc; a thread that
    ended meanwhile reads 0, and `ThreadWatch` keeps its last reading)."""
    return {int(task): cpu_seconds(pid, int(task)) for task in os.listdir(f"/proc/{pid}/task")}


class ThreadWatch:
    """The latest `thread_cpu_seconds` of process `pid`, read every half second in a thread of this bench
    until stopped, each thread's last reading kept after it ends (the training thread ends with the run)."""

    def __init__(self, pid: int):
        self.pid, self.seen, self.done = pid, {}, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.5):
            self()

    def __call__(self) -> dict[int, float]:
        with contextlib.suppress(OSError):                # the server has ended
            for tid, seconds in thread_cpu_seconds(self.pid).items():
                self.seen[tid] = max(seconds, self.seen.get(tid, 0.0))
        return dict(self.seen)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def serving_share(before: dict[int, float], after: dict[int, float]) -> float:
    """Between two `thread_cpu_seconds` readings of the server: the CPU time of every thread but the busiest
    (the training thread), per second of the busiest's."""
    used = sorted((t - before.get(tid, 0.0) for tid, t in after.items()), reverse=True)
    return sum(used[1:]) / used[0] if used and used[0] > 0 else 0.0


def images_per_second(run_json: Path, n_train: int) -> float:
    epochs = json.loads(run_json.read_text())["epochs"]
    return n_train * len(epochs) / sum(e["seconds"] for e in epochs)


# --split: the training side's core (the browser's side is every other core).
TRAIN_CORE = ("taskset", "-c", "0")


def cli_run(args, work: Path) -> float:
    out = Path(tempfile.mkdtemp(prefix="runs-cli-", dir=work))  # a new folder each round: one run.json in it
    subprocess.run([*(TRAIN_CORE if args.split else ()), sys.executable, "-m", "cnnlib", "train",
                    "--preset", args.preset, "--data", "builtin", "--data-root", str(work / "data"),
                    "--max-train", str(args.images), "--epochs", str(args.epochs), "--out", str(out), "--name", "cli"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (run_json,) = out.glob("*/run.json")
    return images_per_second(run_json, args.images)


def train_in_app(page, args, runs: Path, server_threads) -> tuple[list[float], float, float]:
    """On an open app: choose the preset and epochs, press Start, then until the run is saved in
    `runs`, either stay on Train flipping the chart's reference toggle every --click-every s, or
    (--away) wait on Home. Returns the click-to-redraw times (s), the share of a core the browser
    used while the run trained, and `serving_share` of the server's threads (`server_threads()`)
    over the same time."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    go(page, "Train")
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name=args.preset, exact=True).click()
    settle(page)
    set_number(page, "epochs", args.epochs)
    button(page, "Start").click()
    page.wait_for_function(f"s => ({TRACES})(s) > 0", arg=CHART)
    cpu0, since, threads0 = browser_cpu_seconds(), time.perf_counter(), server_threads()
    clicks: list[float] = []
    if args.away:
        go(page, "Home")
        while not any(runs.glob("*/run.json")):
            page.wait_for_timeout(500)
    else:
        saved = page.get_by_text("Saved on this server as", exact=False)
        toggle = page.get_by_text("Show the tutorial's test accuracy", exact=False)
        while True:
            try:
                saved.wait_for(timeout=args.click_every * 1000)
                break
            except PlaywrightTimeout:
                pass
            before = page.evaluate(TRACES, CHART)
            t0 = time.perf_counter()
            toggle.click()
            page.wait_for_function(f"([s, n]) => {{ const k = ({TRACES})(s); return k > 0 && k != n }}",
                                   arg=[CHART, before])
            clicks.append(time.perf_counter() - t0)
    serving = serving_share(threads0, server_threads())
    return clicks, (browser_cpu_seconds() - cpu0) / (time.perf_counter() - since), serving


# How the browser is scheduled beside the app: `normal` as any program; `nice` at niceness 19;
# `idle` under Linux's SCHED_IDLE, so it runs only on time the app leaves idle. `idle` was meant to
# stand in for a browser on another machine; measured, it does not: the browser still slowed
# training as much (BENCHMARKS.md §5).
BROWSER_PRIORITY = {"normal": "", "nice": "nice -n 19", "idle": "chrt --idle 0"}


def browser_launcher(work: Path, priority: str) -> str:
    """Chromium itself, or a launcher that runs it (and so every process it starts) at `priority`."""
    if not BROWSER_PRIORITY[priority]:
        return CHROMIUM
    path = work / f"chromium-{priority}"
    path.write_text(f'#!/bin/sh\nexec {BROWSER_PRIORITY[priority]} {CHROMIUM} "$@"\n')
    path.chmod(0o755)
    return str(path)


def app_run(args, work: Path, threads: int, priority: str = "normal") -> tuple[float, list[float], float, float]:
    """Train in the app (threads 0: its own policy) watched by a browser scheduled at `priority`;
    returns images/s, the click-to-redraw times, the browser's share of a core, and the CPU seconds
    the server's other threads used for each second its busiest thread (the training thread) used
    while the run trained: what serving the page took from training."""
    from playwright.sync_api import sync_playwright

    cwd = Path(tempfile.mkdtemp(dir=work))
    env = {k: v for k, v in os.environ.items() if k != "CNNLAB_TORCH_THREADS"}
    env.update(CNNLAB_DATA=str(work / "data"), CNNLAB_RUNS="runs", CNNLAB_DATA_LIMIT=str(args.images),
               CNNLAB_MAX_RUNS="1", **({"CNNLAB_TORCH_THREADS": str(threads)} if threads else {}))
    launch = TRAIN_CORE if args.split else ()
    with streamlit_process(cwd, env, cwd / "streamlit.log", launch) as (url, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_launcher(work, priority), args=CHROME_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, base_url=url)
        page.set_default_timeout(120_000)
        page.goto("/")
        settle(page)
        watch = ThreadWatch(proc.pid)
        try:
            clicks, share, serving = train_in_app(page, args, cwd / "runs", watch)
        finally:
            watch.stop()
        browser.close()
    return images_per_second(next((cwd / "runs").glob("*/run.json")), args.images), clicks, share, serving


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="fast-cpu")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--images", type=int, default=20_000, help="Shapes-10 training images")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--app-threads", default="0", help="comma-separated: 0 = the app's policy, N = N threads")
    ap.add_argument("--away", action="store_true", help="after Start, wait on the Home page (no live chart)")
    ap.add_argument("--browser", default="normal",
                    help="comma-separated, how the browser is scheduled: " + ", ".join(BROWSER_PRIORITY)
                         + " (idle: only on time the app leaves idle)")
    ap.add_argument("--click-every", type=float, default=10.0, help="seconds between clicks")
    ap.add_argument("--split", action="store_true",
                    help="training (command line and app server) on core 0, the browser on the "
                         "other cores: a stand-in for a browser on another machine")
    args = ap.parse_args()
    if args.split:
        if os.cpu_count() < 2:
            ap.error("--split needs two cores")
        os.sched_setaffinity(0, set(range(1, os.cpu_count())))  # this bench and the browser it starts
    OUT.mkdir(parents=True, exist_ok=True)
    settings = [(int(t), b) for t in args.app_threads.split(",") for b in args.browser.split(",")]
    results: dict[str, list[float]] = {"cli": []}
    clicks: dict[str, list[float]] = {}
    browser_use: dict[str, list[float]] = {}
    server_use: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        work = Path(tmp)
        for r in range(args.rounds):
            rate = cli_run(args, work)
            results["cli"].append(rate)
            print(f"round {r + 1}  command line: {rate:8.0f} images/s", flush=True)
            for t, priority in settings:
                name = f"app ({'own policy' if t == 0 else f'{t} thread' + 's' * (t > 1)}, browser {priority})"
                rate, times, share, serving = app_run(args, work, t, priority)
                browser_use.setdefault(name, []).append(share)
                server_use.setdefault(name, []).append(serving)
                results.setdefault(name, []).append(rate)
                clicks.setdefault(name, []).extend(times)
                print(f"round {r + 1}  {name}: {rate:8.0f} images/s; browser {share:.0%} of a core; the server's "
                      f"other threads {serving:.1%} of its training thread's CPU time; clicks answered in "
                      + ", ".join(f"{c:.2f}" for c in times) + " s", flush=True)
    cli = statistics.median(results["cli"])
    print(f"\npreset {args.preset}, {args.epochs} epoch(s) of {args.images} Shapes-10 images, {os.cpu_count()} cores")
    print(f"command line: median {cli:.0f} images/s")
    for name, rates in results.items():
        if name == "cli":
            continue
        med = statistics.median(rates)
        c = clicks[name]
        each = ", ".join(f"{a / b:.2f}x" for a, b in zip(rates, results["cli"]))
        print(f"{name}: the browser used {statistics.median(browser_use[name]):.0%} of a core while the run trained")
        print(f"{name}: the server's other threads used {statistics.median(server_use[name]):.1%} of the CPU time "
              "of its training thread")
        print(f"{name}: median {med:.0f} images/s = {med / cli:.2f}x the command line (rounds: {each})")
        if c:
            print(f"{name}: click to redraw: median {statistics.median(c):.2f} s, slowest {max(c):.2f} s "
                  f"over {len(c)} clicks")


if __name__ == "__main__":
    main()
