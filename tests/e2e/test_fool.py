"""Inspect's "Fool the network" in a real browser, on a shipped CIFAR-10 model and the compact copy.

    .venv/bin/python -m pytest tests/e2e/test_fool.py -q

Opens Inspect in a fresh session (a pretrained model, no training), waits for the adversarial images
and the accuracy-against-epsilon chart, moves the epsilon slider with the keyboard and checks that the
page redraws the change without an exception box or a console error.
"""
import re

import pytest
from drive import LIVE, open_page, settle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROBUSTNESS = f"{LIVE} [data-testid=stPlotlyChart] .js-plotly-plot"


def clean(page) -> None:
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    assert not page.console_errors, page.console_errors


def test_inspect_shows_the_adversarial_images_and_the_accuracy_chart(new_page, tmp_path):
    page = new_page()
    open_page(page, "Inspect")
    page.get_by_text("Fool the network: adversarial images").wait_for()
    page.get_by_text("the change, magnified (grey: none; at most 4/255)").wait_for(timeout=120_000)
    page.wait_for_function("s => [...document.querySelectorAll(s)].some(c => c.data && c.data[0].y"
                           " && c.data[0].y.length === 6)", arg=ROBUSTNESS, timeout=180_000)
    settle(page)
    assert page.get_by_text("Test accuracy against ε").count() >= 1
    for caption in ("before:", "after:", "Grad-CAM before", "Grad-CAM after"):
        assert page.locator(f"{LIVE} [data-testid=stImage]").filter(has_text=caption).count() >= 1, caption
    clean(page)

    thumb = page.get_by_test_id("stSlider").filter(has_text="ε: how many levels").get_by_role("slider")
    thumb.focus()
    for _ in range(4):
        thumb.press("ArrowRight")
    # a rerun between two presses may take the slider's focus: any epsilon above 4 will do
    page.get_by_text(re.compile(r"the change, magnified \(grey: none; at most ([5-9]|1[0-6])/255\)")).first.wait_for()
    settle(page)
    page.screenshot(path=tmp_path / "fool.png")
    clean(page)
