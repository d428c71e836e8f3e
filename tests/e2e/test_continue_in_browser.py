"""Continue training in a real browser (issue #18 point 5): a run trained on Train is continued from
Runs & compare, which opens Train on the new run; its chart carries on the first run's epochs.

    .venv/bin/python -m pytest tests/e2e/test_continue.py -q
"""
import pytest
from drive import CHART, button, go, open_page, set_number, settle
from test_browser import clean, start_run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TEST_ACC_X = ("s => { const c = document.querySelector(s); const t = c && c._fullData.find("
              "d => d.name === 'test accuracy'); return t ? Array.from(t.x) : [] }")


def test_a_run_continued_from_the_runs_page_opens_train_and_carries_on_its_curve(new_page):
    page = new_page()
    open_page(page, "Train")
    start_run(page, epochs=1)
    page.get_by_text("Finished: 1 epochs").wait_for(timeout=90_000)
    page.get_by_text("Saved on this server as").wait_for()
    clean(page)

    go(page, "Runs & compare")
    set_number(page, "Epochs to add", 2)
    button(page, "Continue training").click()
    page.get_by_role("heading", name="Train").first.wait_for()       # st.switch_page opened Train
    page.get_by_text("Continues the run").wait_for()
    page.get_by_text("Finished: 3 epochs").wait_for(timeout=120_000)
    settle(page)
    assert page.evaluate(TEST_ACC_X, CHART) == [1, 2, 3]              # the first run's epoch, then two more
    clean(page)
