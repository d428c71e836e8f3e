"""A class on one server: N real browser sessions walk Home -> Data -> Train, each trains a short run
(through the line for training slots), then predicts an upload; how fast the pages answer, how long
each run waits for a slot, whether every run is saved, and the server's memory and threads.

    .venv/bin/python bench/classroom.py                                   # 10 sessions, Shapes-10, fast-cpu
    .venv/bin/python bench/classroom.py --sessions 30 --stagger 1 --out bench/out/classroom.json
    .venv/bin/python bench/classroom.py --data cifar10 --train-images 5000
    .venv/bin/python bench/classroom.py --sessions 3 --train-images 2000 --stagger 1   # a quick try

The server runs as `streamlit run app.py` in a temporary folder with its own data and runs folders,
on Shapes-10 (or, with --data cifar10, the compact CIFAR-10 copy, already decoded in its data cache),
CNNLAB_DATA_LIMIT=--train-images (the run's length, with --epochs) and a disconnected-session
time-out of --ttl s. First one page opens Home (the app's imports done: the idle server), then goes
through Data, Train and Predict and closes (the warmed-up server: the data set loaded, the libraries'
process-wide thread pools started; --cold leaves this out, so that every page's first use happens
in the class). Then the sessions start --stagger s apart, in one Chromium (a context each), and each:
opens Home; Data, Next batch; Train, the preset (--preset), the epochs; Start, then waits for its run
to be saved (flipping the chart's reference toggle every --poke-every s meanwhile); Predict, an
upload (an image this script makes). Then every tab closes at once.

What it reports (summary, then one JSON line; --out writes the JSON):
- click latency, p50 / p95 / max: from a click or navigation until the element the answer draws is
  visible, the server has said a script run finished since the click, and the page is idle again;
  overall, by action, and split into clicks that overlapped a run training (from its page first
  showing it out of the line until its "Saved" caption) and the rest;
- the server's answer to each page's request, timed inside the server (bench/server_clock: from
  the request for a script run reaching the session until that run's 'finished' is queued for the
  browser), so that the browsers' own load on this machine is left out; overall, while a run trains
  and not, and the whole-page runs (not a fragment's) while a run trains. The target is on this
  figure. The same requests timed from the pages' websockets are reported beside it (they include
  the browsers' delay in sending and in reading);
- each session's wait for a slot: from Start until its page first shows the run out of the line
  (loading, starting or training; the page redraws every 2 s), its first progress line, and the
  first place in line its page showed;
- runs saved: run folders with a run.json in the server's runs folder;
- the server's RSS (/proc/PID/statm, sampled every 0.5 s, MB of 10^6 bytes): idle, warmed up, the
  class's peak, the peak above idle, and after every tab closed;
- the server's threads: warmed up ("idle"), at peak, and how long after every tab closed they were
  back to that count (given up after the time-out + 5 s for the app's reaper + --margin s);
- any exception box the app drew, the pages' JavaScript errors, and the tracebacks in the server's log;
- the CPU model. The browsers share the server's cores, so click times are upper bounds of a real
  class's (whose browsers run on the students' machines); on a busy, shared machine re-measure.

Targets (PASS/FAIL; the exit status is 1 if any fails): every run finished and saved; p95 of the
server's answer <= 2 s while a run trains; threads back to idle within the time-out after the tabs closed; peak RSS
<= 1.0 GB (10^9 bytes); and no exception box, page error or server traceback.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import time
from pathlib import Path

from classdrive import (
    Click,
    RunTimes,
    Server,
    Session,
    StepFailed,
    browser_cpu_seconds,
    chromium,
    class_server,
    cpu_model,
    cpu_seconds,
    during,
    emit,
    env_pair,
    latency,
    make_upload,
    mb,
    parse_env,
    verdict,
    work_folder,
)
from playwright.async_api import Error as PlaywrightError

REAP_EVERY = 5.0            # ui.shared.REAP_EVERY: how often the app looks for sessions whose pages are gone
P95_TARGET_S = 2.0
PEAK_TARGET = 1e9


async def idle_server(browser, server: Server, cold: bool, image: Path) -> tuple[tuple[int, int], tuple[int, int]]:
    """The server before the class: (RSS, threads) with one page open on Home (its imports done), and
    after one session has also been through Data, Train and Predict and closed (unless `cold`), so that
    what the server starts once on first use (the data set, libraries' thread pools) is there already."""
    warm = await Session.open(browser, server.url, "warm-up")
    await warm.page.wait_for_timeout(2000)
    home = server.sampler.now()
    if not cold:
        await warm.go("Data", warm.page.get_by_text("Batch 1 of"))
        await warm.go("Train", warm.button("Start"))
        await warm.go("Predict")
        await warm.upload(image)
    await warm.close()
    closed = time.monotonic()
    await asyncio.sleep(3)
    rss, _ = server.sampler.now()
    return home, (rss, server.sampler.fewest_threads(closed))   # the threads of its last script runs end


async def student(i: int, browser, server: Server, args, image: Path) -> tuple[Session | None, RunTimes | None, str]:
    """One student's walk: Home, Data and Next batch, Train with a preset, a run, Predict an upload.
    Returns the session, its run and, if a step failed, which and why."""
    await asyncio.sleep(i * args.stagger)
    s = run = None
    try:
        s = await Session.open(browser, server.url, f"s{i + 1}", args.page_timeout)
        await s.go("Data", s.page.get_by_text("Batch 1 of"))
        await s.click("Next batch", s.page.get_by_text("Batch 2 of"))
        await s.go("Train", s.button("Start"))
        await s.choose("Preset", args.preset)
        await s.set_number("epochs", args.epochs)
        run = await s.start_run(args.run_timeout, args.poke_every)
        if not run.problem:
            await s.go("Predict")
            await s.upload(image)
    except (StepFailed, PlaywrightError) as e:   # a step the page did not answer: the class goes on without it
        return s, run, str(e)[:500]
    return s, run, ""


async def threads_back(server: Server, idle: int, within: float) -> float:
    """Seconds until the server's thread count is back to `idle` (nan if not within `within` s)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < within:
        if server.sampler.now()[1] <= idle:
            return time.monotonic() - t0
        await asyncio.sleep(0.5)
    return math.nan


def cpu_used(server: Server) -> dict[str, float]:
    return {"server": cpu_seconds(server.proc.pid), "browsers": browser_cpu_seconds(server.proc.pid)}


async def run_class(server: Server, args, image: Path) -> dict:
    async with chromium() as browser:
        (idle_rss, _), (warm_rss, idle_threads) = await idle_server(browser, server, args.cold, image)
        began, cpu0 = time.monotonic(), cpu_used(server)
        walks = await asyncio.gather(*(student(i, browser, server, args, image) for i in range(args.sessions)))
        ended, cpu1 = time.monotonic(), cpu_used(server)
        sessions = [s for s, _, _ in walks if s is not None]
        problems = [why for _, _, why in walks if why]
        for s in sessions:
            problems += s.problems()
        peak_rss, peak_threads = server.sampler.peak(began, ended)
        for s in sessions:
            await s.close()
    within = args.ttl + REAP_EVERY + args.margin
    back = await threads_back(server, idle_threads, within)
    after_rss, after_threads = server.sampler.now()
    return {"idle_rss": idle_rss, "warm_rss": warm_rss, "idle_threads": idle_threads, "peak_rss": peak_rss,
            "peak_threads": peak_threads, "after_rss": after_rss, "after_threads": after_threads, "back_s": back,
            "within_s": within, "class_s": ended - began, "began": began, "ended": ended, "sessions": sessions,
            "cpu_s": {k: cpu1[k] - cpu0[k] for k in cpu0},
            "runs": [r for _, r, _ in walks if r is not None], "problems": problems}


def figures(m: dict, server: Server, args) -> dict:
    """Every figure of the class, from what run_class measured."""
    runs: list[RunTimes] = m["runs"]
    clicks = [c for s in m["sessions"] for c in s.clicks]
    spans = [(r.left_line if not math.isnan(r.left_line) else r.start, r.saved) for r in runs
             if not math.isnan(r.saved)]
    training, quiet = during(clicks, spans)
    requests = [Click(s.name, "page request", t0, sec) for s in m["sessions"] for t0, sec in s.answers]
    requests_training, requests_quiet = during(requests, spans)
    answers = [Click("server", "fragment" if fragment else "page", t0, sec)
               for t0, sec, fragment in server.answers() if m["began"] <= t0 <= m["ended"]]
    answers_training, answers_quiet = during(answers, spans)
    waits = [r.left_line - r.start for r in runs if not math.isnan(r.left_line)]
    by_label: dict[str, list] = {}
    for c in clicks:
        by_label.setdefault(c.label, []).append(c)
    return {
        "bench": "classroom", "cpu": cpu_model(), "settings": vars(args) | {"out": str(args.out or "")},
        "sessions": args.sessions, "class_seconds": round(m["class_s"], 1),
        "cpu_seconds": {k: round(v, 1) for k, v in m["cpu_s"].items()},
        "runs_saved": server.saved_runs(), "runs_seen_saved": sum(not math.isnan(r.saved) for r in runs),
        "clicks": {"all": latency(clicks), "while_training": latency(training), "not_training": latency(quiet),
                   "by_action": {k: latency(v) for k, v in by_label.items()}},
        "server_answers": {"all": latency(answers), "while_training": latency(answers_training),
                           "not_training": latency(answers_quiet),
                           "whole_page_while_training": latency([a for a in answers_training if a.label == "page"])},
        "page_requests_timed_by_browsers": {"all": latency(requests), "while_training": latency(requests_training),
                                            "not_training": latency(requests_quiet)},
        "slot_wait_s": {"median": round(statistics.median(waits), 1) if waits else math.nan,
                        "max": round(max(waits), 1) if waits else math.nan},
        "per_session": [{"session": r.session, "slot_wait_s": round(r.left_line - r.start, 1),
                         "first_progress_s": round(r.first_progress - r.start, 1),
                         "run_s": round(r.saved - r.start, 1), "queue_words": r.queue_words,
                         "problem": r.problem} for r in runs],
        "rss_mb": {"idle": mb(m["idle_rss"]), "warmed_up": mb(m["warm_rss"]), "peak": mb(m["peak_rss"]),
                   "peak_above_idle": mb(m["peak_rss"] - m["idle_rss"]), "after_tabs_closed": mb(m["after_rss"])},
        "threads": {"idle": m["idle_threads"], "peak": m["peak_threads"], "after_tabs_closed": m["after_threads"],
                    "back_to_idle_s": round(m["back_s"], 1), "given_up_after_s": m["within_s"]},
        "server_alive": server.alive, "server_tracebacks": server.tracebacks(), "problems": m["problems"],
        "work_folder": str(server.folder) if args.keep else "",
    }


def targets(f: dict) -> dict[str, bool]:
    training = f["server_answers"]["while_training"]
    return {
        "every run finished and saved": f["runs_saved"] == f["sessions"] == f["runs_seen_saved"],
        f"p95 page answer <= {P95_TARGET_S:g} s while a run trains (the server's)":
            training["n"] > 0 and training["p95_s"] <= P95_TARGET_S,
        "threads back to idle within the time-out after the tabs closed":
            not math.isnan(f["threads"]["back_to_idle_s"]),
        f"peak RSS <= {PEAK_TARGET / 1e9:.1f} GB": f["rss_mb"]["peak"] * 1e6 <= PEAK_TARGET,
        "no exception box, page error or server traceback": not f["problems"] and not f["server_tracebacks"],
    }


def summary(f: dict, verdicts: dict[str, bool]) -> list[str]:
    c, r, t = f["clicks"], f["rss_mb"], f["threads"]
    s = f["settings"]
    lines = [f"CPU: {f['cpu']}",
             (f"{f['sessions']} sessions, {s['stagger']:g} s apart, preset {s['preset']}, {s['epochs']} epoch(s) of "
              f"{s['train_images'] or 'all'} {s['data']} images; the class took {f['class_seconds']:.0f} s"),
             (f"CPU used during the class: the server {f['cpu_seconds']['server']:.0f} s, the browsers (and "
              f"Playwright) {f['cpu_seconds']['browsers']:.0f} s, in {f['class_seconds']:.0f} s of "
              f"{os.cpu_count()} cores"),
             f"runs saved: {f['runs_saved']} of {f['sessions']} (pages that showed 'Saved': {f['runs_seen_saved']})"]
    kinds = (("all clicks", "all"), ("while a run trains", "while_training"), ("no run training", "not_training"))
    for name, k in kinds:
        lines.append(f"answer, {name}: p50 {c[k]['p50_s']} s, p95 {c[k]['p95_s']} s, max {c[k]['max_s']} s "
                     f"over {c[k]['n']} clicks")
    a = f["server_answers"]
    for name, k in kinds:
        lines.append(f"server's answer to a page's request (timed in the server), {name}: p50 {a[k]['p50_s']} s, "
                     f"p95 {a[k]['p95_s']} s, max {a[k]['max_s']} s over {a[k]['n']} requests")
    w, b = a["whole_page_while_training"], f["page_requests_timed_by_browsers"]["while_training"]
    lines.append(f"  of which whole-page runs while a run trains: p50 {w['p50_s']} s, p95 {w['p95_s']} s "
                 f"over {w['n']}; "
                 f"the same requests timed by the browsers: p50 {b['p50_s']} s, p95 {b['p95_s']} s over {b['n']}")
    lines.append(f"slot wait (Start to out of the line): median {f['slot_wait_s']['median']} s, "
                 f"max {f['slot_wait_s']['max']} s")
    for p in f["per_session"]:
        lines.append(f"  {p['session']}: waited {p['slot_wait_s']} s, first progress after {p['first_progress_s']} s, "
                     f"saved after {p['run_s']} s; first shown: {p['queue_words'] or '(no line)'}"
                     + (f"; PROBLEM: {p['problem']}" if p["problem"] else ""))
    back = t["back_to_idle_s"]
    lines += [(f"server RSS: idle {r['idle']:.0f} MB, warmed up {r['warmed_up']:.0f} MB, peak {r['peak']:.0f} MB "
               f"({r['peak_above_idle']:+.0f} MB above idle), after the tabs closed {r['after_tabs_closed']:.0f} MB"),
              (f"server threads: idle {t['idle']}, peak {t['peak']}, after the tabs closed {t['after_tabs_closed']}; "
               + (f"back to idle {back} s after they closed" if not math.isnan(back)
                  else f"NOT back to idle within {t['given_up_after_s']:g} s")),
              f"server tracebacks in its log: {len(f['server_tracebacks'])}"]
    lines += [f"  {t}" for t in f["server_tracebacks"][-3:]]
    lines += [f"problem: {p}" for p in f["problems"]]
    lines += [f"{verdict(ok)}  {name}" for name, ok in verdicts.items()]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sessions", type=int, default=10, help="browser sessions (students), default 10")
    ap.add_argument("--stagger", type=float, default=2.0, help="seconds between two sessions' starts")
    ap.add_argument("--data", choices=("builtin", "cifar10"), default="builtin",
                    help="Shapes-10 (built in), or the compact CIFAR-10 copy, already decoded in the server's cache")
    ap.add_argument("--preset", default="fast-cpu", help="the preset each session trains (default fast-cpu)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs of each run")
    ap.add_argument("--train-images", type=int, default=5000,
                    help="CNNLAB_DATA_LIMIT, training images of each run (0 = all); with --epochs, the run's length")
    ap.add_argument("--slots", type=int, default=0, help="CNNLAB_MAX_RUNS (0: the app's own policy)")
    ap.add_argument("--ttl", type=float, default=15, help="the server's disconnected-session time-out, s")
    ap.add_argument("--margin", type=float, default=15,
                    help="seconds beyond the time-out (and the app's 5 s reaper) to wait for the threads")
    ap.add_argument("--poke-every", type=float, default=5,
                    help="while its run waits or trains, each session flips the chart's toggle this often (0: never)")
    ap.add_argument("--run-timeout", type=float, default=900, help="seconds a session waits for its run to be saved")
    ap.add_argument("--page-timeout", type=float, default=120, help="seconds any one page answer may take")
    ap.add_argument("--env", action="append", default=[], type=env_pair, metavar="KEY=VALUE",
                    help="an environment variable for the server (repeatable), e.g. MALLOC_ARENA_MAX=2")
    ap.add_argument("--cold", action="store_true",
                    help="no warm-up walk before the class: each page's first use happens in the class (the "
                         "thread count is then compared with a server that has only drawn Home)")
    ap.add_argument("--keep", action="store_true", help="keep the server's folder (its log, runs) in bench/out/")
    ap.add_argument("--split", action="store_true",
                    help="the server on core 0, this bench and its browsers on the others: in a class each "
                         "browser runs on a student's own machine (as bench_app.py --split)")
    ap.add_argument("--out", type=Path, help="write the JSON line to this file too")
    args = ap.parse_args()
    launch = ("taskset", "-c", "0") if args.split else ()
    if args.split:
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})
    with work_folder("classroom-", args.keep) as work:
        image = make_upload(work / "photo.png")
        with class_server(work, args.data, args.ttl, args.slots, args.train_images, parse_env(args.env),
                          launch) as server:
            measured = asyncio.run(run_class(server, args, image))
            f = figures(measured, server, args)
        verdicts = targets(f)
        emit(summary(f, verdicts), f | {"targets": verdicts}, args.out)
    raise SystemExit(0 if all(verdicts.values()) else 1)


if __name__ == "__main__":
    main()
