"""Fixtures for the browser tests: a Streamlit server on a free port (tiny data, temporary data and
runs folders, one training slot), Debian's Chromium through Playwright, and a fresh page per test
that records console errors."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]


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


@pytest.fixture(scope="session")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("st") / "streamlit.log"


@contextlib.contextmanager
def streamlit_app(cwd: Path, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` with `cwd` as its working folder (the project's .streamlit/ settings
    are copied there) on a free port: yields its URL once it answers, and stops it afterwards."""
    shutil.copytree(ROOT / ".streamlit", cwd / ".streamlit", dirs_exist_ok=True)  # read from the cwd
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env={**env, "PYTHONUNBUFFERED": "1"})
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_health(url, proc, log_path)
            yield url
        finally:
            proc.terminate()                      # SIGTERM to our own PID only
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, server_log):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash scripts/test`, which installs it.")
    tmp = tmp_path_factory.mktemp("cnnlab")  # the server's working folder: data/ and runs/ start empty
    env = {**os.environ, "CNNLAB_DATA": "data", "CNNLAB_RUNS": "runs", "CNNLAB_DATA_LIMIT": "600",
           "CNNLAB_MAX_RUNS": "1"}
    with streamlit_app(tmp, env, server_log) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, app_url):
    """A factory of fresh pages (each a new Streamlit session); each records its console errors."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=app_url)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
        return pg

    yield make
    for ctx in contexts:
        ctx.close()
