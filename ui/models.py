"""The models a page can use and what it does with them: the model choice (this session's run, the
shipped runs, every saved run), a prediction for an uploaded image, a model's evaluation on the test
split, Inspect's attack on one image and its robustness against epsilon, and Evaluate's clickable
charts. What costs seconds is kept: a saved run's results once for every session (the caches here),
this session's own run's in its session state until its weights change."""
from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import streamlit as st

from cnnlib import adversarial, evalplots, inference, memory, runs, words
from cnnlib.checkpoints import CheckpointError
from cnnlib.config import TTA_WORDS
from cnnlib.data import CIFAR10_CLASSES, Dataset
from cnnlib.evaluation import EvalReport
from cnnlib.runs import list_runs, pretrained_runs
from ui.browser import dataset, session_run, source, t, tr
from ui.shared import load_predictor, testing

T = TypeVar("T")


# --- the model choice ---------------------------------------------------------------------------

def model_choices() -> dict[str, str | inference.Predictor]:
    """Models to use: this session's ended run first, then the shipped (pretrained) runs, then every
    saved run; so the first is this session's own model if it has one, else a pretrained one. Each
    label is unique: two runs that read alike are told apart by their folders' names."""
    lab = session_run()
    own = lab.predictor()       # before the history: if the run is saved meanwhile, the history says so
    h = lab.snapshot()
    mine = h.checkpoint if h else ""
    choices: dict[str, str | inference.Predictor] = {}

    def add(label: str, choice: str | inference.Predictor) -> None:
        if label in choices and isinstance(choice, str):
            label = f"{label} ({Path(choice).name})"
        choices[label] = choice

    if h is not None and not mine and own:
        add(t("ui.this_run_unsaved") if h.ended else t("ui.this_run_training", epoch=len(h.epochs)), own)
    saved = list_runs()
    for folder, meta in saved:
        if str(folder) == mine:
            add(t("ui.this_run_saved", label=runs.run_label(meta)), str(folder))
    for folder, meta in pretrained_runs():
        add(pretrained_label(folder, meta), str(folder))
    for folder, meta in saved:
        if str(folder) != mine:
            add(tr(runs.run_label(meta)), str(folder))
    return choices


def pretrained_label(folder: Path, meta: dict) -> str:
    """How a shipped run is listed: "pretrained: <its name>"."""
    return t("ui.pretrained", name=meta.get("name") or folder.name)


def pick_model(key: str) -> tuple[str | inference.Predictor, inference.Predictor]:
    """The model selectbox (this session's run, pretrained and saved runs), or a message and the end
    of the page's run when there is none. Returns the choice and its loaded model."""
    choices = model_choices()
    if session_run().busy:
        st.caption(t("ui.still_training"))
    if not choices:
        st.info(t("ui.no_model"))
        st.page_link("pages/train.py", label=t("ui.go_to_train"), icon=":material/monitoring:")
        st.stop()
    label = st.selectbox(t("ui.model"), list(choices), key=key, help=t("ui.model_help"))
    return choices[label], predictor_or_stop(choices[label])


def predictor_or_stop(choice: str | inference.Predictor) -> inference.Predictor:
    if isinstance(choice, inference.Predictor):
        return choice
    try:
        return _predictor(choice)
    except CheckpointError as e:
        st.error(t("ui.saved_run_unusable", problem=words.message_of(e)))
        st.stop()


def _predictor(folder: str) -> inference.Predictor:
    with st.spinner(t("ui.loading_model")):
        return load_predictor(folder)


# --- a model on this data set, a prediction for an image ------------------------------------------

def mismatch(model: inference.Predictor, ds: Dataset) -> str:
    """What a page says when `model` cannot be used on `ds`'s images (inference.mismatch's reason: other
    classes, or another image size), with what to choose in the sidebar instead; "" when it can."""
    reason = inference.mismatch(model, ds)
    if reason == "classes":
        where = "mismatch.where_cifar10" if tuple(model.classes) == CIFAR10_CLASSES else "mismatch.where_own"
        return words.Message("mismatch.classes", known=len(model.classes),
                             classes=words.Parts(map(words.class_message, model.classes), ", "), data=ds.name,
                             has=len(ds.classes), data_classes=words.Parts(map(words.class_message, ds.classes), ", "),
                             where=words.Message(where))
    if reason == "size":
        return words.Message("mismatch.size", size=model.image_size, data=ds.name, has=ds.image_size)
    return ""


