"""Follow a run: what a run's follow link opens. Anyone sees that run's live chart and progress while
it trains and its summary once it has ended, read-only (no controls, no settings); a saved run whose
session is gone is shown from its run.json."""
import streamlit as st

import ui
from cnnlib import evalplots, plots, session

# Seconds between a follower's redraws: a class of thirty following one run asks the server for a page
# every tenth of a second at this pace, each a few milliseconds (bench/bench_follow.py)
FOLLOW_EVERY = 3.0

st.title("Following a run")
found = ui.follow_board().find(ui.following())
if found is None:
    st.error("No run on this server has this follow link. It may come from another server, or from before "
             "the server restarted (saved runs on a cloud server's disk do not survive a restart), or the run "
             "was deleted.")
    st.stop()
if found.runner is None:                         # saved, and its session gone: what its run.json holds
    meta = found.meta
    st.caption(f"{meta['name']} · {meta['state']} · saved {meta['created'].replace('T', ' ')} · read-only")
    st.plotly_chart(evalplots.curves_figure([meta], train=True), key="follow_saved")
    for col, (name, value) in zip(st.columns(4), session.summary_of_meta(meta).items()):
        col.metric(name, value)
    st.stop()
runner = found.runner


@st.fragment(run_every=FOLLOW_EVERY if runner.alive else None)
def live_view(was_alive: bool) -> None:
    if runner.alive != was_alive:                 # the run ended: draw the page once more, then stop asking
        st.rerun()
    h = runner.snapshot()
    st.caption(f"{h.config.model} on {h.dataset or 'its data set'} · {h.config.epochs} epochs · read-only: "
               "the run is controlled from its own page")
    fraction, text = session.progress(h)
    st.progress(fraction, text=f"{h.state.capitalize()} · {text}" if h.steps else text)
    st.plotly_chart(ui.follow_board().chart(h.follow, h, plots.training_chart), key="follow_chart")
    if h.state in ("diverged", "failed", "stopped"):
        st.warning(h.message)
    if h.ended:
        for col, (name, value) in zip(st.columns(4), session.summary(h).items()):
            col.metric(name, value)
        if not runner.alive:
            st.caption("The run has ended." + (" It is saved on this server." if h.checkpoint else ""))


live_view(runner.alive)
