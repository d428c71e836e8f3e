"""Follow a run: what a run's follow link opens. Anyone sees that run's live chart and progress while
it trains and its summary once it has ended, read-only (no controls, no settings); a saved run whose
session is gone is shown from its run.json."""
import streamlit as st

from cnnlib import compare, plots, session
from ui import browser, shared

# Seconds between a follower's redraws: a class of thirty following one run asks the server for a page
# every tenth of a second at this pace, each a few milliseconds (bench/bench_follow.py)
FOLLOW_EVERY = 3.0

t, lang = browser.t, browser.lang()
st.title(t("follow.title"))
found = shared.follow_board().find(browser.following())
if found is None:
    st.error(t("follow.not_found"))
    st.stop()
if found.runner is None:                         # saved, and its session gone: what its run.json holds
    meta = found.meta
    st.caption(t("follow.saved", name=meta["name"], state=t(f"state.{meta['state']}") if meta["state"] else "",
                 created=meta["created"].replace("T", " ")))
    st.plotly_chart(compare.curves_figure([meta], train=True, lang=lang), key="follow_saved")
    for col, (name, value) in zip(st.columns(4), session.summary_of_meta(meta).items()):
        col.metric(browser.tr(name), browser.tr(value))
    st.stop()
runner = found.runner


@st.fragment(run_every=FOLLOW_EVERY if runner.alive else None)
def live_view(was_alive: bool) -> None:
    if runner.alive != was_alive:                 # the run ended: draw the page once more, then stop asking
        st.rerun()
    h = runner.snapshot()
    st.caption(t("follow.live", model=h.config.model, data=h.dataset or t("follow.its_data"), epochs=h.config.epochs))
    fraction, text = session.progress(h)
    st.progress(fraction,
                text=f"{t(f'state.{h.state}').capitalize()} · {browser.tr(text)}" if h.steps else browser.tr(text))
    # one chart per run and language, shared by all its followers who read that language
    st.plotly_chart(shared.follow_board().chart(f"{h.follow}:{lang}", h, lambda h: plots.training_chart(h, True, lang)),
                    key="follow_chart")
    if h.state in ("diverged", "failed", "stopped"):
        st.warning(browser.tr(h.message))
    if h.ended:
        for col, (name, value) in zip(st.columns(4), session.summary(h).items()):
            col.metric(browser.tr(name), browser.tr(value))
        if not runner.alive:
            st.caption(t("follow.ended_saved" if h.checkpoint else "follow.ended"))


live_view(runner.alive)
