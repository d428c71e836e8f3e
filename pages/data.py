"""Data: the training batches as the network gets them, a class filter, the class balance, and
what the training augmentation does to the same images."""
import streamlit as st

import ui
from cnnlib import plots, sources
from cnnlib.config import AUGMENTS

ui.sidebar()
st.title("Data")
ds = ui.dataset_or_stop(ui.source())
st.caption(f"{ds.name}: {len(ds.y_train):,} training and {len(ds.y_test):,} test images of "
           f"{ds.image_size}×{ds.image_size} pixels, {len(ds.classes)} classes. " + " ".join(ds.notes))

c1, c2, c3, c4, c5 = st.columns([1, 2, 2, 1, 1], vertical_alignment="bottom")
split = c1.radio("Split", ["train", "test"], key="data_split", horizontal=True)
only = c2.selectbox("Class", ["all classes", *ds.classes], key="data_class")
mode = c3.selectbox("Augmentation to show", [a for a in AUGMENTS if a != "none"], index=2, key="data_aug",
                    help="The training pipeline's random flips and 4-pixel crops, applied to this batch.")
if c4.button("Next batch", key="next"):
    st.session_state["batch_no"] = st.session_state.get("batch_no", 0) + 1
if c5.button("Shuffle", key="shuffle"):
    st.session_state["shuffle_seed"] = st.session_state.get("shuffle_seed", 0) + 1
    st.session_state["batch_no"] = 0

batch = sources.browse(ds, split, None if only == "all classes" else only, st.session_state.get("batch_no", 0),
                       st.session_state.get("shuffle_seed"), mode)
st.caption(f"Batch {batch.number + 1} of {batch.batches} ({len(batch.labels)} images, "
           f"{'shuffled' if 'shuffle_seed' in st.session_state else 'in stored order'}).")
left, right = st.columns(2)
left.markdown("**The batch**")
left.plotly_chart(plots.batch_grid(batch.x, batch.labels, height=430), key="grid")
right.markdown(f"**The same images after `{mode}`**")
right.plotly_chart(plots.batch_grid(batch.augmented, batch.labels, height=430), key="grid_aug")

st.plotly_chart(plots.class_balance(ds.classes, ds.class_counts("train"), ds.class_counts("test")), key="balance")
