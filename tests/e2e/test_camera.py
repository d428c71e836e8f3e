"""A photo from the camera on Predict, in a real browser: Chromium's fake camera (its test pattern) with
the permission prompt answered yes, so that Streamlit's camera widget takes a real photo.

    .venv/bin/python -m pytest tests/e2e/test_camera.py -q
"""
import pytest

from drive import CHROME_ARGS, CHROMIUM, LIVE, go, settle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def camera_page(app_url):
    """A fresh page in a Chromium of its own, launched with a fake camera (only this test needs one)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS + FAKE_CAMERA)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=app_url,
                                  permissions=["camera"])
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.console_errors = []
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        yield page
        ctx.close()
        browser.close()


def test_a_photo_from_the_camera_is_predicted(camera_page):
    page = camera_page
    page.goto("/")
    settle(page)
    go(page, "Predict")
    assert page.get_by_test_id("stCameraInput").count() == 0          # no camera until it is asked for
    page.get_by_test_id("stMain").get_by_text("Camera", exact=True).click()
    shutter = page.get_by_test_id("stCameraInputButton")
    page.wait_for_function("() => { const b = document.querySelector('[data-testid=stCameraInputButton]');"
                           " return b && !b.disabled }")
    shutter.click()
    page.get_by_text("Your photo", exact=True).wait_for()               # the bold name in "Your photo: most likely …"
    page.wait_for_selector(f"{LIVE} [data-testid=stPlotlyChart] .js-plotly-plot")
    settle(page)
    assert "most likely" in page.get_by_test_id("stMain").inner_text()
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
    assert not page.console_errors, page.console_errors
