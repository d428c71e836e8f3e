"""Evaluate: a trained model on the data set's test split: the confusion matrix, the accuracy of
each class, the test images of a cell (clicked, or chosen in two select boxes), and the test images it
gets wrong, the most confident mistakes first."""
import streamlit as st

from cnnlib import evalplots, evaluation
from ui import browser, models, pictures

CELL_IMAGES = 16   # at most this many images of one cell

browser.sidebar()
t, lang = browser.t, browser.lang()
st.title(t("page.evaluate"))
choice, model = models.pick_model("eval_model")
ds = browser.dataset_or_stop(browser.source())
if problem := models.mismatch(model, ds):
    st.warning(browser.tr(problem))
    st.stop()

report = models.evaluation(choice, model, ds)
names = list(browser.class_names(ds.classes).values())
c1, c2, c3 = st.columns(3)
c1.metric(t("plots.test_accuracy_title"), t("percent", value=100 * report.accuracy))
c2.metric(t("plots.test_loss_title"), browser.number(report.loss, ".3f"))
c3.metric(t("eval.mistakes"), t("eval.of", n=len(report.mistakes), total=len(ds.y_test)))
models.views_caption(model)

left, right = st.columns(2)
left.subheader(t("plots.confusion"))
left.caption(browser.tr(browser.EXPLAIN["confusion"]))
normalized = left.toggle(t("eval.shares"), key="eval_normalized")
confusion = evalplots.confusion_figure(report.confusion, names, normalized, lang, chosen=models.chosen_cell(len(names)))
models.clickable_chart(left, confusion, "confusion", len(names))
right.subheader(t("plots.per_class"))
right.caption(browser.tr(browser.EXPLAIN["per_class"]))
models.clickable_chart(right, evalplots.per_class_figure(report.per_class, names, report.accuracy, lang), "per_class",
                       len(names))

st.subheader(t("cells.title"))
st.caption(t("cells.explain"))
true, answer = models.cell_selectors(names)
tiles, more = evaluation.cell_tiles(report, ds, true, answer, CELL_IMAGES, names=names)
count = dict(n=len(tiles) + more, true=names[true])
st.caption(t("cells.count_wrong", **count) if answer is None else t("cells.count", answer=names[answer], **count))
if tiles:
    st.image([pictures.inline(image) for image, _ in tiles], caption=[caption for _, caption in tiles])
if more:
    st.caption(t("cells.more", n=more))

st.subheader(t("eval.most_confident"))
st.caption(browser.tr(browser.EXPLAIN["mistakes"]) + " " + t("eval.captions"))
if not report.mistakes:
    st.success(t("eval.no_mistakes"))
    st.stop()
most = min(64, len(report.mistakes))
n = st.slider(t("eval.how_many"), 1, most, min(16, most), key="eval_n") if most > 1 else 1
tiles = evaluation.mistakes(report, ds, n, names=names)
st.image([pictures.inline(image) for image, _ in tiles], caption=[caption for _, caption in tiles])
