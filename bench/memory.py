"""A memory budget, measured: the server's resident memory (RSS) over a scripted class on CIFAR-10,
stage by stage, with the peak and the end of each stage.

    .venv/bin/python bench/memory.py                                  # the whole class, default sizes
    .venv/bin/python bench/memory.py --out bench/out/memory.json
    .venv/bin/python bench/memory.py --cgroup 1G                      # inside a 1 GiB memory limit (root)
    .venv/bin/python bench/memory.py --env MALLOC_ARENA_MAX=2 --env MALLOC_TRIM_THRESHOLD_=0
    .venv/bin/python bench/memory.py --sessions 3 --queue 2 --max-train 2000 --queue-max-train 2000   # a quick try

The server runs as `streamlit run app.py` in a temporary folder with its own runs folder, one
training slot (CNNLAB_MAX_RUNS=1), and the compact CIFAR-10 copy that ships with CNN Lab (decoded once into
bench/out/ by bench/common.py) already in its data cache, so it starts on CIFAR-10 with all
50,000 training images. One "teacher" session and then --sessions more, in one Chromium (a context
each). The stages:

1. idle: the server started, the teacher's page open on Home (the app's imports done);
2. CIFAR-10 loaded: the teacher opens Data (the data set is loaded once for the whole server);
3. one tutorial run: Train, the "tutorial" preset, --tutorial-epochs (and --max-train) images; Start,
   until it is saved;
4. Evaluate and Inspect: the teacher's run and each pretrained model, chosen in each page's "Model"
   box (each evaluation tests all 10,000 test images);
5. sessions browsing while one trains: the teacher starts the same tutorial run again, and --sessions
   new sessions (--stagger s apart) each open Home, Data and Next batch, Predict with an upload (an
   image this script makes) and Evaluate; until they are done and the teacher's run is saved;
6. a queue: --queue of those sessions choose fast-cpu on Train (--queue-max-train images) and press
   Start at once, on the one slot; until all are saved. Then --settle s with nothing to do.

RSS is sampled every 0.5 s (/proc/PID/statm); MB are 10^6 bytes. It reports, for each stage, its
peak and its RSS at its end, and above the idle server; then:
- the peak of the whole class, against 1.0 GB (10^9 bytes) (PASS/FAIL);
- per extra session or finished run: (RSS at the end of stage 6 - RSS at the end of stage 2) /
  (the sessions opened after stage 2 + the runs saved), against 150 MB (PASS/FAIL): what each more
  student costs once the data set is in memory;
- memory returned after the runs: stage 6's peak against the RSS --settle s after the queue ended.
With --cgroup SIZE (e.g. 1G; needs root and cgroup v1's memory controller at /sys/fs/cgroup/memory)
the server runs inside that memory limit (a cgroup made for it and removed afterwards, inside this
script's own), and the report says whether it was OOM-killed (memory.oom_control, memory.failcnt,
dmesg) and whether it survived the class. --env KEY=VALUE (repeatable) sets the server's
environment, e.g. to compare allocator settings. Summary, then one JSON line (--out writes it).
The browsers run on the server's cores: on a busy, shared machine, re-measure on a quiet one.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classdrive import (
    CHART,
    Server,
    Session,
    StepFailed,
    chromium,
    class_server,
    cpu_model,
    emit,
    env_pair,
    make_upload,
    mb,
    parse_env,
    pretrained_labels,
    verdict,
    work_folder,
)
from playwright.async_api import Error as PlaywrightError

PEAK_TARGET = 1e9
PER_EXTRA_TARGET = 150e6
HEATMAP = f"{CHART} .heatmaplayer"


@dataclass
class Stage:
    name: str
    began: float
    ended: float = 0.0
    peak: int = 0                   # RSS, bytes
    end: float = 0                  # RSS at the stage's end, bytes (nan: the server was gone)


class ServerDied(Exception):
    pass


async def guarded(server: Server, step) -> None:
    """Await `step`, but give up at once if the server process dies meanwhile (an OOM kill)."""
    task = asyncio.ensure_future(step)
    while not task.done():
        if not server.alive:
            task.cancel()
            raise ServerDied(f"the server exited (status {server.proc.returncode})")
        await asyncio.wait([task], timeout=0.5)
    task.result()


# --- the stages ---------------------------------------------------------------------------------------

async def idle(teacher: Session, args) -> None:
    await teacher.page.wait_for_timeout(2000)


async def cifar10_loaded(teacher: Session, args) -> None:
    await teacher.go("Data", teacher.page.get_by_text("Batch 1 of"))
    if "CIFAR-10" not in await teacher.page.get_by_test_id("stMain").inner_text():
        raise StepFailed("the Data page does not show CIFAR-10: the prepared copy was not used")


async def tutorial_settings(teacher: Session, args) -> None:
    await teacher.go("Train", teacher.button("Start"))
    await teacher.choose("Preset", "tutorial")
    await teacher.set_number("epochs", args.tutorial_epochs)
    await set_max_train(teacher, args.max_train)


async def set_max_train(s: Session, n: int) -> None:
    if n:
        await s.open_group("Data pipeline")
        await s.set_number("max_train", n)


async def until_saved(s: Session, args, poke_every: float = 0.0):
    run = await s.start_run(args.run_timeout, poke_every)
    if run.problem:
        raise StepFailed(f"{s.name}'s run: {run.problem}")
    return run


async def tutorial_run(teacher: Session, args) -> None:
    await tutorial_settings(teacher, args)
    await until_saved(teacher, args)


async def evaluate_and_inspect(teacher: Session, args) -> None:
    """Evaluate, then Inspect, on the teacher's run and on each pretrained model."""
    await teacher.go("Evaluate", teacher.page.locator(HEATMAP))
    for label in pretrained_labels():
        await teacher.choose("Model", label)
        await teacher.page.locator(HEATMAP).first.wait_for()
    await teacher.go("Inspect", teacher.page.get_by_text("Feature maps of every convolution layer"))
    for label in pretrained_labels():
        await teacher.choose("Model", label)
        await teacher.page.get_by_text("Feature maps of every convolution layer").wait_for()


