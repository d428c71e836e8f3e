"""Shared by bench/classroom.py and bench/memory.py: a CNN Lab server for a simulated class (its own
working, data and runs folders; Shapes-10, or the compact CIFAR-10 copy already decoded in the server's
cache), a thread that samples the server's resident memory and threads
every half second, many browser sessions in one Chromium (one context each) through Playwright's
async API with every click timed until the page has answered, and the summary and JSON report.

A click's answer time runs from the click (or navigation) until the page shows the element that
only the new script run draws (where there is one), the server has said (on the page's websocket)
that a script run finished since the click, and the page is idle again (Streamlit's app element
`notRunning`, connected). The browsers run on the same cores as the server, so these times are
upper bounds of what students' own machines would see. Memory is resident set size (RSS,
/proc/PID/statm), in MB of 10^6 bytes.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from drive import CHART, CHROME_ARGS, CHROMIUM, IDLE, LIVE, streamlit_process  # noqa: E402 (tests/e2e's)
from machine import cpu_model  # noqa: E402, F401 (the benches that drive a class import it from here)

MB = 1e6
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU seconds a process has used so far (user + system, all its threads; 0 once it is gone), or with
    `thread`, one thread of it (its id)."""
    try:
        stat = Path(f"/proc/{pid}" + (f"/task/{thread}" if thread is not None else "") + "/stat").read_text()
    except OSError:
        return 0.0
    utime, stime = stat[stat.rindex(")") + 2:].split()[11:13]
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> set[int]:
    """Every process started, directly or not, by process `root`."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def browser_cpu_seconds(server_pid: int) -> float:
    """CPU seconds used so far by the processes this bench started other than the server: Playwright's
    driver and the Chromium it runs (so not another user's browser on a shared machine)."""
    mine = descendants(os.getpid()) - {server_pid} - descendants(server_pid)
    return sum(cpu_seconds(pid) for pid in mine)


# --- the server, and what it uses -------------------------------------------------------------------

class Sampler(threading.Thread):
    """Reads a process's resident memory and thread count every `every` seconds, from /proc."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int, int]] = []   # (time.monotonic(), RSS bytes, threads)
        self._halt = threading.Event()

    def read(self) -> tuple[int, int] | None:
        """(RSS in bytes, threads) now, or None once the process is gone."""
        try:
            rss = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1]) * PAGE
            return rss, len(os.listdir(f"/proc/{self.pid}/task"))
        except (OSError, IndexError, ValueError):
            return None

    def now(self) -> tuple[int, int]:
        """A reading taken now (and kept with the samples); (0, 0) once the process is gone."""
        got = self.read()
        if got is None:
            return 0, 0
        self.samples.append((time.monotonic(), *got))
        return got

    def run(self) -> None:
        while not self._halt.is_set():
            if self.now() == (0, 0):
                return
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()

    def peak(self, since: float = 0.0, until: float = math.inf) -> tuple[int, int]:
        """The highest RSS (bytes) and thread count sampled between two time.monotonic() readings."""
        window = [(r, n) for t, r, n in list(self.samples) if since <= t <= until]
        return max((r for r, _ in window), default=0), max((n for _, n in window), default=0)

    def fewest_threads(self, since: float, until: float = math.inf) -> int:
        """The lowest thread count sampled between two time.monotonic() readings (0 if none was)."""
        return min((n for t, _, n in list(self.samples) if since <= t <= until), default=0)


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    sampler: Sampler
    folder: Path                                   # its working folder: data/, runs/, streamlit.log

    @property
    def runs(self) -> Path:
        return self.folder / "runs"

    @property
    def log(self) -> Path:
        return self.folder / "streamlit.log"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def clock(self) -> Path:
        return self.folder / "answers.jsonl"

    def answers(self) -> list[tuple[float, float, bool]]:
        """(asked at, seconds to the answer, a fragment's run?) for every script run the server answered,
        timed inside the server (bench/server_clock): the browsers' own load left out."""
        import json
        try:
            lines = self.clock.read_text().splitlines()
        except OSError:
            return []
        return [(a["asked"], a["seconds"], a["fragment"]) for a in map(json.loads, lines)]

    def saved_runs(self) -> int:
        """Run folders with a run.json: runs that ended and were saved."""
        return len(list(self.runs.glob("*/run.json")))

    def tracebacks(self) -> list[str]:
        """The tracebacks in the server's log, each cut to its last lines (where it was raised, and what)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        parts = text.split("Traceback (most recent call last)")[1:]
        return ["Traceback ... " + "\n".join(part.strip().splitlines()[-6:]) for part in parts]


CIFAR10_CACHE = OUT / "cifar10-compact.pt"        # bench/common.py's decoded copy, in cnnlib.data.cached's format


def prepare_cifar10(data_dir: Path) -> None:
    """The compact CIFAR-10 copy already decoded, as the server's own cache would hold it
    ($CNNLAB_DATA/cifar10-compact-uint8.pt, the format of cnnlib.data.cached): decoded once into
    bench/out/ by bench/common.py, in a process of its own (so this one never imports torch), then
    linked, so that a bench does not time the decoding (bench/startup.py does)."""
    if not CIFAR10_CACHE.exists():
        print("decoding the compact CIFAR-10 copy once (bench/out/cifar10-compact.pt)…", flush=True)
        try:
            subprocess.run([sys.executable, "-c", "from common import load_bench_data; load_bench_data('cifar10')"],
                           cwd=BENCH, check=True)
        except subprocess.CalledProcessError:
            raise SystemExit("The CIFAR-10 copy could not be prepared for the server (above: why).") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "cifar10-compact-uint8.pt").symlink_to(CIFAR10_CACHE)


def parse_env(pairs: list[str]) -> dict[str, str]:
    """`--env KEY=VALUE` flags as a dict (argparse's type checks them one by one)."""
    return dict(p.split("=", 1) for p in pairs)


def env_pair(text: str) -> str:
    """argparse type of `--env`: KEY=VALUE with a non-empty key."""
    import argparse
    if "=" not in text or not text.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return text


@contextlib.contextmanager
def class_server(work: Path, data: str = "builtin", ttl: float = 0, slots: int = 0, train_images: int = 0,
                 extra_env: dict[str, str] | None = None, launch: tuple[str, ...] = ()) -> Iterator[Server]:
    """`streamlit run app.py` in `work`/server with its own data/ and runs/ folders and the RSS sampler
    running. `data` 'cifar10' puts the decoded CIFAR-10 copy in its data folder (else it starts on Shapes-10);
    `ttl` > 0 sets the disconnected-session time-out (s), `slots` > 0 CNNLAB_MAX_RUNS, `train_images`
    > 0 CNNLAB_DATA_LIMIT; every other CNNLAB_ variable of this shell is dropped, and `extra_env` added."""
    folder = work / "server"
    folder.mkdir(parents=True)
    if data == "cifar10":
        prepare_cifar10(folder / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNLAB_")}
    env.update(CNNLAB_DATA=str(folder / "data"), CNNLAB_RUNS=str(folder / "runs"))
    if data != "cifar10":                          # no CIFAR-10 on this server: it starts on Shapes-10
        env["CNNLAB_CIFAR10_PACK"] = str(folder / "no-cifar10-pack.npz")
    if slots:
        env["CNNLAB_MAX_RUNS"] = str(slots)
    if train_images:
        env["CNNLAB_DATA_LIMIT"] = str(train_images)
    env.update(extra_env or {})
    # the server's own clock of its answers (bench/server_clock); nothing else in the server changes
    env.update(CNNLAB_BENCH_CLOCK=str(folder / "answers.jsonl"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent / "server_clock"),
                                                        env.get("PYTHONPATH", "")])))
    options = ("--server.disconnectedSessionTTL", f"{ttl:g}") if ttl else ()
    with streamlit_process(folder, env, folder / "streamlit.log", launch, options) as (url, proc):
        sampler = Sampler(proc.pid)
        sampler.start()
        try:
            yield Server(url, proc, sampler, folder)
        finally:
            sampler.stop()


@contextlib.contextmanager
def work_folder(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A new folder in bench/out/ for one bench's server; removed afterwards unless `keep`."""
    import shutil
    import tempfile
    OUT.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=OUT))
    try:
        yield path
    finally:
        if keep:
            print(f"kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


# --- browser sessions ---------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def chromium():
    """One headless Debian Chromium for every session (each session is a context of it)."""
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


# What the live view of the Train page shows now: its progress line, the queue's words, an error.
LIVE_STATE = f"""() => {{
  const text = s => Array.from(document.querySelectorAll(s)).map(e => e.innerText).join(' | ');
  return {{progress: text('{LIVE} [data-testid=stProgress]'),
          queue: text('{LIVE} [data-testid=stAlertContentWarning]'),
          error: text('{LIVE} [data-testid=stAlertContentError]'),
          exception: text('[data-testid=stException]'),
          saved: document.body.innerText.includes('Saved on this server as')}};
}}"""
# Whether the live chart shows the tutorial's reference curve (null: no chart drawn yet)
REFERENCE = (f"() => {{ const c = document.querySelector('{CHART}'); "
             "return c && c.data ? c.data.some(t => t.name === 'tutorial (CIFAR-10)') : null }")
WAITING = "Waiting for a free training slot"
HEADINGS = {"Home": "CNN Lab", "Inspect": "Inspect: what the network sees"}   # page titles unlike their links
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))"


