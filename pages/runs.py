"""Runs & compare: every run saved on this server. Overlay the curves of several beside a table of
what differs between them; rename, delete or download a run as one file; upload such a file to
use the run again; continue a run's training for more epochs, as a new run. Broken run folders are
listed with the reason, to be deleted."""
from pathlib import Path

import streamlit as st

from cnnlib import compare, runs
from cnnlib.checkpoints import bundle
from cnnlib.files import DiskFull
from cnnlib.runs import add_run_file, delete_run, list_runs, pretrained_runs, rename_run
from cnnlib.words import Message
from ui import browser, models, tables, training, uploads


def rename(folder: str, name: str) -> None:
    """The Rename button's callback: a failure is kept for the page to show (a full disk says so)."""
    try:
        rename_run(folder, name)
    except OSError as e:   # a full disk, or the run deleted meanwhile by another session
        st.session_state["rename_failed"] = e.message if isinstance(e, DiskFull) else \
            Message("runs.not_renamed", problem=str(e))


browser.sidebar()
t, lang = browser.t, browser.lang()
st.title(t("page.runs"))
browser.store_warning()
with st.expander(t("runs.add")):
    upload = st.file_uploader(t("runs.file"), type=["zip"], key="bundle")
if upload is not None:
    added, problem = uploads.once_per_upload(upload, lambda: add_run_file(upload.getvalue(), upload.name))
    if problem:
        st.error(t("upload.unusable", name=upload.name, problem=problem))
    else:
        st.success(t("runs.added", name=upload.name, saved=added.name))

if broken := runs.broken_runs():
    with st.expander(t("runs.broken", n=len(broken))):
        for folder, reason in broken:
            st.warning(browser.tr(reason))
            sure = st.checkbox(t("runs.delete_broken", name=folder.name), key=f"sure_broken_{folder.name}")
            st.button(t("runs.delete"), key=f"delete_broken_{folder.name}", disabled=not sure, on_click=delete_run,
                      args=(folder,))

saved = {str(folder): meta for folder, meta in list_runs()}
every = saved | {str(f): {**m, "name": models.pretrained_label(f, m)} for f, m in pretrained_runs()}
if not saved:
    st.info(t("runs.none") + (" " + t("runs.shipped") if every else ""))
if not every:
    st.stop()
label = {folder: browser.tr(runs.run_label(meta)) for folder, meta in every.items()}

st.subheader(t("runs.compare"))
st.session_state["compare"] = [f for f in st.session_state.get("compare", list(saved or every)[:3]) if f in every]
chosen = st.multiselect(t("runs.to_compare"), list(every), format_func=label.get, key="compare",
                        placeholder=t("ui.choose"))
if chosen:
    metas = [every[f] for f in chosen]
    st.caption(browser.tr(browser.EXPLAIN["compare"]))
    st.plotly_chart(compare.curves_figure(metas, lang=lang), key="curves")
    tables.table(compare.comparison_table(metas, lang), key="table",
                 percent=(compare.column("best", lang), compare.column("final", lang)))

if not saved:  # the shipped models are not managed here
    st.stop()
st.subheader(t("runs.manage"))
if st.session_state.get("manage") not in saved:   # e.g. just deleted
    st.session_state.pop("manage", None)
folder = st.selectbox(t("runs.run"), list(saved), format_func=label.get, key="manage")
training.guess_result(saved[folder].get("guess"), saved[folder]["epochs"], key="guess_run")   # Guess first, if made
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
name = c1.text_input(t("runs.name"), saved[folder].get("name", ""), key=f"name_{folder}")
c2.button(t("runs.rename"), key="rename", on_click=rename, args=(folder, name), disabled=not name.strip())
c3.download_button(t("runs.download"), lambda: bundle(folder), file_name=f"{Path(folder).name}.zip",
                   mime="application/zip", key="download_run", on_click="ignore", help=t("runs.download_help"))
if failed := st.session_state.pop("rename_failed", ""):
    st.error(browser.tr(failed))
if parent := saved[folder].get("parent"):
    st.caption(t("continue.parent", parent=parent))
sure = st.checkbox(t("runs.delete_sure"), key=f"sure_{folder}")
st.button(t("runs.delete"), key="delete", disabled=not sure, on_click=delete_run, args=(folder,))

st.subheader(t("continue.title"))
st.caption(t("continue.explain"))
training.continue_control(folder, saved[folder])