async def browse(i: int, browser, server: Server, args, image: Path) -> Session:
    """One student looking around while another trains: Home, Data and Next batch, Predict, Evaluate."""
    await asyncio.sleep(i * args.stagger)
    s = await Session.open(browser, server.url, f"s{i + 1}", args.page_timeout)
    await s.go("Data", s.page.get_by_text("Batch 1 of"))
    await s.click("Next batch", s.page.get_by_text("Batch 2 of"))
    await s.go("Predict")
    await s.upload(image)
    await s.go("Evaluate", s.page.locator(HEATMAP))
    return s


async def sessions_browsing(teacher: Session, args, browser, server: Server, image: Path, students: list) -> dict:
    """The teacher trains again while --sessions students browse; returns whether it trained throughout."""
    await teacher.go("Train", teacher.button("Start"))
    training = asyncio.ensure_future(until_saved(teacher, args))
    students += await asyncio.gather(*(browse(i, browser, server, args, image) for i in range(args.sessions)))
    browsed = time.monotonic()
    run = await training
    return {"browsing_s": round(browsed - run.start, 1), "trained_throughout": run.saved > browsed}


async def queue(students: list[Session], args) -> None:
    """--queue students choose fast-cpu, then press Start at once; until every run is saved."""
    queued = students[:args.queue]

    async def prepare(s: Session) -> None:
        await s.go("Train", s.button("Start"))
        await s.choose("Preset", "fast-cpu")
        await set_max_train(s, args.queue_max_train)
    await asyncio.gather(*(prepare(s) for s in queued))
    await asyncio.gather(*(until_saved(s, args) for s in queued))


# --- a memory limit ----------------------------------------------------------------------------------

CGROUP_ROOT = Path("/sys/fs/cgroup/memory")


def size_bytes(text: str) -> int:
    """'1G', '768M', '512k' or a number of bytes (binary units, as the cgroup reads them)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgG]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1G, 768M)")
    return int(float(m[1]) * 1024 ** " kmg".index(m[2].lower() or " "))


def cgroup_problem() -> str:
    """Why --cgroup cannot run here ('' if it can)."""
    if not (CGROUP_ROOT / "memory.limit_in_bytes").exists():
        return f"cgroup v1's memory controller is not mounted at {CGROUP_ROOT}: --cgroup cannot run on this machine"
    if os.geteuid() != 0:
        return "--cgroup needs root (it makes a memory cgroup and moves the server into it)"
    return ""


def own_cgroup() -> Path:
    """This process's memory cgroup folder (a new cgroup goes inside it, so any limit above still holds)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            folder = CGROUP_ROOT / path.lstrip("/")
            if folder.is_dir():
                return folder
    return CGROUP_ROOT


