"""A photo from the camera on Predict, in a real browser: Chromium's fake camera (its test pattern) with
the permission prompt answered yes, so that Streamlit's camera widget takes a real photo.

    .venv/bin/python -m pytest tests/e2e/test_camera.py -q
"""
import pytest
from drive import LIVE, open_page, settle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def camera_page(browser, app_url):
    """A fresh page allowed to use the camera (the shared Chromium has a fake one: drive.FAKE_CAMERA)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=app_url, permissions=["camera"])
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.console_errors = []
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    ctx.close()


def test_a_photo_from_the_camera_is_predicted(camera_page):
    page = camera_page
    open_page(page, "Predict")
    assert page.get_by_test_id("stCameraInput").count() == 0          # no camera until it is asked for
    page.get_by_test_id("stMain").get_by_text("Camera", exact=True).click()
    shutter = page.get_by_test_id("stCameraInputButton")
    page.wait_for_function("() => { const b = document.querySelector('[data-testid=stCameraInputButton]');"
                           " return b && !b.disabled }")
    # the shutter works once the camera's stream shows frames (later when the browser has run other pages)
    page.wait_for_function("() => { const v = document.querySelector('[data-testid=stCameraInput] video');"
                           " return v && v.readyState >= 2 && v.videoWidth > 0 }")
    photo = page.get_by_text("Your photo", exact=True)                  # the bold name in "Your photo: most likely …"
    for _ in range(3):
        shutter.click()
        try:
            photo.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - a click before the first frame took nothing: press again
            continue
    photo.wait_for()
    page.wait_for_selector(f"{LIVE} [data-testid=stPlotlyChart] .js-plotly-plot")
    settle(page)
    assert "most likely" in page.get_by_test_id("stMain").inner_text()
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
    assert not page.console_errors, page.console_errors
