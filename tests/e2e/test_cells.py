"""Evaluate's "mistakes by cell" in a real browser: a mouse click on a cell of the confusion matrix,
then on a bar of the per-class chart, shows that cell's (that class's mistakes') test images.

    .venv/bin/python -m pytest tests/e2e/test_cells.py -q

Its own server, started with a tiny saved run in its runs folder, so that Evaluate has a model at once.
"""
import os
from pathlib import Path

import pytest
import torch
from drive import LIVE, open_page, settle, streamlit_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PLOTS = f"{LIVE} [data-testid=stPlotlyChart] .js-plotly-plot"
# the page position of category `i` on x and `v` on y of the n-th chart (0: the confusion matrix)
WHERE = """([s, n, i, v]) => {
    const gd = document.querySelectorAll(s)[n], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(i), box.top + ya._offset + ya.l2p(v)];
}"""


def tiny_run(folder: Path) -> None:
    """A 'fast' network given one big SGD step on a few images, saved as a run with CIFAR-10's classes
    (the data set a new page starts with: the compact copy that ships with CNN Lab)."""
    from torch.nn import functional as F

    from cnnlib.checkpoints import run_meta, save_run
    from cnnlib.config import TrainConfig
    from cnnlib.data import CIFAR10_CLASSES, make_shapes10
    from cnnlib.models import build_model, fit_to_data
    torch.manual_seed(0)
    model = build_model("fast", len(CIFAR10_CLASSES))
    x, y = make_shapes10(16, 0)
    fit_to_data(model, lambda: x.float() / 255)
    F.cross_entropy(model(x.float() / 255), y).backward()
    torch.optim.SGD(model.parameters(), lr=3.0).step()
    curve = [dict(epoch=0, train_loss=2.0, train_acc=0.2, test_loss=2.1, test_acc=0.15, seconds=1.0, elapsed=1.0)]
    meta = run_meta(TrainConfig(model="fast", epochs=1), CIFAR10_CLASSES, curve, name="cells", dataset="CIFAR-10")
    save_run(folder / "cells", model.eval(), meta)


@pytest.fixture(scope="module")
def url_with_a_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cells")
    tiny_run(tmp / "runs")
    env = {**os.environ, "CNNLAB_DATA": "data", "CNNLAB_RUNS": "runs", "CNNLAB_DATA_LIMIT": "600",
           "CNNLAB_PRETRAINED": str(tmp / "no-pretrained")}
    with streamlit_app(tmp, env, tmp / "streamlit.log") as url:
        yield url


def said(page) -> str:
    return " | ".join(page.locator(f"{LIVE} [data-testid=stCaptionContainer]").all_inner_texts())



def click_until(page, at: list[float], caption: str) -> None:
    """Click the chart at `at` (x, y on the page) as a mouse would, then wait for `caption` under it."""
    page.mouse.move(*at)
    page.wait_for_timeout(300)
    page.mouse.click(*at)
    page.wait_for_function("([s, w]) => [...document.querySelectorAll(s)].some(e => e.innerText.includes(w))",
                           arg=[f"{LIVE} [data-testid=stCaptionContainer]", caption])
    settle(page)

def test_a_click_on_a_cell_shows_its_images(browser, url_with_a_run):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=url_with_a_run)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_page(page, "Evaluate")
        page.wait_for_function("s => document.querySelectorAll(s).length >= 2", arg=PLOTS)
        z = page.evaluate("s => document.querySelectorAll(s)[0].data[0].z", PLOTS)
        names = page.evaluate("s => document.querySelectorAll(s)[0].data[0].x", PLOTS)
        k = len(names)
        # the fullest cell off the diagonal (the barely trained network answers mostly one class)
        count, i, j = max((z[i][j], i, j) for i in range(k) for j in range(k) if i != j)
        assert count > 0
        click_until(page, page.evaluate(WHERE, [PLOTS, 0, j, i]),
                    f"{count:,} test images of {names[i]} answered {names[j]}.")
        gallery = page.locator(f"{LIVE} [data-testid=stImage]")
        first = gallery.first.inner_text()
        assert first.startswith(f"{names[i]} → {names[j]}"), first
        chosen = page.locator(f"{LIVE} [data-testid=stSelectbox] input[role=combobox]")   # they followed the click
        assert chosen.and_(page.get_by_label("True class")).input_value() == names[i]
        assert chosen.and_(page.get_by_label("The network's answer")).input_value() == names[j]

        # a bar of the per-class chart: every mistake of that class
        bars = page.evaluate("s => document.querySelectorAll(s)[1].data[0].y", PLOTS)
        # a bar tall enough to hit, of a class with mistakes if there is one (the barely trained network's
        # classes are mostly all right or all wrong, and an all-wrong class has no bar to click)
        c = max(range(k), key=lambda c: (bars[c] is not None and bars[c] > 0.1, 0 < (bars[c] or 0) < 1))
        assert bars[c] > 0.1, bars
        wrong = sum(z[c]) - z[c][c]
        click_until(page, page.evaluate(WHERE, [PLOTS, 1, c, bars[c] / 2]),
                    f"{wrong:,} test images of {names[c]} answered wrongly.")
        assert chosen.and_(page.get_by_label("True class")).input_value() == names[c]
        assert chosen.and_(page.get_by_label("The network's answer")).input_value() == "any wrong answer"
        if wrong:
            assert page.locator(f"{LIVE} [data-testid=stImage]").first.inner_text().startswith(f"{names[c]} → ")
        assert page.get_by_test_id("stException").count() == 0
        assert not errors, errors
    finally:
        ctx.close()
