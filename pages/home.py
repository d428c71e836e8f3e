"""Home: what CNN Lab is, where to start, and the state of the data."""
import streamlit as st

from cnnlib import sources
from cnnlib.data import DataError, cifar10_status, download_cifar10
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS
from ui import browser, shared, uploads

browser.sidebar()
t = browser.t
st.title("CNN Lab")
st.markdown(t("home.intro"))

st.subheader(t("page.data"))
root = sources.data_root()
status = cifar10_status(root)
if status == "ready":
    st.success(t("home.ready_original", root=root))
elif status == "compact":
    st.success(t("home.ready_compact"))
    st.caption(t("home.compact_caption", root=root))
else:
    st.warning(t("home.absent", data=sources.source_name(browser.source()), root=root))
if status != "ready" and st.button(t("home.download"), key="download"):
    bar = st.progress(0.0, text=t("home.connecting"))
    try:
        download_cifar10(root, progress=lambda text, f: bar.progress(min(1.0, f), text=browser.tr(text)))
    except DataError as e:
        bar.empty()
        st.error(browser.tr_error(e))
    else:
        shared.forget_data_sets()             # CIFAR-10 is the original files from now on, for every session
        browser.choose_source("cifar10")

st.markdown(t("home.own_images", formats=FORMAT_WORDS, megapixels=MAX_PIXELS // 10**6))
upload = st.file_uploader(t("home.zip"), type=["zip"], key="zip")
if upload is not None:
    path, problem = uploads.once_per_upload(upload, lambda: uploads.keep_upload(upload))
    if problem:
        st.error(t("upload.unusable", name=upload.name, problem=problem))
    else:
        ds = browser.dataset(path)
        st.success(" ".join([t("home.loaded", name=upload.name, classes=len(ds.classes), train=len(ds.y_train),
                                 test=len(ds.y_test)), *map(browser.tr, ds.notes)]))
        if path not in (mine := browser.session_run()).uploads:
            mine.uploads.append(path)
            browser.choose_source(path)

st.caption(t("home.in_use", data=sources.source_name(browser.source())))
