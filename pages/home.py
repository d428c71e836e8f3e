"""Home: what CNN Lab is, where to start, and the state of the data."""
import streamlit as st

import ui
from cnnlib import sources
from cnnlib.data import DataError, cifar10_status, download_cifar10
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS

ui.sidebar()
st.title("CNN Lab")
st.markdown(
    "Train a real convolutional neural network in your browser and watch it learn. CNN Lab starts "
    "from the classic PyTorch tutorial (a small CNN, SGD, ten epochs, 41 % after one epoch and 57 % "
    "after ten on CIFAR-10) and lets you change every part of it.\n\n"
    "**Where to start:** look at the images on **Data**, press *Start* on **Train** with the "
    "tutorial's recipe, then upload a photo on **Predict** to see what your network thinks.")

st.subheader("Data")
root = sources.data_root()
status = cifar10_status(root)
if status == "ready":
    st.success(f"CIFAR-10 is ready: the original files ({root}/).")
elif status == "compact":
    st.success("CIFAR-10 is ready: the compact copy that ships with CNN Lab, no download needed.")
    st.caption("Its images are JPEG-compressed, so a network scores about 3 points lower on it than on the "
               f"original files. To use those, download them below (163 MB) or put `cifar-10-python.tar.gz` "
               f"into `{root}/` on the server.")
else:
    st.warning(
        f"CIFAR-10 is not on this server yet, so CNN Lab uses **{sources.source_name(ui.source())}** "
        "instead (Shapes-10 is CNN Lab's own offline set of ten shape classes: similar in spirit, "
        "but it is *not* CIFAR-10). To get CIFAR-10: download it below (163 MB), put "
        f"`cifar-10-python.tar.gz` into `{root}/` on the server, or upload your own image-folder zip.")
if status != "ready" and st.button("Download CIFAR-10", key="download"):
    bar = st.progress(0.0, text="Connecting…")
    try:
        download_cifar10(root, progress=lambda text, f: bar.progress(min(1.0, f), text=text))
    except DataError as e:
        bar.empty()
        st.error(str(e))
    else:
        ui.dataset.clear()                # CIFAR-10 is the original files from now on, for every session
        ui.choose_source("cifar10")

st.markdown("**Your own images**: a `.zip` of `train/<class>/…` and `test/<class>/…`, or just "
            f"`<class>/…` (10 % of each class is then kept for testing). {FORMAT_WORDS} images of up to "
            f"{MAX_PIXELS // 10**6} megapixels.")
upload = st.file_uploader("Image-folder zip", type=["zip"], key="zip")
if upload is not None:
    path, problem = ui.once_per_upload(upload, lambda: ui.keep_upload(upload))
    if problem:
        st.error(f"{upload.name} cannot be used: {problem}")
    else:
        ds = ui.dataset(path)
        st.success(f"{upload.name}: {len(ds.classes)} classes, {len(ds.y_train):,} training and "
                   f"{len(ds.y_test):,} test images. " + " ".join(ds.notes))
        if path not in (mine := ui.session_run()).uploads:
            mine.uploads.append(path)
            ui.choose_source(path)

st.caption(f"In use now: **{sources.source_name(ui.source())}** (change it in the sidebar).")
