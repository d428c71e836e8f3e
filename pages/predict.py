"""Predict: upload images and see what a trained network thinks each one is."""
import streamlit as st

import ui
from cnnlib import plots
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS, UPLOAD_TYPES, ImageError
from cnnlib.inspection import upscale

ui.sidebar()
st.title("Predict")
_, model = ui.pick_model("model")
k = st.slider("How many classes to show", 1, len(model.classes), min(3, len(model.classes)), key="k")
files = st.file_uploader(f"Images ({FORMAT_WORDS}; up to {MAX_PIXELS // 10**6} megapixels)", key="img",
                         accept_multiple_files=True, type=UPLOAD_TYPES)
if not files:
    st.info(f"Upload one or more images. The network knows these classes: {', '.join(model.classes)}.")
    st.stop()
ui.views_caption(model)

for i, f in enumerate(files):
    try:
        result = ui.prediction(model, f)
    except ImageError as e:
        st.error(f"{f.name}: {e}")
        continue
    st.markdown(f"**{f.name}**: most likely **{result.top[0][0]}** ({100 * result.top[0][1]:.0f} %)")
    c1, c2, c3 = st.columns([2, 1, 3])
    c1.image(result.original, caption=f"as uploaded ({result.size[0]}×{result.size[1]})")
    c2.image(upscale(result.small, 6), caption=f"what the network sees ({model.image_size}×{model.image_size})")
    c3.plotly_chart(plots.top_k_bar(result.top[:k]), key=f"top_{i}")
