"""CNN Lab: the Streamlit entry point. Sets up the process once and hands over to the page the
user chose (each page draws the shared sidebar through `ui.browser.sidebar()`)."""
import streamlit as st

from cnnlib import memory, runs, sources
from cnnlib.runner import configure_torch, match_threads
from ui import browser, shared

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")


@st.cache_resource(show_spinner=False)
def _configure_once() -> int:
    memory.skip_triton()                          # 80 MB this server would never use
    memory.tune_malloc(memory.SERVER)             # glibc's own settings; runs, pages and tests hand memory back
    memory.drop_unused_libraries()                # without a GPU: CUDA libraries, code run once at import (200 MB)
    return configure_torch(shared.slots().limit)  # the cores, shared among the training slots


@st.cache_resource(show_spinner=False)
def _clean_up_once() -> None:
    """What a killed server left half-written (a run being saved, a temporary file) goes, and the kept
    uploads are trimmed to the server's limit. Then the default data set starts loading (a fresh
    server decodes CIFAR-10's compact copy while the first student reads Home)."""
    runs.clean_up(runs.runs_dir())
    sources.clean_up_data()
    shared.load_in_background(sources.default_source())


# Each page's icon; its title is the catalogue's page.<name>, in the session's language
PAGES = {"home": ":material/home:", "data": ":material/grid_view:", "train": ":material/monitoring:",
         "predict": ":material/image_search:", "evaluate": ":material/fact_check:", "inspect": ":material/visibility:",
         "runs": ":material/compare_arrows:"}

_configure_once()
match_threads()                                       # each script run is a new thread: its tests take the set count
shared.use_runs_storage()                             # the store's credentials, from the secrets (CNNLAB_RUNS=s3://…)
_clean_up_once()
browser.forget_lang()                                 # this run's language is worked out afresh, once
if browser.following():                               # a follow link shows that run, read-only, and nothing else
    page = st.navigation([st.Page("pages/follow.py", title=browser.t("page.follow"), icon=":material/visibility:")],
                         position="hidden")
else:
    shown = browser.open_link().pages or tuple(PAGES)   # a teacher's link may show only some pages
    page = st.navigation([st.Page(f"pages/{name}.py", title=browser.t(f"page.{name}"), icon=PAGES[name],
                                  default=name == "home") for name in PAGES if name in shown])

page.run()
