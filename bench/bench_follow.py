"""What following a run costs it: the app trains the same run with nobody following it and with a
class of followers (each a browser session on the run's follow link), rounds alternating, on one
server; figures are the run's training images/s (from its run.json, the engine's clock) and how
soon each follower's page showed the run.

    .venv/bin/python bench/bench_follow.py --followers 30 --rounds 2

Of the followers, --browsers are Chromium pages and the others light pages (bench/light_client.py):
clients of Streamlit's websocket protocol that ask the server what a follower's page asks (its first
run, then the live view's rerun every few seconds, at the interval the server sets) and read every
answer, but draw nothing. Thirty Chromium pages on one core could not keep up with their own drawing
(one never showed its chart in 120 s), and so would ask less of the server than thirty students do.
The server's answer to every request is also timed inside it (bench/server_clock), and the target
is judged on that.

As in `bench_app.py --split`, the server gets core 0 and the browsers every other core: in a class
each follower's browser runs on the student's own machine, so what is measured is what the server
pays for them (a script run of the follow page every few seconds each, and the shared chart).
Target: thirty followers cost the run at most 5 % of its images/s, and each follower's page shows
the run within 1 s. The browsers' own drawing is not the server's, but 30 of them on one core are
slower than 30 students' machines: the page times are upper bounds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from classdrive import CHART, Session, chromium, class_server, cpu_model, emit, percentile, verdict, work_folder
from light_client import LightPage

SERVER_CORE = ("taskset", "-c", "0")


class Ticks:
    """A follower's redraws, from its page's websocket: each request for a script run (the page's own
    timer asks every few seconds) and the server's 'finished' after it; `answers` are the seconds between."""

    def __init__(self, page):
        self.asked: float | None = None
        self.answers: list[float] = []
        page.on("websocket", lambda ws: (ws.on("framesent", self.sent), ws.on("framereceived", self.received)))

    def sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        if isinstance(payload, bytes) and BackMsg.FromString(payload).WhichOneof("type") == "rerun_script":
            self.asked = time.monotonic()

    def received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        if not isinstance(payload, bytes) or len(payload) > 1024 or self.asked is None:
            return
        if ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            self.answers.append(time.monotonic() - self.asked)
            self.asked = None


