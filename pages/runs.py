"""Runs & compare: every run saved on this server. Overlay the curves of several beside a table of
what differs between them; rename, delete or download a run as one file; upload such a file to
use the run again. Broken run folders are listed with the reason, to be deleted."""
from pathlib import Path

import streamlit as st

import ui
from cnnlib import evalplots, runs
from cnnlib.checkpoints import bundle, save_bundle_to
from cnnlib.files import DiskFull
from cnnlib.inspection import EXPLAIN
from cnnlib.runs import delete_run, list_runs, pretrained_runs, rename_run, runs_dir


def rename(folder: str, name: str) -> None:
    """The Rename button's callback: a failure is kept for the page to show (a full disk says so)."""
    try:
        rename_run(folder, name)
    except OSError as e:   # a full disk, or the run deleted meanwhile by another session
        st.session_state["rename_failed"] = str(e) if isinstance(e, DiskFull) else f"It was not renamed: {e}"


ui.sidebar()
st.title("Runs & compare")
with st.expander("Add a run from a file (a .zip downloaded from this page)"):
    upload = st.file_uploader("Run file", type=["zip"], key="bundle")
if upload is not None:
    added, problem = ui.once_per_upload(upload, lambda: save_bundle_to(runs_dir(), upload.getvalue(), upload.name))
    if problem:
        st.error(f"{upload.name} cannot be used: {problem}")
    else:
        st.success(f"{upload.name} is saved on this server as `{added.name}`.")

if broken := runs.broken_runs():
    with st.expander(f"Broken runs ({len(broken)}): folders on the server that cannot be used"):
        for folder, reason in broken:
            st.warning(reason)
            sure = st.checkbox(f"Delete {folder.name} from the server for good", key=f"sure_broken_{folder.name}")
            st.button("Delete", key=f"delete_broken_{folder.name}", disabled=not sure, on_click=delete_run,
                      args=(folder,))

saved = {str(folder): meta for folder, meta in list_runs()}
every = saved | {str(f): {**m, "name": f"pretrained: {m.get('name') or f.name}"} for f, m in pretrained_runs()}
if not saved:
    st.info("No run is saved on this server yet: train one on the Train page, or add a run "
            "file above. Runs are kept on the server and are still here after a restart."
            + (" Meanwhile, the models that come with CNN Lab can be compared below." if every else ""))
if not every:
    st.stop()
label = {folder: runs.run_label(meta) for folder, meta in every.items()}

st.subheader("Compare")
st.session_state["compare"] = [f for f in st.session_state.get("compare", list(saved or every)[:3]) if f in every]
chosen = st.multiselect("Runs to compare", list(every), format_func=label.get, key="compare")
if chosen:
    metas = [every[f] for f in chosen]
    st.caption(EXPLAIN["compare"])
    st.plotly_chart(evalplots.curves_figure(metas), key="curves")
    ui.table(evalplots.comparison_table(metas), percent=("best acc", "final acc"), key="table")

if not saved:  # the shipped models are not managed here
    st.stop()
st.subheader("Manage a run")
if st.session_state.get("manage") not in saved:   # e.g. just deleted
    st.session_state.pop("manage", None)
folder = st.selectbox("Run", list(saved), format_func=label.get, key="manage")
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
name = c1.text_input("Name", saved[folder].get("name", ""), key=f"name_{folder}")
c2.button("Rename", key="rename", on_click=rename, args=(folder, name), disabled=not name.strip())
c3.download_button("Download", lambda: bundle(folder), file_name=f"{Path(folder).name}.zip",
                   mime="application/zip", key="download_run", on_click="ignore",
                   help="The run as one file (weights and run.json), to keep or to add on another server.")
if failed := st.session_state.pop("rename_failed", ""):
    st.error(failed)
sure = st.checkbox("Delete this run from the server for good", key=f"sure_{folder}")
st.button("Delete", key="delete", disabled=not sure, on_click=delete_run, args=(folder,))
