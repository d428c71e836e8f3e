"""Inspect: what the network sees in one image (a test image or an upload): Grad-CAM's map of the
evidence for a class, an adversarial version that fools it (with test accuracy against the attack's size),
the output of every convolution layer, and the first layer's filters. The image may also be a photo from
the camera, loaded and checked as an upload is."""
import random

import streamlit as st

from cnnlib import adversarial, evalplots, inference
from cnnlib.images import FORMAT_WORDS, MAX_PIXELS, UPLOAD_TYPES, ImageError
from cnnlib.inference import prepare
from ui import browser, models, pictures, uploads

browser.sidebar()
t = browser.t
st.title(t("inspect.title"))
choice, model = models.pick_model("inspect_model")
name = browser.class_names(model.classes)

sources = {"test": t("inspect.from_test"), "upload": t("inspect.from_upload"), "camera": t("camera.camera")}
where = st.radio(t("inspect.image"), list(sources), key="inspect_from", horizontal=True, format_func=sources.get)
if where in ("upload", "camera"):   # the camera only when asked for: the browser asks before it is used
    if where == "camera":
        f = uploads.photo("inspect_camera", model.image_size)
    else:
        f = st.file_uploader(t("inspect.an_image", formats=FORMAT_WORDS, megapixels=MAX_PIXELS // 10**6),
                             key="inspect_img", type=UPLOAD_TYPES)
    if f is None:
        st.info(t("camera.info" if where == "camera" else "inspect.upload", classes=", ".join(name.values())))
        st.stop()
    called = t("camera.photo") if where == "camera" else f.name
    try:
        image, about = prepare(f.getvalue(), model.image_size).small, called
    except ImageError as e:
        st.error(t("file_problem", name=called, problem=browser.tr_error(e)))
        st.stop()
else:
    ds = browser.dataset_or_stop(browser.source())  # only here: an upload needs no data set
    if problem := models.mismatch(model, ds):
        st.warning(t("inspect.or_upload", problem=problem))
        st.stop()
    n = len(ds.y_test)
    if st.session_state.get("inspect_index", 0) >= n:   # another data set, with fewer test images
        st.session_state["inspect_index"] = 0
    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
    c2.button(t("inspect.random"), key="inspect_random",
              on_click=lambda: st.session_state.update(inspect_index=random.randrange(n)))
    i = c1.slider(t("inspect.test_image"), 0, n - 1, key="inspect_index")
    image, about = ds.x_test[i], t("inspect.about", index=i, label=name.get(c := ds.classes[int(ds.y_test[i])], c))

options = {None: t("inspect.predicted"), **name}
pick = st.selectbox(t("inspect.evidence_for"), list(options), key="inspect_target", format_func=options.get)
sight = inference.see(model, image, None if pick is None else model.classes.index(pick))
top = int(sight.probabilities.argmax())
st.markdown(t("inspect.says", about=about, label=name[model.classes[top]], p=100 * sight.probabilities[top]))

st.subheader(t("inspect.gradcam"))
c1, c2, _ = st.columns(3)
size = image.shape[-1]
c1.image(pictures.inline(sight.image), caption=t("inspect.sees", size=size))
target, p = model.classes[sight.cam.target], sight.probabilities[sight.cam.target]
c2.image(pictures.inline(sight.overlay), caption=t("inspect.evidence", label=name[target], p=100 * p))
st.caption(browser.tr(browser.EXPLAIN["gradcam"]))

st.subheader(t("inspect.fool"))
st.caption(browser.tr(browser.EXPLAIN["adversarial"]))
views, chart = st.columns([3, 2])
c1, c2 = views.columns([3, 2], vertical_alignment="bottom")
eps = c1.slider(t("inspect.epsilon"), 0, 16, 4, key="inspect_eps")
attacks = {0: t("inspect.fgsm"), adversarial.PGD_STEPS: t("inspect.pgd", steps=adversarial.PGD_STEPS)}
steps = c2.radio(t("inspect.attack"), list(attacks), key="inspect_attack", horizontal=True, format_func=attacks.get)
fooled = models.fool(choice, model, image, eps, steps, before=sight.cam if pick is None else None)
b, a = fooled.before, fooled.after
was, now = name[model.classes[b.target]], name[model.classes[a.target]]
p, q = 100 * b.probabilities[b.target], 100 * a.probabilities[a.target]
views.markdown(t("inspect.fooled", before=was, p=p, after=now, q=q) if was != now
               else t("inspect.not_fooled", label=was, p=p, q=100 * a.probabilities[b.target]))
row, cams = views.columns(3), views.columns(3)
row[0].image(pictures.inline(fooled.original), caption=t("inspect.before", label=was, p=p))
row[1].image(pictures.inline(fooled.perturbation), caption=t("inspect.change", eps=eps))
row[2].image(pictures.inline(fooled.adversarial), caption=t("inspect.after", label=now, p=q))
cams[0].image(pictures.inline(fooled.overlay_before), caption=t("inspect.cam_before", label=was))
cams[2].image(pictures.inline(fooled.overlay_after), caption=t("inspect.cam_after", label=now))
if where == "test":
    accuracy, sampled = models.robustness(choice, model, ds), min(adversarial.SAMPLE, n)
    chart.plotly_chart(evalplots.robustness_figure(adversarial.EPSILONS, accuracy, sampled, browser.lang()),
                       key="robustness")
    chart.caption(browser.tr(browser.EXPLAIN["robustness"]))
else:
    chart.info(t("inspect.chart_needs_test"))

st.subheader(t("inspect.feature_maps"))
st.caption(browser.tr(browser.EXPLAIN["feature_maps"]))
cols = st.columns(3)
for k, (name, grid) in enumerate(sight.maps.items()):
    c, h, w = sight.shapes[name]
    channels = t("inspect.channels_first" if c > 64 else "inspect.channels", layer=name, channels=c, height=h, width=w)
    cols[k % 3].image(pictures.inline(grid), caption=channels)

st.subheader(t("inspect.filters"))
st.caption(browser.tr(browser.EXPLAIN["filters"]))
if sight.filters_fitted:
    st.caption(browser.tr(browser.EXPLAIN["filters_fitted"]))
st.image(pictures.inline(sight.filters), caption=t("inspect.patches"))