def views_caption(model: inference.Predictor) -> None:
    """Say, under a result, that it averages the test-time views the model's run was tested with."""
    if model.tta != "none":
        st.caption(t("ui.views", views=TTA_WORDS[model.tta]))


def prediction(model: inference.Predictor, upload) -> inference.Prediction:
    """`inference.predict` of an uploaded file over every class, kept per file for the model it was
    made with, so that reruns (the "how many classes" slider, another upload) do not decode the
    image and run the network again. Raises ImageError as inference.predict does."""
    cache = st.session_state.setdefault("predictions", {})
    made_with, result = cache.get(upload.file_id, (None, None))
    if made_with is None or made_with() is not model.model:
        result = inference.predict(model, upload.getvalue(), len(model.classes))
        # the model is known by a weak reference: a session's predictions do not keep a network alive
        # that the models' cache or the session's run has let go (the tutorial's CNN: 17 MB)
        cache[upload.file_id] = (weakref.ref(model.model), result)
        memory.release_memory()             # a large photo's full decoding goes back to the system at once
    return result


def forget_predictions(uploads: list) -> None:
    """Forget the kept predictions of files no longer on the page (a retaken photo, a removed upload),
    so that a session that takes photo after photo keeps one, not all of them."""
    cache = st.session_state.get("predictions", {})
    keep = {u.file_id for u in uploads}
    for file_id in [i for i in cache if i not in keep]:
        del cache[file_id]


# --- a test on the test split, an attack -------------------------------------------------------

def evaluation(choice: str | inference.Predictor, model: inference.Predictor, ds: Dataset) -> EvalReport:
    """The model's evaluation on the data set's test split, kept so that reruns, e.g. the toggles,
    cost nothing: a saved run's in the cache every session shares, this session's own run's here."""
    if isinstance(choice, str):
        return _saved_evaluation(choice, source(), len(ds.y_test))

    def test() -> EvalReport:
        with st.spinner(t("ui.testing_images", n=len(ds.y_test))):
            return _test(model, ds)
    return _for_this_run("evaluation", ds, test)


def _test(model: inference.Predictor, ds: Dataset) -> EvalReport:
    with testing():
        report = inference.evaluate(model, ds)
        memory.release_memory()              # the test's activations go back to the system
    return report


@st.cache_resource(show_spinner=False, max_entries=16)
def _evaluate_saved(folder: str, source: str, n_test: int) -> EvalReport:
    """A saved run's evaluation on a data set's test split, shared by every session: a class that
    opens Evaluate on the same shipped model tests it once, not once per student (read-only)."""
    return _test(_predictor(folder), dataset(source))


def _saved_evaluation(folder: str, source: str, n_test: int) -> EvalReport:
    with st.spinner(t("ui.testing_model")):
        return _evaluate_saved(folder, source, n_test)


def _for_this_run(slot: str, ds: Dataset, compute: Callable[[], T]) -> T:
    """What `compute` gives for this session's own run on the data set `ds`, kept in the session under
    `slot` until the run's weights change: the run is known by when it started and which weights it
    has (an epoch's copy while it trains, the final ones once it ended; pausing changes neither)."""
    return _kept(slot, (_run_key(), source(), len(ds.y_test)), compute)


def _run_key() -> str:
    """This session's own run as far as its weights go: when it started and which weights it has (an
    epoch's copy while it trains, the final ones once it ended; pausing changes neither)."""
    run = session_run().snapshot()
    return f"{run.started_at}:{len(run.epochs)}:{run.ended}" if run else ""


def _kept(slot: str, key, compute: Callable[[], T]) -> T:
    """`compute()`, kept in the session under `slot` (one at a time) until `key` changes."""
    kept = st.session_state.get(slot)
    if kept is None or kept[0] != key:
        kept = st.session_state[slot] = (key, compute())
    return kept[1]


