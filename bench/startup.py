"""How long a fresh server takes to show CIFAR-10: `streamlit run app.py` started in a new folder (no
data cache: the compact copy that ships with CNN Lab is decoded on the way, in the background from the
first page on), then a browser opens Home, the first page, with CIFAR-10 in use in the sidebar, and
goes on to the Data page, whose grid needs the whole data set. Timed from the server's start.

    .venv/bin/python bench/startup.py --rounds 3

A second figure, the same with the cache kept from the round before, shows what a restart costs once
the data folder survives (it does not on Streamlit Community Cloud, whose disk is wiped).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from drive import CHART, CHROME_ARGS, CHROMIUM, IDLE, streamlit_app  # noqa: E402


def one_start(work: Path, data: Path, browser) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNLAB_")}
    env.update(CNNLAB_DATA=str(data), CNNLAB_RUNS=str(work / "runs"))
    cwd = Path(tempfile.mkdtemp(dir=work))
    t0 = time.perf_counter()
    with streamlit_app(cwd, env, cwd / "streamlit.log") as url:
        healthy = time.perf_counter() - t0
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(url + "/")                             # Home, the first page, with CIFAR-10 in the sidebar
        page.get_by_test_id("stSidebar").get_by_text("CIFAR-10").first.wait_for()
        page.wait_for_selector(IDLE)
        home = time.perf_counter() - t0
        page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()   # then its images
        page.wait_for_selector(CHART)
        page.wait_for_selector(IDLE)
        shown = time.perf_counter() - t0
        page.close()
    return {"healthy": healthy, "home": home, "grid": shown}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        for r in range(args.rounds):
            data = Path(tmp) / f"data-{r}"              # empty: nothing decoded yet
            cold.append(one_start(Path(tmp), data, browser))
            warm.append(one_start(Path(tmp), data, browser))   # the same folder: its cache is there now
            print(f"round {r + 1}: cold: Home {cold[-1]['home']:.1f} s, Data's grid {cold[-1]['grid']:.1f} s "
                  f"(healthy after {cold[-1]['healthy']:.1f} s); with the cache: Home {warm[-1]['home']:.1f} s, "
                  f"Data {warm[-1]['grid']:.1f} s", flush=True)
        browser.close()
    summary = {"cpu": cpu, "cold_home_s": statistics.median(c["home"] for c in cold),
               "cold_s": statistics.median(c["grid"] for c in cold),
               "warm_s": statistics.median(w["grid"] for w in warm), "rounds": args.rounds,
               "cold": cold, "warm": warm}
    print(f"\n{cpu}, from a cold start with an empty cache: Home with CIFAR-10 in use {summary['cold_home_s']:.1f} s "
          f"(target 10 s), then Data's grid of CIFAR-10 images at {summary['cold_s']:.1f} s; with the cache "
          f"{summary['warm_s']:.1f} s (medians of {args.rounds})")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