@contextlib.contextmanager
def memory_cgroup(limit: int) -> Iterator[Path]:
    """A new memory cgroup limited to `limit` bytes (swap included where the kernel counts it); removed
    afterwards, once the processes in it have ended."""
    folder = own_cgroup() / f"cnnlab-bench-{os.getpid()}"
    folder.mkdir()
    try:
        (folder / "memory.limit_in_bytes").write_text(str(limit))
        with contextlib.suppress(OSError):          # absent without swap accounting
            (folder / "memory.memsw.limit_in_bytes").write_text(str(limit))
        yield folder
    finally:
        for _ in range(20):
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.5)


def in_cgroup(folder: Path) -> tuple[str, ...]:
    """A launcher that puts the server into the cgroup before it starts (its PID stays the server's)."""
    return ("sh", "-c", f'echo $$ > {folder / "cgroup.procs"} && exec "$@"', "sh")


def with_python(python: str) -> tuple[str, ...]:
    """A launcher that runs the server with another Python (another environment's PyTorch build)
    instead of this one; none for this one. Its PID stays the server's."""
    if not python:
        return ()
    return ("sh", "-c", f'shift; exec {shlex.quote(python)} "$@"', "sh")


def cgroup_report(folder: Path, limit: int, server: Server, since: float) -> dict:
    def read(name: str) -> str:
        try:
            return (folder / name).read_text()
        except OSError:
            return ""
    oom = dict(line.split() for line in read("memory.oom_control").splitlines() if len(line.split()) == 2)
    try:
        kernel = subprocess.run(["dmesg"], check=False, capture_output=True, text=True, timeout=10).stdout
        kills = [ln for ln in kernel.splitlines() if folder.name in ln or f"Killed process {server.proc.pid} " in ln]
    except (OSError, subprocess.SubprocessError):
        kills = ["(dmesg could not be read)"]
    return {"limit_mb": mb(limit), "max_usage_mb": mb(int(read("memory.max_usage_in_bytes") or 0)),
            "failcnt": int(read("memory.failcnt") or 0), "memsw_failcnt": int(read("memory.memsw.failcnt") or 0),
            "oom_kill": int(oom.get("oom_kill", 0)),
            "under_oom": int(oom.get("under_oom", 0)), "dmesg": kills[-5:],
            "server_survived": server.alive, "server_exit_status": server.proc.returncode,
            "seconds": round(time.monotonic() - since, 1)}


# --- the class ---------------------------------------------------------------------------------------

async def run_class(server: Server, args, image: Path) -> dict:
    stages: list[Stage] = []
    problems: list[str] = []
    extra: dict = {}
    students: list[Session] = []
    async with chromium() as browser:
        teacher = await Session.open(browser, server.url, "teacher", args.page_timeout)
        steps = [("idle", idle(teacher, args)),
                 ("CIFAR-10 loaded", cifar10_loaded(teacher, args)),
                 ("one tutorial run", tutorial_run(teacher, args)),
                 ("Evaluate and Inspect", evaluate_and_inspect(teacher, args)),
                 (f"{args.sessions} sessions browsing while one trains",
                  sessions_browsing(teacher, args, browser, server, image, students)),
                 (f"a queue of {args.queue} fast-cpu runs", queue(students, args))]
        for name, step in steps:
            stage = Stage(name, time.monotonic())
            stages.append(stage)
            try:
                task = asyncio.ensure_future(step)
                await guarded(server, task)
                extra |= task.result() or {}
            except (StepFailed, PlaywrightError, ServerDied) as e:
                problems.append(f"stage '{name}': {str(e)[:500]}")
            stage.ended = time.monotonic()
            stage.peak = server.sampler.peak(stage.began, stage.ended)[0]
            stage.end = server.sampler.now()[0] if server.alive else math.nan
            print(f"{len(stages)}. {name}: peak {mb(stage.peak):.0f} MB, at its end {mb(stage.end):.0f} MB, "
                  f"{stage.ended - stage.began:.0f} s", flush=True)
            if problems:
                for step_left in steps[len(stages):]:
                    step_left[1].close()            # never awaited: the class stops at the failed stage
                break
        settled = await settle(server, args.settle) if not problems else 0
        for s in [teacher, *students]:
            problems += s.problems()
    return {"stages": stages, "settled": settled, "problems": problems, "extra": extra,
            "sessions_opened": len(students), "runs_saved": server.saved_runs()}


