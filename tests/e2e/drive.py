"""Driving the app in a real browser: `streamlit run app.py` on a free port, Debian's Chromium and
its flags, and the page helpers (selectors, waits, clicks) that the browser tests and
bench/bench_app.py share."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
# Chromium's fake camera (a test pattern) with its permission prompt answered: the camera test takes a
# photo with it; no other page asks for a camera
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with rc={proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url}/_stcore/health not ok after {timeout}s")


@contextlib.contextmanager
def streamlit_app(cwd: Path, env: dict[str, str], log_path: Path, launch: tuple[str, ...] = (),
                  options: tuple[str, ...] = ()) -> Iterator[str]:
    """`streamlit run app.py` with `cwd` as its working folder (the project's .streamlit/ settings
    are copied there) on a free port: yields its URL once it answers, and stops it afterwards.
    `launch` goes before the command (e.g. `taskset -c 0` to keep the server on one core); `options`
    after it (e.g. `--server.disconnectedSessionTTL 8`)."""
    with streamlit_process(cwd, env, log_path, launch, options) as (url, _):
        yield url


@contextlib.contextmanager
def streamlit_process(cwd: Path, env: dict[str, str], log_path: Path, launch: tuple[str, ...] = (),
                      options: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit_app`, yielding the server's process too (its PID is the server's own when `launch`
    is empty or ends in a program that execs the command, as `taskset` and `sh -c 'exec "$@"'` do)."""
    shutil.copytree(ROOT / ".streamlit", cwd / ".streamlit", dirs_exist_ok=True)  # read from the cwd
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*launch, sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *options],
            cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env={**env, "PYTHONUNBUFFERED": "1"})
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_health(url, proc, log_path)
            yield url, proc
        finally:
            proc.terminate()                      # SIGTERM to our own PID only
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


IDLE = "[data-testid=stApp][data-test-script-state=notRunning][data-test-connection-state=CONNECTED]"
LIVE = "[data-testid=stElementContainer]:not([data-stale=true])"
CHART = f"{LIVE} [data-testid=stPlotlyChart] .js-plotly-plot"
# the first trace's number of points, as plotly drew them (its y may have come as a base64 block, which
# plotly decodes into its _fullData, leaving the figure's own data as it was sent)
POINTS = ("s => { const c = document.querySelector(s); const f = c && c._fullData && c._fullData[0];"
          " return f && f.y ? f.y.length : 0 }")


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE)


def go(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name if name != "Home" else "CNN Lab").first.wait_for()
    settle(page)


def open_page(page, name: str) -> None:
    """A fresh visit: the app's Home page, then the page `name` from the sidebar."""
    page.goto("/")
    settle(page)
    go(page, name)


def points(page) -> int:
    return page.evaluate(POINTS, CHART)


def wait_points(page, n: int, timeout: float = 60_000) -> None:
    page.wait_for_function(f"([s, n]) => ({POINTS})(s) >= n", arg=[CHART, n], timeout=timeout)


def button(page, name: str):
    """A button of the page itself (not the "Stop" that Streamlit's header shows while a script runs)."""
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


def set_number(page, name: str, value) -> None:
    field = page.get_by_role("spinbutton", name=name)
    field.fill(str(value))
    field.press("Enter")
    settle(page)


class Proxy:
    """A TCP proxy in a thread between the browser and the server, whose connections can be cut: as a
    flaky classroom network would, `drop(seconds)` closes every open connection and refuses new ones
    for that long, then lets them through again."""

    def __init__(self, target_port: int):
        import asyncio
        import threading
        self.target_port = target_port
        self.port = _free_port()
        self._loop = asyncio.new_event_loop()
        self._writers: set = set()
        self._open = True
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="e2e-proxy")
        self._thread.start()
        ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self, ready) -> None:
        import asyncio

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        async def handle(reader, writer):
            if not self._open:
                writer.close()
                return
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                writer.close()
                return
            self._writers |= {writer, up_writer}
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            self._writers -= {writer, up_writer}

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", self.port)
            ready.set()
            async with server:
                await server.serve_forever()

        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(main())
        except RuntimeError:          # the loop was stopped
            pass

    def drop(self, seconds: float) -> None:
        """Cut every connection now and refuse new ones for `seconds`."""
        def cut():
            self._open = False
            for w in list(self._writers):
                w.transport.abort()
        self._loop.call_soon_threadsafe(cut)
        time.sleep(seconds)
        self._open = True

    def close(self) -> None:
        """Cut every connection, let the pipes finish, then stop the proxy's loop."""
        def shut():
            self._open = False
            for w in list(self._writers):
                w.transport.abort()
            self._loop.call_later(0.3, self._loop.stop)
        self._loop.call_soon_threadsafe(shut)
        self._thread.join(5)
