"""Train: a preset and every setting, Start / Pause / Resume / Stop / New run, and a live chart of
the run going on in the background (the worker thread only fills a history; this page draws it)."""
import time

import streamlit as st

from cnnlib import plots, session
from ui import browser, settings, shared, training

browser.sidebar()
t, lang = browser.t, browser.lang()
st.title(t("page.train"))
lab = browser.session_run()
h = lab.snapshot()
live = lab.busy  # training, or saving the run that just ended
stopping = lab.stopping  # Stop was pressed; the run ends after its current step or test, then saves
# Seconds the Stop button waits for the run to end and be saved before the page redraws. A run that
# needs longer (a test of the whole test set in progress, a slow disk) shows "Stopping…" meanwhile.
STOP_WAIT = 1.0

with st.expander(t("train.settings"), expanded=h is None):
    cfg = settings.config_form(browser.source(), disabled=live)
    # the network's layers, or why it does not fit the data or the server
    misfit = settings.architecture(cfg, browser.source())
settings.share_link(cfg)
invalid = cfg.validate()
problems = invalid + ([misfit] if misfit else [])
for p in problems:
    st.error(browser.tr(p))
guess, wrong_guess = training.guess_form(disabled=live)   # optional; kept with the run, shown beside the outcome
settings.code_view(cfg, bool(invalid))  # the plain PyTorch program: it runs on any machine, whatever this server holds

cols = st.columns(5)
if cols[0].button(t("train.start"), key="start", type="primary", disabled=live or bool(problems) or bool(wrong_guess)):
    ds = browser.dataset_or_stop(browser.source())
    lab.start(cfg, ds, shared.slots(), name=t("runs.default_name", model=cfg.model, data=ds.name),  # in our words
              guess=guess)
    st.rerun()
if cols[1].button(t("train.pause"), key="pause", disabled=not h or h.state != "running" or stopping):
    lab.pause()
    st.rerun()
if cols[2].button(t("train.resume"), key="resume", disabled=not h or h.state != "paused" or stopping):
    lab.resume()
    st.rerun()
if cols[3].button(t("train.stop"), key="stop", disabled=not live or stopping):
    lab.stop(STOP_WAIT)
    st.rerun()
if cols[4].button(t("train.new"), key="new", disabled=not h or live):
    lab.clear()
    st.rerun()

if live and not stopping:
    with st.expander(t("train.change")):
        c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
        with c1:
            lr = settings.setting("lr", key="live_lr", value=float(cfg.lr), disabled=settings.fixed_by_link("lr"))
        with c2:
            momentum = settings.setting("momentum", key="live_momentum", value=float(cfg.momentum),
                                        disabled=settings.fixed_by_link("momentum"))
        if c3.button(t("train.apply"), key="apply"):
            try:
                lab.change(lr=None if settings.fixed_by_link("lr") else lr,      # the link's stay as they are
                           momentum=None if settings.fixed_by_link("momentum") else momentum)
            except ValueError as e:
                st.error(t("train.change_refused", problem=browser.tr_error(e)))
            else:
                st.toast(t("train.changed", lr=lr, momentum=momentum))
# Seconds between redraws of the live view (the chart may wait longer: session.chart_due). Each
# redraw costs the server a figure and the browser a re-render; on a 2-core machine that also runs
# the browser, redrawing every second slowed training by a third, every two seconds by a fifth
# (bench/bench_app.py).
LIVE_EVERY = 2.0


@st.fragment(run_every=LIVE_EVERY if live else None)
def live_view(seen: tuple) -> None:
    h = lab.snapshot()
    if h is None:
        st.info(t("train.choose"))
        return
    if (h.state, lab.busy, lab.stopping) != seen:  # the buttons above depend on these: redraw the whole page
        st.rerun()
    # inside the fragment, so that a click reruns only the live view, not the whole page
    reference = st.toggle(browser.tr(plots.reference_label(h)), value=True, key="reference")
    if h.parent:
        st.caption(t("continue.of", parent=h.parent))
    fraction, text = session.progress(h)
    st.progress(fraction,
                text=f"{t(f'state.{h.state}').capitalize()} · {browser.tr(text)}" if h.steps else browser.tr(text))
    if h.state == "waiting":
        st.warning(training.queue_words(*lab.queue()))
    key = (*session.chart_key(h), reference, lang)  # between redraws the same figure goes out: the browser skips it
    if session.chart_due(st.session_state.get("chart_of"), key, h, now := time.monotonic()):
        st.session_state["chart_of"] = session.chart_drawn(key, h, now)
        st.session_state["chart_fig"] = plots.training_chart(h, reference, lang)
    st.plotly_chart(st.session_state["chart_fig"], key="chart")
    with st.expander(t("train.follow")):
        st.caption(t("train.follow_caption"))
        st.code(browser.app_url({"follow": h.follow, "lang": lang}), language=None, wrap_lines=True)   # in our language
    if h.state in ("diverged", "failed"):
        st.error(t("train.history_kept", message=h.message))
    elif h.state == "stopped":
        st.warning(browser.tr(h.message))
    elif h.state == "paused" and h.message:
        st.info(browser.tr(h.message))
    if h.ended and lab.busy:
        st.caption(t("train.saving"))
    elif lab.stopping:
        st.caption(t("train.stopping"))
    elif h.ended:
        if h.state == "finished":
            st.success(t("train.finished", epochs=len(h.epochs), data=h.dataset))
        for col, (name, value) in zip(st.columns(4), session.summary(h).items()):
            col.metric(browser.tr(name), browser.tr(value))
        training.guess_result(h.guess, h.epochs, key="guess_table")
        if h.checkpoint:
            st.caption(t("train.saved", name=training.saved_name(h.checkpoint)))
            browser.store_warning()
            training.continue_control(h.checkpoint, here=True)   # more epochs of it, as a new run
        elif h.save_error:
            training.unsaved_run(lab, h)


live_view((h.state, live, stopping) if h else None)