class StepFailed(Exception):
    """A step of a session's walk that the page did not answer (which session, which step, why)."""


@dataclass
class Click:
    session: str
    label: str
    t0: float                                      # time.monotonic() of the click
    seconds: float                                 # until the page had answered


@dataclass
class RunTimes:
    """When one session's run was started, left the line, showed progress and was saved (monotonic)."""
    session: str
    start: float
    left_line: float = math.nan                    # first seen loading, starting or training
    first_progress: float = math.nan               # first "Epoch i/n · step" line
    saved: float = math.nan
    queue_words: str = ""                          # the first place in line the page showed
    problem: str = ""                              # why it did not end saved, if it did not


@dataclass
class Session:
    """One student's browser session: a Chromium context and its page, its timed clicks. It counts the
    script runs (whole page or fragment) that the server said had finished, from the websocket's
    messages: the page's own running/idle flag can skip a short run altogether (React draws both
    changes at once), so it cannot tell a click's run from none."""

    def __init__(self, name: str, page, timeout_s: float):
        self.name, self.page, self.timeout_s = name, page, timeout_s
        self.clicks: list[Click] = []
        self.errors: list[str] = []                # exception boxes the app drew, the page's JavaScript errors
        self.finished = 0                          # script runs finished, as the server said
        self._news = asyncio.Event()
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.asked: float | None = None            # when the page last asked the server for a script run
        self.answers: list[tuple[float, float]] = []   # (asked at, seconds until the server's 'finished')
        page.on("websocket", lambda ws: (ws.on("framereceived", self._frame), ws.on("framesent", self._sent)))

    def _sent(self, payload) -> None:
        """A request for a script run (a click, a page change, a fragment's timer) leaves the page."""
        from google.protobuf.message import DecodeError
        from streamlit.proto.BackMsg_pb2 import BackMsg
        try:
            if isinstance(payload, bytes) and BackMsg.FromString(payload).WhichOneof("type") == "rerun_script":
                self.asked = time.monotonic()
        except DecodeError:
            pass

    def _frame(self, payload) -> None:
        from google.protobuf.message import DecodeError
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        if not isinstance(payload, bytes) or len(payload) > 1024:   # 'script_finished' is a few dozen bytes
            return
        try:
            kind = ForwardMsg.FromString(payload).WhichOneof("type")
        except DecodeError:
            return
        if kind == "script_finished":
            self.finished += 1
            self._news.set()
            if self.asked is not None:             # the server's answer time, the browser's drawing left out
                self.answers.append((self.asked, time.monotonic() - self.asked))
                self.asked = None

    async def _run_finished_since(self, before: int) -> None:
        while self.finished <= before:
            self._news.clear()
            await asyncio.wait_for(self._news.wait(), self.timeout_s)

    @classmethod
    async def open(cls, browser, url: str, name: str, timeout_s: float = 120) -> Session:
        ctx = await browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=url)
        page = await ctx.new_page()
        page.set_default_timeout(timeout_s * 1000)
        me = cls(name, page, timeout_s)
        await me.timed("open Home", lambda: page.goto("/"), page.get_by_role("heading", name="CNN Lab", exact=True))
        return me

    async def close(self) -> None:
        await self.page.context.close()

    async def timed(self, label: str, action: Callable[[], Awaitable], expect=None,
                    answered: Callable[[], Awaitable] | None = None) -> float:
        """Do `action` and time it until the page has answered: `expect` (a locator) visible, or
        `answered()` returned, a script run finished since the click, and the page idle again."""
        page = self.page
        before = self.finished
        t0 = time.monotonic()
        try:
            await action()
            if expect is not None:
                await expect.first.wait_for(state="visible")
            if answered is not None:
                await answered()
            await self._run_finished_since(before)
            await page.evaluate(NEXT_FRAME)            # the page has taken the message in
            await page.wait_for_selector(IDLE)
        except Exception as e:
            raise StepFailed(f"{self.name}, {label}, {time.monotonic() - t0:.0f} s after the click: "
                             f"{type(e).__name__}: {(str(e) or 'no answer').splitlines()[0]}") from e
        seconds = time.monotonic() - t0
        self.clicks.append(Click(self.name, label, t0, seconds))
        for box in await page.locator(f"{LIVE} [data-testid=stException]").all_inner_texts():
            self.errors.append(f"exception box after '{label}': {' '.join(box.split())[:400]}")
        return seconds

    def main(self):
        return self.page.get_by_test_id("stMain")

    def button(self, name: str):
        return self.main().get_by_role("button", name=name, exact=True)

    async def go(self, title: str, expect=None) -> float:
        """Click a page's link in the sidebar; answered when its heading (or `expect`) shows."""
        heading = self.page.get_by_role("heading", name=HEADINGS.get(title, title), exact=True)
        link = self.page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)
        await self.timed(f"go {title}", link.click, heading)
        if expect is not None:
            await expect.first.wait_for(state="visible")
        return self.clicks[-1].seconds

    async def click(self, name: str, expect=None) -> float:
        return await self.timed(f"press {name}", self.button(name).click, expect)

    async def choose(self, label: str, option: str) -> float:
        """Choose `option` in the selectbox labelled `label` (opening the list is not timed; nothing to
        time, 0, if it shows that option already)."""
        box = self.main().get_by_test_id("stSelectbox").filter(has_text=label)
        if await box.get_by_role("combobox").input_value() == option:
            return 0.0
        await box.click()
        choice = self.page.get_by_role("option", name=option, exact=True)
        return await self.timed(f"choose {label}", choice.click)

    async def set_number(self, name: str, value) -> float:
        """Type `value` into the number field whose label holds `name` (the config field's name);
        nothing to time (0) if it holds that value already."""
        box = self.page.get_by_role("spinbutton", name=name)
        if await box.input_value() == str(value):
            return 0.0

        async def type_it():
            await box.fill(str(value))
            await box.press("Enter")
        return await self.timed(f"set {name}", type_it)

    async def open_group(self, title: str) -> None:
        """Open a settings group (an expander) of the Train page; the browser alone answers."""
        await self.page.get_by_text(title, exact=True).click()

    async def flip_chart_toggle(self) -> float:
        """Flip the live chart's reference line; answered when the redrawn chart shows it."""
        before = await self.page.evaluate(REFERENCE)
        toggle = self.page.get_by_text("Show the tutorial's test accuracy", exact=False)

        async def redrawn():
            flipped = f"was => {{ const now = ({REFERENCE})(); return now !== null && now !== was }}"
            await self.page.wait_for_function(flipped, arg=before)
        return await self.timed("flip chart toggle", toggle.click, answered=redrawn)

    async def upload(self, path: Path) -> float:
        """Upload an image on Predict; answered when the prediction and its chart show."""
        box = self.page.get_by_test_id("stFileUploaderDropzoneInput")
        return await self.timed("upload on Predict", lambda: box.set_input_files(str(path)),
                                self.page.get_by_text("most likely"))

    async def live_state(self) -> dict:
        return await self.page.evaluate(LIVE_STATE)

    def problems(self) -> list[str]:
        """The exception boxes the app drew after this session's clicks, and its JavaScript errors."""
        return [f"{self.name}: {e}" for e in self.errors]

    async def start_run(self, timeout_s: float, poke_every: float = 0.0) -> RunTimes:
        """Press Start on Train and follow the run until it is saved: when it leaves the line for a slot,
        its first progress line, the first place in line shown. With `poke_every` > 0, flip the chart's
        toggle that often meanwhile, as a student clicking around would."""
        await self.click("Start", self.page.locator(f"{LIVE} [data-testid=stProgress]"))
        run = RunTimes(self.name, self.clicks[-1].t0)
        deadline, poked = run.start + timeout_s, time.monotonic()
        while time.monotonic() < deadline:
            s = await self.live_state()
            now = time.monotonic()
            if s["queue"] and "in line" in s["queue"] and not run.queue_words:
                run.queue_words = s["queue"].split(": ", 1)[-1].split(". Runs start")[0]
            if s["progress"] and WAITING not in s["progress"] and math.isnan(run.left_line):
                run.left_line = now
            if re.search(r"Epoch \d+/\d+ · step", s["progress"]) and math.isnan(run.first_progress):
                run.first_progress = now
            if s["saved"]:
                run.saved = now
                return run
            if s["exception"] or s["error"]:
                run.problem = (s["exception"] or s["error"])[:500]
                return run
            if poke_every and now - poked >= poke_every:
                await self.flip_chart_toggle()
                poked = time.monotonic()
            await self.page.wait_for_timeout(250)
        run.problem = f"not saved within {timeout_s:g} s of Start (page: {(await self.live_state())['progress']})"
        return run