async def follower(browser, url: str, name: str, timeout_s: float) -> dict:
    """A browser session that opens the follow link: how long until the run's chart shows, and then
    how long the server takes to answer each of its redraws."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(timeout_s * 1000)
    ticks = Ticks(page)
    t0 = time.monotonic()
    await page.goto(url)
    await page.wait_for_selector(CHART)
    return {"name": name, "shown": time.monotonic() - t0, "page": page, "ticks": ticks}


async def one_round(browser, server_url: str, runs: Path, followers: int, args) -> dict:
    owner = await Session.open(browser, server_url, "owner", args.page_timeout)
    await owner.go("Train")
    await owner.choose("Preset", args.preset)
    await owner.open_group("Run")
    await owner.set_number("epochs", args.epochs)
    before = set(runs.glob("*/run.json"))
    await owner.click("Start", owner.page.locator("[data-testid=stProgress]"))
    await owner.page.get_by_text("Follow this run on another screen").click()
    link = (await owner.page.get_by_test_id("stCode").filter(has_text="follow=").first.inner_text()).strip()
    n_browsers = min(followers, args.browsers)
    # the light pages first: they open in a fraction of a second, and so follow the run from its start
    light = [await LightPage.open(server_url, urlsplit(link).query) for _ in range(followers - n_browsers)]
    shown = await asyncio.gather(*(follower(browser, link, f"f{i + 1}", args.page_timeout) for i in range(n_browsers)))
    t0 = time.monotonic()
    while not (new := set(runs.glob("*/run.json")) - before):
        if time.monotonic() - t0 > args.run_timeout:
            raise SystemExit(f"the run was not saved within {args.run_timeout} s")
        await owner.page.wait_for_timeout(500)
    meta = json.loads(next(iter(new)).read_text())
    images = len(meta["epochs"]) * args.images
    ips = images / sum(e["seconds"] for e in meta["epochs"])
    for f in shown:
        await f["page"].context.close()
    for page in light:
        await page.close()
    if light and os.environ.get("BENCH_DEBUG"):
        print(f"light page 1: sent {light[0].sent}, got {light[0].seen}, timers {light[0].timers}", flush=True)
    await owner.close()
    unshown = sum(page.first is None or not page.deltas for page in light)
    return {"followers": followers, "images_per_s": ips, "unshown": unshown,
            "shown": [f["shown"] for f in shown], "shown_light": [p.first for p in light if p.first is not None],
            "answers": [a for f in shown for a in f["ticks"].answers[1:]],    # the first is the page's opening
            "answers_light": [a for p in light for a in p.answers]}


async def main_async(args) -> None:
    os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})    # this bench and its browsers
    with work_folder("follow-", args.keep) as work, \
            class_server(work, slots=1, train_images=args.images, launch=SERVER_CORE) as server:
        async with chromium() as browser:
            results = []
            for r in range(args.rounds):
                for n in ((0, args.followers) if r % 2 == 0 else (args.followers, 0)):
                    began = time.monotonic()
                    res = await one_round(browser, server.url, server.folder / "runs", n, args)
                    res["server"] = [sec for t0, sec, _ in server.answers() if began <= t0 <= time.monotonic()]
                    results.append(res)
                    print(f"round {r + 1}, {n:2d} followers: {res['images_per_s']:7.0f} images/s"
                          + (f"; browsers' pages showed the run in p50 {percentile(res['shown'], 50):.2f} s, light "
                             f"pages in p50 {percentile(res['shown_light'], 50):.2f} s ({res['unshown']} never); "
                             f"redraws answered in p95 {percentile(res['answers'], 95):.3f} s (browsers, "
                             f"{len(res['answers'])}), {percentile(res['answers_light'], 95):.3f} s (light, "
                             f"{len(res['answers_light'])}), {percentile(res['server'], 95):.3f} s in the server "
                             f"({len(res['server'])})" if n else ""), flush=True)
    alone = [r["images_per_s"] for r in results if r["followers"] == 0]
    followed = [r["images_per_s"] for r in results if r["followers"] == args.followers]
    ratio = statistics.median(f / a for f, a in zip(followed, alone))
    shown = [s for r in results for s in r["shown"]]
    shown_light = [s for r in results for s in r["shown_light"]]
    answers = [a for r in results for a in r["answers"]]
    answers_light = [a for r in results for a in r["answers_light"]]
    unshown = sum(r.get("unshown", 0) for r in results)
    in_server = [a for r in results if r["followers"] for a in r["server"]]
    result = {"cpu": cpu_model(), "preset": args.preset, "followers": args.followers, "rounds": args.rounds,
              "images_per_s_alone": alone, "images_per_s_followed": followed, "ratio": ratio,
              "browsers": args.browsers, "shown_p50": percentile(shown, 50), "shown_p95": percentile(shown, 95),
              "shown_max": max(shown, default=math.nan), "shown_light_p50": percentile(shown_light, 50),
              "shown_light_p95": percentile(shown_light, 95), "unshown": unshown,
              "light_redraws": len(answers_light), "light_answer_p95": percentile(answers_light, 95),
              "redraws": len(answers), "answer_p50": percentile(answers, 50), "answer_p95": percentile(answers, 95),
              "server_answers": len(in_server), "server_answer_p50": percentile(in_server, 50),
              "server_answer_p95": percentile(in_server, 95)}
    summary = [f"CPU: {result['cpu']}; server on core 0, browsers on the others",
               f"{args.preset}, {args.epochs} epoch(s) of {args.images} images; medians of {args.rounds} round(s)",
               f"images/s alone {statistics.median(alone):.0f}, with {args.followers} followers "
               f"{statistics.median(followed):.0f}: {ratio:.3f}x",
               f"of the {args.followers} followers, {args.browsers} are Chromium pages, the others light pages "
               "(bench/light_client.py: the same requests, nothing drawn)",
               f"a browser's page showed the run in p50 {result['shown_p50']:.2f} s, p95 "
               f"{result['shown_p95']:.2f} s, max {result['shown_max']:.2f} s (opening the page in a browser); "
               f"a light page in p50 {result['shown_light_p50']:.2f} s, p95 {result['shown_light_p95']:.2f} s; "
               f"never shown: {unshown}",
               f"redraws answered, timed by the pages: browsers' {len(answers)} in p50 {result['answer_p50']:.3f} s, "
               f"p95 {result['answer_p95']:.3f} s; light pages' {len(answers_light)} in p95 "
               f"{result['light_answer_p95']:.3f} s",
               f"the server answered {len(in_server)} requests of followed rounds (timed inside it, "
               f"bench/server_clock) in p50 {result['server_answer_p50']:.3f} s, "
               f"p95 {result['server_answer_p95']:.3f} s",
               f"{verdict(ratio >= 0.95)}  {args.followers} followers cost at most 5 % of images/s",
               f"{verdict(result['server_answer_p95'] <= 1.0 and not unshown)}  each follower's page answers "
               "within 1 s (p95 of the server's answers; every page shown)"]
    emit(summary, result, args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--followers", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of (alone, followed)")
    ap.add_argument("--browsers", type=int, default=3,
                    help="followers that are Chromium pages; the others are light pages (bench/light_client.py)")
    ap.add_argument("--preset", default="demo", help="the run's recipe (default: demo)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--images", type=int, default=10_000, help="training images (CNNLAB_DATA_LIMIT)")
    ap.add_argument("--run-timeout", type=float, default=900)
    ap.add_argument("--page-timeout", type=float, default=120)
    ap.add_argument("--keep", action="store_true", help="keep the server's folder and log")
    ap.add_argument("--out", type=Path, help="write the JSON line here too")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
