"""This session's run around Train and Runs & compare: its place in the line for a training slot,
Guess first (the student's guess before Start, and beside the outcome after), Continue training from
a saved run, and the download of a run that could not be saved."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnlib import guess as guessing
from cnnlib import runfile, runs, session
from cnnlib.checkpoints import META, CheckpointError, bundle_bytes
from cnnlib.files import slug
from cnnlib.history import History
from cnnlib.runner import memory_problem
from ui.browser import dataset_or_stop, session_run, source, t, tr, tr_error
from ui.shared import slots
from ui.tables import table


def queue_words(place: int, wait: float | None) -> str:
    """What a run waiting for a training slot is told: its place in the line and the expected wait."""
    where = "" if not place else t("ui.queue_next") if place == 1 else t("ui.queue_number", place=place)
    when = "" if not place else t("ui.queue_no_estimate") if wait is None else \
        t("ui.queue_wait", time=session.duration(max(wait, 1)))
    return t("ui.queue", place=where, wait=when)


def saved_name(folder: str) -> str:
    """How a saved run is named on the page: its folder's name, never the server's path to it."""
    return Path(folder).name


def continue_control(folder: str, meta: dict | None = None, here: bool = False) -> None:
    """Continue training for the saved run in `folder` (its checked run.json `meta`, read if not
    given): the epochs to add and the button (`continue_run`); `here` on Train, which it redraws."""
    if meta is None:
        try:
            meta = runfile.read(Path(folder) / META, Path(folder).name)
        except CheckpointError as e:
            st.error(t("continue.refused", problem=tr_error(e)))
            return
    busy = session_run().busy
    if not runs.goes_on_exactly(folder):
        st.caption(t("continue.fresh_optimizer"))
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    # unbounded, as the settings' boxes: runs.continuation names a count out of range instead of the box
    # quietly keeping its last good value
    more = c1.number_input(t("continue.epochs"), value=5, step=1, key="continue_epochs")
    if c2.button(t("continue.start"), key="continue", disabled=busy,
                 help=t("continue.busy") if busy else t("continue.explain")):
        continue_run(folder, meta, int(more), here)


def continue_run(folder: str, meta: dict, more: int, here: bool = False) -> None:
    """Start, in this session's runner, a run that goes on from the saved run in `folder` (its checked
    run.json `meta`) for `more` epochs, on the session's data set, and open Train to watch it (`here`:
    on Train, draw it again); a run already training here, other data or a bad file are said on this
    page instead."""
    lab = session_run()
    if lab.busy:
        st.warning(t("continue.busy"))
        return
    ds = dataset_or_stop(source())
    try:
        cfg = runs.continuation(folder, meta, more, ds)
        if problem := memory_problem(cfg, len(ds.classes), ds.image_size):
            raise ValueError(problem)
        lab.start(cfg, ds, slots(), name=t("continue.name", name=meta.get("name") or Path(folder).name),
                  parent=folder)
    except (ValueError, RuntimeError) as e:
        st.error(t("continue.refused", problem=tr_error(e)))
        return
    if here:
        st.rerun()
    st.switch_page("pages/train.py")


def unsaved_run(run: session.SessionRun, h: History) -> None:
    """A run that ended but could not be saved (a full disk): say so, and offer it for download."""
    st.error(tr(h.save_error))
    st.caption(t("ui.unsaved_kept"))
    st.download_button(t("ui.download_unsaved"),
                       lambda: bundle_bytes(run.model, runs.history_meta(h), train_state=h.resume),
                       key="download_unsaved",
                       file_name=f"{slug(t('runs.default_name', model=h.config.model, data=h.dataset))}.zip",
                       mime="application/zip",
                       on_click="ignore", type="primary")


def guess_form(disabled: bool = False) -> tuple[guessing.Guess, str]:
    """Guess first: the student's optional guess of how the run will go, before Start, and what is wrong
    with it ("" when nothing). The box takes any number, as the settings' do: one out of range is named
    under it (and Start waits), not silently swapped for the last good one, as a bounded box would."""
    gaps = {g: t(f"guess.{g}") for g in guessing.GAPS}
    with st.expander(t("guess.title")):
        st.caption(t("guess.explain"))
        c1, c2 = st.columns(2)
        accuracy = c1.number_input(t("guess.accuracy"), value=None, step=1.0, format="%.0f", key="guess_acc",
                                   disabled=disabled)
        gap = c2.radio(t("guess.gap"), list(gaps), index=None, key="guess_gap", format_func=gaps.get,
                       horizontal=True, disabled=disabled)
        try:
            return guessing.Guess(accuracy, gap), ""
        except ValueError as e:
            st.error(tr_error(e))
            return guessing.Guess(), tr_error(e)


def guess_result(guess, epochs: list, key: str) -> None:
    """A run's guess beside what happened, as a small table; nothing when no guess was made."""
    if rows := guessing.compare(guess, epochs):
        st.markdown(f"**{t('guess.heading')}**")
        table([{t(f"guess.{c}"): tr(r[c]) for c in ("what", "guessed", "happened")} for r in rows], key=key)
