"""Fixtures for the browser tests: a Streamlit server on a free port (tiny data, temporary data and
runs folders, one training slot), Debian's Chromium through Playwright, and a fresh page per test
that records console errors."""
import os
from pathlib import Path

import pytest
from drive import CHROME_ARGS, CHROMIUM, FAKE_CAMERA, streamlit_app

TTL = 8   # seconds a disconnected session's run waits for its page to come back


@pytest.fixture(scope="session")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("st") / "streamlit.log"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, server_log):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash scripts/test`, which installs it.")
    tmp = tmp_path_factory.mktemp("cnnlab")  # the server's working folder: data/ and runs/ start empty
    env = {**os.environ, "CNNLAB_DATA": "data", "CNNLAB_RUNS": "runs", "CNNLAB_DATA_LIMIT": "600",
           "CNNLAB_MAX_RUNS": "1"}
    # a short disconnected-session time-out: a closed tab's run is stopped within seconds, not minutes
    with streamlit_app(tmp, env, server_log, options=("--server.disconnectedSessionTTL", str(TTL))) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS + FAKE_CAMERA)
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
