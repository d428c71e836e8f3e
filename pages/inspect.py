"""Inspect: what the network sees in one image (a test image or an upload): Grad-CAM's map of the
evidence for a class, the output of every convolution layer, and the first layer's filters."""
import random

import streamlit as st

import ui
from cnnlib import predictor
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS, UPLOAD_TYPES, ImageError
from cnnlib.inspection import EXPLAIN
from cnnlib.predict import prepare

ui.sidebar()
st.title("Inspect: what the network sees")
_, model = ui.pick_model("inspect_model")

where = st.radio("Image", ["From the test set", "Upload"], key="inspect_from", horizontal=True)
if where == "Upload":
    f = st.file_uploader(f"An image ({FORMAT_WORDS}; up to {MAX_PIXELS // 10**6} megapixels)", key="inspect_img",
                         type=UPLOAD_TYPES)
    if f is None:
        st.info("Upload an image, or pick one from the test set.")
        st.stop()
    try:
        image, about = prepare(f.getvalue(), model.image_size).small, f.name
    except ImageError as e:
        st.error(f"{f.name}: {e}")
        st.stop()
else:
    ds = ui.dataset_or_stop(ui.source())  # only here: an upload needs no data set
    if problem := predictor.mismatch(model, ds):
        st.warning(problem + " Or upload an image instead.")
        st.stop()
    n = len(ds.y_test)
    if st.session_state.get("inspect_index", 0) >= n:   # another data set, with fewer test images
        st.session_state["inspect_index"] = 0
    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
    c2.button("Random", key="inspect_random",
              on_click=lambda: st.session_state.update(inspect_index=random.randrange(n)))
    i = c1.slider("Test image", 0, n - 1, key="inspect_index")
    image, about = ds.x_test[i], f"Test image {i}, a {ds.classes[int(ds.y_test[i])]}"

options = ["the predicted class", *model.classes]
pick = st.selectbox("Grad-CAM shows the evidence for", options, key="inspect_target")
sight = predictor.see(model, image, None if pick == options[0] else model.classes.index(pick))
top = int(sight.probabilities.argmax())
st.markdown(f"**{about}**: the network says **{model.classes[top]}** ({100 * sight.probabilities[top]:.0f} %).")

st.subheader("Grad-CAM: where the evidence is")
c1, c2, _ = st.columns(3)
size = image.shape[-1]
c1.image(sight.image, caption=f"what the network sees ({size}×{size} pixels, enlarged)", output_format="PNG")
target, p = model.classes[sight.cam.target], sight.probabilities[sight.cam.target]
c2.image(sight.overlay, caption=f"evidence for '{target}' ({100 * p:.0f} %)", output_format="PNG")
st.caption(EXPLAIN["gradcam"])

st.subheader("Feature maps of every convolution layer")
st.caption(EXPLAIN["feature_maps"])
cols = st.columns(3)
for k, (name, grid) in enumerate(sight.maps.items()):
    c, h, w = sight.shapes[name]
    shown = f"first 64 of {c}" if c > 64 else f"{c}"
    cols[k % 3].image(grid, caption=f"{name}: {shown} channels of {h}×{w}", output_format="PNG")

st.subheader("The first layer's filters")
st.caption(EXPLAIN["filters"])
if sight.filters_fitted:
    st.caption(EXPLAIN["filters_fitted"])
st.image(sight.filters, output_format="PNG",
         caption="each patch is one filter of the first layer: its weights for red, green and blue, enlarged")