async def settle(server: Server, seconds: float) -> int:
    """The server's RSS after `seconds` with nothing to do."""
    await asyncio.sleep(seconds)
    return server.sampler.now()[0]


def server_torch(python: str) -> str:
    """The server's PyTorch build: its version (a CPU-only build says +cpu)."""
    import sys
    out = subprocess.run([python or sys.executable, "-c", "import torch; print(torch.__version__)"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def figures(m: dict, server: Server, args) -> dict:
    stages: list[Stage] = m["stages"]
    idle_rss = stages[0].end
    complete = len(stages) == 6 and not m["problems"]
    per_extra = returned = None
    if complete:
        extras = m["sessions_opened"] + m["runs_saved"]
        per_extra = (stages[5].end - stages[1].end) / extras if extras else None
        returned = stages[5].peak - m["settled"]
    return {
        "bench": "memory", "cpu": cpu_model(), "torch": server_torch(args.python),
        "settings": vars(args) | {"out": str(args.out or "")},
        "stages": [{"stage": s.name, "began_s": round(s.began - stages[0].began, 1),
                    "seconds": round(s.ended - s.began, 1), "peak_mb": mb(s.peak), "end_mb": mb(s.end),
                    "end_above_idle_mb": mb(s.end - idle_rss)} for s in stages],
        "complete": complete,
        "peak_mb": mb(max(s.peak for s in stages)), "idle_mb": mb(idle_rss),
        "sessions_opened_after_stage_2": m["sessions_opened"], "runs_saved": m["runs_saved"],
        "per_extra_session_or_run_mb": mb(per_extra) if per_extra is not None else None,
        "after_queue": {"peak_mb": mb(stages[5].peak) if complete else None, "settle_s": args.settle,
                        "settled_mb": mb(m["settled"]) if complete else None,
                        "returned_mb": mb(returned) if returned is not None else None},
        **m["extra"],
        "server_alive": server.alive, "server_tracebacks": server.tracebacks(), "problems": m["problems"],
        "timeline": timeline(server, stages[0].began) if stages else [],
    }


def timeline(server: Server, since: float, every: float = 1.0) -> list[list[float]]:
    """[seconds since the class began, MB] of the server's RSS: the highest sample in each `every` s."""
    highest: dict[int, int] = {}
    for t, rss, _ in list(server.sampler.samples):
        if t >= since:
            slot = int((t - since) / every)
            highest[slot] = max(highest.get(slot, 0), rss)
    return [[round(slot * every, 1), round(mb(rss))] for slot, rss in sorted(highest.items())]


def targets(f: dict) -> dict[str, bool]:
    per = f["per_extra_session_or_run_mb"]
    return {f"peak <= {PEAK_TARGET / 1e9:.1f} GB with CIFAR-10 and {f['settings']['sessions']} sessions":
            f["complete"] and f["peak_mb"] * 1e6 <= PEAK_TARGET,
            f"<= {PER_EXTRA_TARGET / 1e6:.0f} MB above the idle server per extra session or finished run":
            per is not None and per * 1e6 <= PER_EXTRA_TARGET}


def summary(f: dict, verdicts: dict[str, bool]) -> list[str]:
    s, q = f["settings"], f["after_queue"]
    lines = [f"CPU: {f['cpu']}; the server's PyTorch: {f['torch']}",
             (f"CIFAR-10; tutorial runs of {s['tutorial_epochs']} epoch(s) on {s['max_train'] or 'all'} images; "
              f"{s['sessions']} sessions, a queue of {s['queue']} fast-cpu runs on {s['queue_max_train'] or 'all'} "
              f"images" + (f"; server environment {' '.join(s['env'])}" if s["env"] else "")),
             f"{'stage':52} {'peak MB':>8} {'end MB':>8} {'end-idle':>9} {'s':>6}"]
    for i, st in enumerate(f["stages"], 1):
        lines.append(f"{i}. {st['stage']:49} {st['peak_mb']:8.0f} {st['end_mb']:8.0f} "
                     f"{st['end_above_idle_mb']:+9.0f} {st['seconds']:6.0f}")
    lines.append(f"peak of the class: {f['peak_mb']:.0f} MB ({f['peak_mb'] - f['idle_mb']:+.0f} MB above idle)")
    if f["complete"]:
        lines += [(f"per extra session or finished run: {f['per_extra_session_or_run_mb']} MB = (end of stage 6 - end "
                   f"of stage 2) / ({f['sessions_opened_after_stage_2']} sessions + {f['runs_saved']} runs saved)"),
                  (f"after the queue: peak {q['peak_mb']:.0f} MB, {q['settled_mb']:.0f} MB {q['settle_s']:g} s later "
                   f"({q['returned_mb']:.0f} MB returned)")]
        if "trained_throughout" in f:
            lines.append(f"stage 5: the browsing took {f['browsing_s']} s from the teacher's Start; the run "
                         + ("trained throughout" if f["trained_throughout"] else "was saved before the browsing ended"))
    if "cgroup" in f:
        c = f["cgroup"]
        fate = "survived" if c["server_survived"] else f"DID NOT survive (exit status {c['server_exit_status']})"
        lines.append(f"cgroup limit {c['limit_mb']:.0f} MB: usage peaked at {c['max_usage_mb']:.0f} MB (page cache "
                     f"included), failcnt {c['failcnt']} (with swap {c['memsw_failcnt']}), oom_kill {c['oom_kill']}; "
                     f"the server {fate}")
        lines += [f"  dmesg: {line}" for line in c["dmesg"]]
    lines.append(f"server tracebacks in its log: {len(f['server_tracebacks'])}")
    lines += [f"  {t}" for t in f["server_tracebacks"][-3:]]
    lines += [f"problem: {p}" for p in f["problems"]]
    lines += [f"{verdict(ok)}  {name}" for name, ok in verdicts.items()]
    return lines


def measure(args, work: Path, launch: tuple[str, ...] = (), cgroup: Path | None = None) -> dict:
    image = make_upload(work / "photo.png")
    began = time.monotonic()
    with class_server(work, "cifar10", slots=1, extra_env=parse_env(args.env), launch=launch) as server:
        measured = asyncio.run(run_class(server, args, image))
        f = figures(measured, server, args)
        if cgroup is not None:
            f["cgroup"] = cgroup_report(cgroup, args.cgroup, server, began)
    return f


def main() -> None:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--tutorial-epochs", type=int, default=1, help="epochs of the tutorial runs (stages 3 and 5)")
    ap.add_argument("--max-train", type=int, default=0,
                    help="training images of the tutorial runs (0 = all 50,000), to shorten them")
    ap.add_argument("--sessions", type=int, default=10, help="sessions browsing in stage 5")
    ap.add_argument("--stagger", type=float, default=1.0, help="seconds between two browsing sessions' starts")
    ap.add_argument("--queue", type=int, default=5, help="fast-cpu runs queued at once in stage 6 (<= --sessions)")
    ap.add_argument("--queue-max-train", type=int, default=0, help="training images of each queued run (0 = all)")
    ap.add_argument("--settle", type=float, default=10, help="seconds after the queue before the last reading")
    ap.add_argument("--cgroup", type=size_bytes, metavar="SIZE",
                    help="run the server inside a cgroup v1 memory limit of SIZE (e.g. 1G; needs root)")
    ap.add_argument("--env", action="append", default=[], type=env_pair, metavar="KEY=VALUE",
                    help="an environment variable for the server (repeatable), e.g. MALLOC_ARENA_MAX=2")
    ap.add_argument("--python", default="", metavar="PATH",
                    help="run the server with this Python (e.g. an environment with PyTorch's CPU-only build)")
    ap.add_argument("--run-timeout", type=float, default=1800, help="seconds a run may take until it is saved")
    ap.add_argument("--page-timeout", type=float, default=300, help="seconds any one page answer may take")
    ap.add_argument("--keep", action="store_true", help="keep the server's folder (its log, runs) in bench/out/")
    ap.add_argument("--out", type=Path, help="write the JSON line to this file too")
    args = ap.parse_args()
    if args.queue > args.sessions:
        ap.error("--queue cannot exceed --sessions")
    if args.cgroup and (why := cgroup_problem()):
        raise SystemExit(why)
    with work_folder("memory-", args.keep) as work:
        if args.cgroup:
            with memory_cgroup(args.cgroup) as folder:
                f = measure(args, work, in_cgroup(folder) + with_python(args.python), folder)
        else:
            f = measure(args, work, with_python(args.python))
    verdicts = targets(f)
    if "cgroup" in f:
        verdicts["the server survived the memory limit"] = f["cgroup"]["server_survived"]
    emit(summary(f, verdicts), f | {"targets": verdicts}, args.out)
    raise SystemExit(0 if all(verdicts.values()) else 1)


if __name__ == "__main__":
    main()
