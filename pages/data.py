"""Data: the training batches as the network gets them, a class filter, the class balance, and
what the training augmentation does to the same images."""
import streamlit as st

from cnnlib import plots, sources
from cnnlib.config import AUGMENTS
from ui import browser

browser.sidebar()
t = browser.t
st.title(t("page.data"))
ds = browser.dataset_or_stop(browser.source())
st.caption(" ".join([t("data.caption", data=ds.name, train=len(ds.y_train), test=len(ds.y_test), size=ds.image_size,
                       classes=len(ds.classes)), *map(browser.tr, ds.notes)]))

c1, c2, c3, c4, c5 = st.columns([1, 2, 2, 1, 1], vertical_alignment="bottom")
splits = {"train": t("plots.train"), "test": t("plots.test")}
split = c1.radio(t("data.split"), list(splits), key="data_split", horizontal=True, format_func=splits.get)
name = {None: t("data.all_classes"), **browser.class_names(ds.classes)}
only = c2.selectbox(t("data.class"), [None, *ds.classes], key="data_class", format_func=name.get)
mode = c3.selectbox(t("data.augmentation"), [a for a in AUGMENTS if a != "none"], index=2, key="data_aug",
                    help=t("data.augmentation_help"))
if c4.button(t("data.next"), key="next"):
    st.session_state["batch_no"] = st.session_state.get("batch_no", 0) + 1
if c5.button(t("data.shuffle"), key="shuffle"):
    st.session_state["shuffle_seed"] = st.session_state.get("shuffle_seed", 0) + 1
    st.session_state["batch_no"] = 0

batch = sources.browse(ds, split, only, st.session_state.get("batch_no", 0), st.session_state.get("shuffle_seed"),
                       mode)
st.caption(t("data.batch", number=batch.number + 1, batches=batch.batches, images=len(batch.labels),
             order=t("data.shuffled" if "shuffle_seed" in st.session_state else "data.stored_order")))
left, right = st.columns(2)
left.markdown(t("data.the_batch"))
labels = [name[c] for c in batch.labels]
left.plotly_chart(plots.batch_grid(batch.x, labels, height=430), key="grid")
right.markdown(t("data.augmented", mode=mode))
right.plotly_chart(plots.batch_grid(batch.augmented, labels, height=430), key="grid_aug")

st.plotly_chart(plots.class_balance([name[c] for c in ds.classes], ds.class_counts("train"), ds.class_counts("test"),
                                    browser.lang()), key="balance")