def fool(choice: str | inference.Predictor, model: inference.Predictor, image, eps: int, steps: int,
         before=None) -> inference.Fooled:
    """Inspect's attack on `image` (`eps` levels of 255, `steps` of PGD or 0 for FGSM), kept for the
    session until the model, the image, epsilon or the attack change: a rerun for anything else (the
    class Grad-CAM shows, a toggle) does not attack again (10 steps of PGD take a second or two)."""
    model_key = choice if isinstance(choice, str) else _run_key()
    key = (model_key, hashlib.sha1(image.numpy().tobytes()).hexdigest(), eps, steps)
    return _kept("fooled", key, lambda: inference.fool(model, image, eps / 255, steps, before=before))


def robustness(choice: str | inference.Predictor, model: inference.Predictor, ds: Dataset) -> list[float]:
    """FGSM's test accuracy at each adversarial.EPSILONS on a fixed sample of the test split, kept as
    `evaluation` keeps its report: a saved run's for every session, this session's own run's here."""
    with st.spinner(t("inspect.attacking", n=min(adversarial.SAMPLE, len(ds.y_test)))):
        if isinstance(choice, str):
            return _robustness_saved(choice, source(), len(ds.y_test))
        return _for_this_run("robustness", ds, lambda: _attack_sample(model, ds))


@st.cache_data(show_spinner=False, max_entries=16)
def _robustness_saved(folder: str, source: str, n_test: int) -> list[float]:
    """A saved run's accuracy against epsilon on a data set's test sample, shared by every session: a
    class that opens Inspect on the same shipped model attacks it once, not once per student."""
    return _attack_sample(load_predictor(folder), dataset(source))


def _attack_sample(model: inference.Predictor, ds: Dataset) -> list[float]:
    with testing():                        # one test or attack of a test sample at a time on the server
        accuracy = inference.robustness(model, ds)
        memory.release_memory()
    return accuracy


# --- Evaluate's clickable charts ---------------------------------------------------------------

# the selectors of Evaluate's "mistakes by cell": a true class, and an answer (a class, or K: any wrong one)
CELL_TRUE, CELL_ANSWER = "cell_true", "cell_answer"


def _take_click(chart: str, num_classes: int) -> None:
    """A click on a cell of the confusion matrix or a bar of the per-class chart moves the selectors there."""
    cell = evalplots.selected_cell((st.session_state.get(chart) or {}).get("selection"), chart, num_classes)
    if cell is not None:
        st.session_state[CELL_TRUE] = cell[0]
        st.session_state[CELL_ANSWER] = num_classes if cell[1] is None else cell[1]


def clickable_chart(where, figure, chart: str, num_classes: int) -> None:
    """An Evaluate chart (`chart`: "confusion" or "per_class", its key too) whose cells or bars choose
    the images that `cell_selectors` shows."""
    where.plotly_chart(figure, key=chart, on_select=functools.partial(_take_click, chart, num_classes),
                       selection_mode=("points",))


def chosen_cell(num_classes: int) -> tuple[int, int | None]:
    """The cell the selectors below the charts hold (a click's, already taken): (true class, answer),
    answer None for any wrong one; at first, the first class's mistakes. The confusion matrix outlines it."""
    for key, top in ((CELL_TRUE, num_classes), (CELL_ANSWER, num_classes + 1)):
        if st.session_state.get(key) not in range(top):     # another data set's classes: start again
            st.session_state.pop(key, None)
    answer = st.session_state.setdefault(CELL_ANSWER, num_classes)
    return st.session_state.get(CELL_TRUE, 0), None if answer == num_classes else answer


def cell_selectors(names: list[str]) -> tuple[int, int | None]:
    """Two select boxes, a true class and the network's answer (None: any wrong answer), kept in step
    with the clicks on the charts; for keyboards."""
    k = len(names)
    chosen_cell(k)                                           # the selectors start from the cell chosen
    labels = [*names, t("cells.any_wrong")]    # said now: a format_func may be called after the script run
    left, right = st.columns(2)
    true = left.selectbox(t("cells.true"), range(k), format_func=labels.__getitem__, key=CELL_TRUE)
    answer = right.selectbox(t("cells.answer"), range(k + 1), format_func=labels.__getitem__, key=CELL_ANSWER)
    return true, None if answer == k else answer
