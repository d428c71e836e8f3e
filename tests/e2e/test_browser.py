"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`.

    .venv/bin/python -m pytest tests/e2e -q

Walks Home -> Data -> Train (start, the chart gains points, pause, resume, stop) -> Predict
(upload, result) -> Evaluate -> Inspect -> Runs & compare, failing on any exception box or console
error, and takes a screenshot of each page (into docs/screenshots/, for the README, with
CNNLAB_SCREENSHOTS=1). A second test checks that closing a tab frees its training slot (the server
allows one).
"""
import os
from pathlib import Path

import pytest
from conftest import TTL
from drive import CHART, LIVE, Proxy, button, go, open_page, points, set_number, settle, wait_points
from PIL import Image, ImageDraw

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: docs/screenshots/ when CNNLAB_SCREENSHOTS=1 (to refresh the README's),
    else a temporary folder, so that an ordinary test run leaves the working tree alone."""
    return DOCS if os.environ.get("CNNLAB_SCREENSHOTS") == "1" else tmp_path


def clean(page) -> None:
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    assert not page.console_errors, page.console_errors


def start_run(page, epochs: int = 10, timeout: float = 60_000) -> None:
    """On Train: make progress events frequent, press Start, and wait for the first points."""
    page.get_by_text("Run", exact=True).click()            # the "Run" settings group
    set_number(page, "report_every", 3)
    set_number(page, "epochs", epochs)
    button(page, "Start").click()
    wait_points(page, 2, timeout)


def test_walk_through_every_page(new_page, tmp_path, shots):
    page = new_page()
    page.goto("/")
    settle(page)
    assert "compact copy that ships with CNN Lab" in page.get_by_test_id("stAlertContentSuccess").first.inner_text()
    page.screenshot(path=shots / "home.png")
    clean(page)

    go(page, "Data")
    page.wait_for_selector(CHART)
    button(page, "Next batch").click()
    page.get_by_text("Batch 2 of").wait_for()
    settle(page)
    assert page.locator(f"{LIVE} [data-testid=stPlotlyChart]").count() == 3
    page.screenshot(path=shots / "data.png")
    clean(page)

    go(page, "Train")
    start_run(page)
    wait_points(page, 4)
    page.screenshot(path=shots / "train.png")
    button(page, "Pause").click()
    page.wait_for_selector("button:has-text('Resume'):not([disabled])")
    settle(page)
    wait_points(page, 4)                                     # the chart is redrawn after the click: read it then
    n = points(page)
    page.wait_for_timeout(2000)
    assert points(page) <= n + 1                             # the step in flight may still land
    button(page, "Resume").click()
    wait_points(page, n + 2)
    button(page, "Stop").click()
    page.get_by_text("Stopped in epoch").wait_for()
    settle(page)
    assert page.get_by_test_id("stMetric").count() == 4      # the summary
    clean(page)

    go(page, "Predict")
    assert page.get_by_role("combobox", name="Model").input_value().startswith("This session's run")
    img = tmp_path / "disc.png"
    im = Image.new("RGB", (160, 120), (40, 70, 160))       # a red disc on blue, as Shapes-10 draws one
    ImageDraw.Draw(im).ellipse((45, 25, 115, 95), fill=(220, 50, 40))
    im.save(img)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(img))
    page.get_by_text("most likely").wait_for()
    page.wait_for_selector(CHART)
    settle(page)
    assert page.locator(f"{LIVE} [data-testid=stImage]").count() == 2
    page.screenshot(path=shots / "predict.png")
    clean(page)

    go(page, "Evaluate")                                     # the stopped run, on the test split
    page.wait_for_selector(f"{CHART} .heatmaplayer")
    page.wait_for_selector(f"{LIVE} [data-testid=stImage]")  # the gallery of mistakes
    page.screenshot(path=shots / "evaluate.png")
    clean(page)

    go(page, "Inspect")
    page.get_by_text("Feature maps of every convolution layer").wait_for()
    settle(page)
    assert page.locator(f"{LIVE} [data-testid=stImage]").count() >= 4   # image, Grad-CAM, maps, filters
    page.screenshot(path=shots / "inspect.png")
    clean(page)

    go(page, "Runs & compare")
    page.wait_for_selector(CHART)
    assert button(page, "Download").count() == 1
    page.screenshot(path=shots / "runs.png")
    clean(page)


def test_closing_a_tab_frees_its_training_slot_once_the_session_is_gone(new_page):
    first = new_page()
    open_page(first, "Train")
    start_run(first, epochs=500)         # holds the server's only slot for many minutes
    first.context.close()                # the tab goes away: once its session times out, its run must stop

    second = new_page()
    open_page(second, "Train")
    page = second
    page.get_by_text("Run", exact=True).click()
    set_number(page, "report_every", 3)
    button(page, "Start").click()
    wait_points(page, 2, timeout=(TTL + 30) * 1000)                  # the first tab's session timed out
    button(second, "Stop").click()
    second.get_by_text("Stopped in epoch").wait_for()
    clean(second)


def test_a_run_survives_a_dropped_connection_and_a_reload(new_page, app_url):
    """A three-second network drop used to end the run (and show an empty Train page): the page
    reconnects to its session, and a reload (a new session, the same address) finds the run too."""
    proxy = Proxy(int(app_url.rsplit(":", 1)[1]))
    try:
        page = new_page()
        page.goto(proxy.url + "/")
        settle(page)
        go(page, "Train")
        start_run(page, epochs=500)
        n = points(page)
        proxy.drop(3)
        wait_points(page, n + 3, timeout=60_000)        # reconnected, and the run went on meanwhile
        assert button(page, "Stop").is_enabled()
        page.console_errors.clear()                       # the browser's own complaints about the cut
        assert "session=" in page.url
        missing = []
        page.on("response", lambda r: r.status == 404 and missing.append(r.url))
        page.reload()
        page.get_by_role("heading", name="Train").wait_for()
        settle(page)
        # Streamlit's page, reloaded at /train, first looks for its server under /train/ and then at the root
        assert all(u.endswith(("/train/_stcore/host-config", "/train/_stcore/health")) for u in missing), missing
        page.console_errors[:] = [e for e in page.console_errors if "404 (Not Found)" not in e or not missing]
        wait_points(page, n + 3, timeout=10_000)          # the whole history so far, not an empty chart
        m = points(page)
        wait_points(page, m + 2)                          # still training
        button(page, "Stop").click()
        page.get_by_text("Stopped in epoch").wait_for()
        clean(page)
    finally:
        proxy.close()


def test_a_second_browser_follows_a_run_through_its_link(new_page):
    owner = new_page()
    open_page(owner, "Train")
    start_run(owner, epochs=500)
    owner.get_by_text("Follow this run on another screen").click()
    url = owner.get_by_test_id("stCode").filter(has_text="follow=").first.inner_text().strip()
    assert "follow=" in url and "session=" not in url

    follower = new_page()
    follower.goto(url)
    follower.get_by_role("heading", name="Following a run").wait_for()
    wait_points(follower, 2)
    n = points(follower)
    wait_points(follower, n + 2, timeout=30_000)                  # live: it grows as the run trains
    assert follower.get_by_test_id("stButton").count() == 0                      # read-only: no controls
    button(owner, "Stop").click()
    owner.get_by_text("Stopped in epoch").wait_for()
    follower.get_by_test_id("stMetric").first.wait_for(timeout=30_000)           # the summary at the end
    clean(owner)
    clean(follower)
