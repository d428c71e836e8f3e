"""Evaluate: a trained model on the data set's test split: the confusion matrix, the accuracy of
each class, and the test images it gets wrong, the most confident mistakes first."""
import streamlit as st

import ui
from cnnlib import evalplots, predictor
from cnnlib.inspection import EXPLAIN

ui.sidebar()
st.title("Evaluate")
choice, model = ui.pick_model("eval_model")
ds = ui.dataset_or_stop(ui.source())
if problem := predictor.mismatch(model, ds):
    st.warning(problem)
    st.stop()

report = ui.evaluation(choice, model, ds)
c1, c2, c3 = st.columns(3)
c1.metric("Test accuracy", f"{100 * report.accuracy:.1f} %")
c2.metric("Test loss", f"{report.loss:.3f}")
c3.metric("Mistakes", f"{len(report.mistakes):,} of {len(ds.y_test):,}")
ui.views_caption(model)

left, right = st.columns(2)
left.subheader("Confusion matrix")
left.caption(EXPLAIN["confusion"])
normalized = left.toggle("Show each row as shares (each true class sums to 100 %)", key="eval_normalized")
left.plotly_chart(evalplots.confusion_figure(report.confusion, ds.classes, normalized), key="confusion")
right.subheader("Accuracy per class")
right.caption(EXPLAIN["per_class"])
right.plotly_chart(evalplots.per_class_figure(report.per_class, ds.classes, report.accuracy), key="per_class")

st.subheader("The most confident mistakes")
st.caption(EXPLAIN["mistakes"] + " Each caption reads: true class → the network's answer (its confidence).")
if not report.mistakes:
    st.success("No mistakes on the test split.")
    st.stop()
most = min(64, len(report.mistakes))
n = st.slider("How many to show", 1, most, min(16, most), key="eval_n") if most > 1 else 1
tiles = predictor.mistakes(report, ds, n)
st.image([image for image, _ in tiles], caption=[caption for _, caption in tiles], output_format="PNG")