def make_upload(path: Path) -> Path:
    """A photo-like test image for Predict: a red disc on blue, 160x120 pixels."""
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (160, 120), (40, 70, 160))
    ImageDraw.Draw(im).ellipse((45, 25, 115, 95), fill=(220, 50, 40))
    im.save(path)
    return path


def pretrained_labels() -> list[str]:
    """How the model selectboxes name the shipped models ('pretrained: <name>', as ui.models.model_choices)."""
    labels = []
    for meta_file in sorted((ROOT / "pretrained").glob("*/run.json")):
        meta = json.loads(meta_file.read_text())
        labels.append(f"pretrained: {meta.get('name') or meta_file.parent.name}")
    return labels


# --- figures and the report -------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between the closest ranks; nan if empty."""
    if not values:
        return math.nan
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def latency(clicks: list[Click]) -> dict:
    s = [c.seconds for c in clicks]
    return {"n": len(s), "p50_s": round(percentile(s, 50), 3), "p95_s": round(percentile(s, 95), 3),
            "max_s": round(max(s), 3) if s else math.nan}


def during(clicks: list[Click], spans: list[tuple[float, float]]) -> tuple[list[Click], list[Click]]:
    """The clicks whose answer overlapped one of `spans` (start, end), and the others."""
    inside = [c for c in clicks if any(a <= c.t0 + c.seconds and c.t0 <= b for a, b in spans)]
    return inside, [c for c in clicks if c not in inside]


def mb(n: float) -> float:
    return round(n / MB, 1)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def plain(x):
    """`x` with NaN as None and paths as text, for JSON."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return str(x) if isinstance(x, Path) else x


def emit(summary: list[str], result: dict, out: Path | None) -> None:
    """Print the summary, then every figure as one JSON line (also written to `out`)."""
    print("\n".join(summary))
    line = json.dumps(plain(result))
    print(line)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(line + "\n")
