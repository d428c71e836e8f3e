"""Predict: upload images (or take a photo with the camera) and see what a trained network thinks each one is."""
import streamlit as st

from cnnlib import plots
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS, UPLOAD_TYPES, ImageError
from cnnlib.plots import upscale
from ui import browser, models, uploads

browser.sidebar()
t = browser.t
st.title(t("page.predict"))
_, model = models.pick_model("model")
name = browser.class_names(model.classes)
k = st.slider(t("predict.how_many"), 1, len(model.classes), min(3, len(model.classes)), key="k")
if camera := uploads.use_camera("predict_from"):   # the photo is loaded and checked as an upload is
    files = [shot] if (shot := uploads.photo("predict_camera", model.image_size)) else []
else:
    files = st.file_uploader(t("predict.images", formats=FORMAT_WORDS, megapixels=MAX_PIXELS // 10**6), key="img",
                             accept_multiple_files=True, type=UPLOAD_TYPES)
models.forget_predictions(files)
if not files:
    st.info(t("camera.info" if camera else "predict.upload", classes=", ".join(name.values())))
    st.stop()
models.views_caption(model)

for i, f in enumerate(files):
    called = t("camera.photo") if camera else f.name
    try:
        result = models.prediction(model, f)
    except ImageError as e:
        st.error(t("file_problem", name=called, problem=browser.tr_error(e)))
        continue
    st.markdown(t("predict.most_likely", name=called, label=name[result.top[0][0]], p=100 * result.top[0][1]))
    c1, c2, c3 = st.columns([2, 1, 3])
    c1.image(result.original, caption=t("predict.as_uploaded", width=result.size[0], height=result.size[1]))
    c2.image(upscale(result.small, 6), caption=t("predict.sees", size=model.image_size))
    c3.plotly_chart(plots.top_k_bar([(name[c], p) for c, p in result.top[:k]], browser.lang()), key=f"top_{i}")
