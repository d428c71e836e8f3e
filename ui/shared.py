"""What the server keeps once for every browser session: the training slots, the registry of the
sessions' runs and the board of runs to follow, the data sets and saved models loaded so far, the
lock that lets one test of a model run at a time, and the runs store's credentials. Nothing here
says a word on a page: the modules above it wrap these in the session's language (a spinner, an
error)."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime

from cnnlib import follow, inference, memory, runs, session, sources, store
from cnnlib.data import Dataset
from cnnlib.runner import Slots, default_slots
from cnnlib.runs import list_runs

REAP_EVERY = 5.0                       # seconds between looks for sessions whose pages are gone


@st.cache_resource(show_spinner=False)
def slots() -> Slots:
    """The process-wide cap on concurrent trainings (CNNLAB_MAX_RUNS, or one per two cores)."""
    return Slots(default_slots())


@st.cache_resource(show_spinner=False)
def sessions() -> session.Sessions:
    """Every browser session's run on this server, by the token in its page's address. A run stops
    (and is saved) only when none of its pages has been connected for the server's
    disconnected-session time-out: a dropped connection or a reload finds it again."""
    registry = session.Sessions(ttl=float(st.get_option("server.disconnectedSessionTTL")))
    if Runtime.exists():               # a real server (AppTest has none, and no page ever disconnects there)
        runtime = Runtime.instance()
        threading.Thread(target=_reap_forever, args=(registry, runtime.is_active_session), daemon=True,
                         name="cnnlab-sessions").start()
    return registry


def _reap_forever(registry: session.Sessions, connected: Callable[[str], bool]) -> None:
    while True:
        time.sleep(REAP_EVERY)
        registry.reap(connected)
        # What the sessions' pages freed (figures, decoded uploads, tests of a model) goes back to the
        # system too: the server keeps freed buffers for the training's sake, and a trim every few
        # seconds costs a run a step's worth of page faults (bench/bench_malloc.py, BENCHMARKS.md §6).
        memory.release_memory()


@st.cache_resource(show_spinner=False)
def follow_board() -> follow.Board:
    """Every run that can be followed on this server, and the one chart per run its followers share."""
    return follow.Board(sessions(), list_runs)


# The caches below show no spinner of their own (its words would be fixed in one language): their
# callers wrap them in st.spinner, which shows only when a call takes over half a second.
@st.cache_resource(show_spinner=False, max_entries=4)
def load_dataset(source: str) -> Dataset:
    """The data set of a source, loaded once for the whole server; raises DataError."""
    return sources.load_source(source)  # read-only from here on: every session shares these tensors


def load_in_background(source: str) -> None:
    """Start loading a data set for the whole server in a thread of its own, so that it is ready (or
    nearly) when a page first asks for it: a fresh server decodes CIFAR-10's compact copy in a few
    seconds while the first student reads Home. Errors are left for the page that uses it to say."""
    def load() -> None:
        with contextlib.suppress(Exception):
            load_dataset(source)
    threading.Thread(target=load, name="cnnlab-load-data", daemon=True).start()


def forget_data_sets() -> None:
    """Load every data set again on its next use (CIFAR-10's original files have replaced its copy)."""
    load_dataset.clear()


@st.cache_resource(show_spinner=False, max_entries=8)
def load_predictor(folder: str) -> inference.Predictor:
    """A saved run's model, loaded once for the whole server; raises CheckpointError."""
    return inference.predictor_from_folder(folder)


@st.cache_resource(show_spinner=False)
def testing() -> threading.Lock:
    """One test of a model on a test split at a time, for the whole server: each takes a hundred MB or
    more while it runs, and a page that changes model mid-test starts the next before the first has
    ended (seen: two at once, 1.36 GB on the class bench); the others wait their turn."""
    return threading.Lock()


def use_runs_storage() -> None:
    """Hand the [runs_storage] section of Streamlit's secrets (key, secret, endpoint_url, ...: fsspec's
    storage options) to cnnlib.store, when CNNLAB_RUNS names object storage. No secrets file, or no
    such section: the environment's credentials (AWS_ACCESS_KEY_ID, ...) alone."""
    if not store.is_url(runs.location()):
        return
    try:
        options = st.secrets["runs_storage"].to_dict() if "runs_storage" in st.secrets else {}
    except Exception:  # noqa: BLE001 - no secrets file, or one that cannot be read: Streamlit logs that itself
        options = {}
    store.use_options(options)
