"""Streamlit glue shared by the pages: what is cached for the whole process (the data sets, the
training slots), what belongs to one browser session (its run, its data source, its language), and the
training-settings widgets. Computation stays in cnnlib; this module only wires it to widgets. Every
word a page shows comes from the catalogue (cnnlib.words) in the session's language: `t(key)` for the
page's own words, `tr(text)` for a sentence cnnlib handed up (a words.Message)."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnlib import (adversarial, evalplots, export, follow, inference, links, models, runfile, runs, session, sources,
                    store, train, words)
from cnnlib import guess as guessing
from cnnlib.checkpoints import META, CheckpointError, bundle_bytes
from cnnlib.config import GPU_PRESETS, PRESETS, SETTINGS, TTA_WORDS, TrainConfig, cpu_minutes, facts, groups
from cnnlib.data import CIFAR10_CLASSES, Dataset, DataError
from cnnlib.evaluation import EvalReport
from cnnlib.files import DiskFull, slug
from cnnlib.history import History
from cnnlib.models import ARCHITECTURES
from cnnlib.runner import Slots, default_slots, memory_problem
from cnnlib.runs import list_runs, pretrained_runs
from cnnlib.words import LANGUAGE_NAMES, LANGUAGES

T = TypeVar("T")


# --- shared by every session ---------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def slots() -> Slots:
    """The process-wide cap on concurrent trainings (CNNLAB_MAX_RUNS, or one per two cores)."""
    return Slots(default_slots())


# The caches below show no spinner of their own (its words would be fixed in one language): their
# callers wrap them in st.spinner, which shows only when a call takes over half a second.
@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(source: str) -> Dataset:
    return sources.load_source(source)  # read-only from here on: every session shares these tensors


def dataset(source: str) -> Dataset:
    """The data set of a source, loaded once for the whole server; raises DataError."""
    with st.spinner(t("ui.loading_data")):
        return _dataset(source)


def use_runs_storage() -> None:
    """Hand the [runs_storage] section of Streamlit's secrets (key, secret, endpoint_url, ...: fsspec's
    storage options) to cnnlib.store, when CNNLAB_RUNS names object storage. No secrets file, or no
    such section: the environment's credentials (AWS_ACCESS_KEY_ID, ...) alone."""
    if not store.is_url(runs.location()):
        return
    try:
        options = st.secrets["runs_storage"].to_dict() if "runs_storage" in st.secrets else {}
    except Exception:  # noqa: BLE001 - no secrets file, or one that cannot be read: Streamlit logs that itself
        options = {}
    store.use_options(options)


def store_warning() -> None:
    """While the runs store fails, say so: runs saved meanwhile are kept on this server only."""
    if problem := runs.store_status():
        st.warning(tr(problem))


def load_in_background(source: str) -> None:
    """Start loading a data set for the whole server in a thread of its own, so that it is ready (or
    nearly) when a page first asks for it: a fresh server decodes CIFAR-10's compact copy in a few
    seconds while the first student reads Home. Errors are left for the page that uses it to say."""
    def load() -> None:
        with contextlib.suppress(Exception):
            _dataset(source)
    threading.Thread(target=load, name="cnnlab-load-data", daemon=True).start()


def forget_data_sets() -> None:
    """Load every data set again on its next use (CIFAR-10's original files have replaced its copy)."""
    _dataset.clear()


def dataset_or_stop(source: str) -> Dataset:
    """The data set, or a clear message and the end of this page's run."""
    try:
        return dataset(source)
    except DataError as e:
        st.error(t("ui.data_unusable", data=sources.source_name(source), problem=words.message_of(e)))
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_predictor(folder: str) -> inference.Predictor:
    return inference.predictor_from_folder(folder)


def _predictor(folder: str) -> inference.Predictor:
    with st.spinner(t("ui.loading_model")):
        return _load_predictor(folder)


@st.cache_resource(show_spinner=False)
def _testing() -> threading.Lock:
    """One test of a model on a test split at a time, for the whole server: each takes a hundred MB or
    more while it runs, and a page that changes model mid-test starts the next before the first has
    ended (seen: two at once, 1.36 GB on the class bench); the others wait their turn."""
    return threading.Lock()


def _test(model: inference.Predictor, ds: Dataset) -> EvalReport:
    with _testing():
        report = inference.evaluate(model, ds)
        train.release_memory()              # the test's activations go back to the system
    return report


@st.cache_resource(show_spinner=False, max_entries=16)
def _evaluate_saved(folder: str, source: str, n_test: int) -> EvalReport:
    """A saved run's evaluation on a data set's test split, shared by every session: a class that
    opens Evaluate on the same shipped model tests it once, not once per student (read-only)."""
    return _test(_predictor(folder), dataset(source))


def _saved_evaluation(folder: str, source: str, n_test: int) -> EvalReport:
    with st.spinner(t("ui.testing_model")):
        return _evaluate_saved(folder, source, n_test)


# --- one browser session -------------------------------------------------------------------------

TOKEN = "session"                      # the query parameter that names a browser session's run
_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{12,64}")
REAP_EVERY = 5.0                       # seconds between looks for sessions whose pages are gone


@st.cache_resource(show_spinner=False)
def sessions() -> session.Sessions:
    """Every browser session's run on this server, by the token in its page's address. A run stops
    (and is saved) only when none of its pages has been connected for the server's
    disconnected-session time-out: a dropped connection or a reload finds it again."""
    registry = session.Sessions(ttl=float(st.get_option("server.disconnectedSessionTTL")))
    if Runtime.exists():               # a real server (AppTest has none, and no page ever disconnects there)
        runtime = Runtime.instance()
        threading.Thread(target=_reap_forever, args=(registry, runtime.is_active_session), daemon=True,
                         name="cnnlab-sessions").start()
    return registry


def _reap_forever(registry: session.Sessions, connected: Callable[[str], bool]) -> None:
    while True:
        time.sleep(REAP_EVERY)
        registry.reap(connected)
        # What the sessions' pages freed (figures, decoded uploads, tests of a model) goes back to the
        # system too: the server keeps freed buffers for the training's sake, and a trim every few
        # seconds costs a run a step's worth of page faults (bench/bench_malloc.py, BENCHMARKS.md §6).
        train.release_memory()


def token() -> str:
    """This browser session's token: from the page's address if it has a well-formed one (a reload, a
    second tab), else a new random one, written into the address so that a reload keeps it."""
    mine = st.session_state.get("_token")
    if mine is None:
        given = st.query_params.get(TOKEN, "")
        mine = st.session_state["_token"] = given if _TOKEN_FORM.fullmatch(given) else secrets.token_urlsafe(16)
    if st.query_params.get(TOKEN) != mine:   # a page change may drop it from the address
        st.query_params[TOKEN] = mine
    return mine


def session_run() -> session.SessionRun:
    """This browser session's run, data set choice and settings (shared by its tabs and reloads)."""
    ctx = get_script_run_ctx()
    return sessions().attach(token(), ctx.session_id if ctx else "")


def lang() -> str:
    """This session's language: chosen in the sidebar, else the link's (?lang=es), else the browser's
    (st.context.locale, e.g. "es-ES"); English outside a page's run (a test calling ui directly). Worked
    out once per run (`forget_lang`): a page asks for it a hundred times, and each answer took 70 µs."""
    if get_script_run_ctx() is None:
        return "en"
    if (known := st.session_state.get("_lang_now")) is not None:
        return known
    if following():              # a follower has no session of its own: the link's language, else the browser's
        given = st.query_params.get("lang", "")
        known = given if given in LANGUAGES else words.language_of(st.context.locale)
    else:
        mine = session_run()
        known = mine.lang or mine.setup.lang or words.language_of(st.context.locale)
    st.session_state["_lang_now"] = known
    return known


def forget_lang() -> None:
    """Work the language out again at its next use: at the start of each run (app.py; another tab of the
    session may have chosen another), and when the sidebar or a new link changes it."""
    st.session_state.pop("_lang_now", None)


def _choose_lang(mine: session.SessionRun) -> None:
    mine.lang = st.session_state["_lang"]
    forget_lang()


# What each view of the pages shows and how to read it, in two sentences (the catalogue's explain.<view>)
EXPLAIN = {view: words.Message(f"explain.{view}") for view in (
    "confusion", "per_class", "mistakes", "feature_maps", "filters", "filters_fitted", "gradcam", "compare")}


def t(key: str, **params) -> str:
    """The catalogue's sentence `key` in this session's language, its placeholders filled in."""
    return words.say(key, lang(), **params)


def tr(text) -> str:
    """A sentence cnnlib handed up (a words.Message, or a known name) in this session's language; any
    other text as it is."""
    return words.tr(text, lang())


def tr_error(e: BaseException) -> str:
    """What an exception says, in this session's language when cnnlib raised it with a words.Message."""
    return tr(words.message_of(e))


def class_names(classes) -> dict[str, str]:
    """Each class as this session's language shows it (the built-in data sets' classes translated)."""
    language = lang()
    return {c: words.class_name(c, language) for c in classes}


def number(value: float, spec: str) -> str:
    """A number a page shows on its own (a metric), written as this session's language writes numbers."""
    return words.number(value, spec, lang())


@st.cache_resource(show_spinner=False)
def follow_board() -> follow.Board:
    """Every run that can be followed on this server, and the one chart per run its followers share."""
    return follow.Board(sessions(), list_runs)


def following() -> str:
    """The follow id this page was opened with (?follow=<id>), or ""."""
    return st.query_params.get("follow", "")


def app_url(params: dict[str, str]) -> str:
    """The app's own address (its first page, whatever page this is) with `params` as its query."""
    url = st.context.url or "/"
    parts = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)
    base = parts[0] if len(parts) == 2 and parts[1] in links.PAGES else url.split("?", 1)[0].rstrip("/")
    return links.link(base + "/", params)


def open_link() -> links.Setup:
    """This session's setup from its link (cnnlib.links): read once per browser session; a link that
    sets something new (not just a reload of the same one) sets the data set and the Train page's
    settings, and what it fixes or hides stays fixed for the session. Returns the session's setup."""
    mine = session_run()
    if "_link_read" not in st.session_state:
        st.session_state["_link_read"] = True
        given = links.parse(st.query_params.to_dict())
        if not given.empty and given != mine.setup:
            mine.setup = given
            if given.lang:
                mine.lang = None                   # the new link's language, until the sidebar says otherwise
            forget_lang()
            if given.data:
                mine.source = given.data
            mine.settings = {}                     # the Train page starts from the link's settings
            for key in [k for k in st.session_state if str(k).startswith("cfg_")] + ["preset"]:
                st.session_state.pop(key, None)
        if given.problems:
            st.session_state["_link_problems"] = given.problems
    return mine.setup


def link_problems() -> None:
    """Say, once, what a link held that could not be used (each named; the rest was applied)."""
    if problems := st.session_state.pop("_link_problems", None):
        st.warning(t("ui.link_problems") + "\n\n" + "\n".join(f"- {tr(p)}" for p in problems))


def sidebar() -> None:
    """The language and the data-set choice shared by all pages of this session, and the server's
    training slots. Each page calls this first (so it also works when a page runs on its own, as in
    tests). The choices live in the session's SessionRun: a widget's own state is dropped on a page change."""
    mine = session_run()
    st.session_state["_lang"] = lang()
    st.sidebar.radio(t("ui.language"), LANGUAGES, key="_lang", format_func=LANGUAGE_NAMES.get, horizontal=True,
                     on_change=_choose_lang, args=(mine,))
    streamlit_words()
    link_problems()
    default = sources.default_source()
    choices = list(dict.fromkeys([default, "builtin", *mine.uploads]))
    if mine.source not in choices:
        mine.source = default
    st.session_state["_source"] = mine.source
    # a format_func is called outside the page's run too (AppTest): each gets its words in advance
    names = {s: tr(sources.source_name(s)) for s in choices}
    st.sidebar.radio(t("ui.data_set"), choices, key="_source", format_func=names.get,
                     on_change=lambda: setattr(mine, "source", st.session_state["_source"]), help=t("ui.data_set_help"))
    used = slots()
    st.sidebar.caption(t("ui.slots_waiting" if used.waiting else "ui.slots", used=used.in_use, limit=used.limit,
                         waiting=used.waiting))


# Streamlit's file uploader shows words of its own (its button, its size limit), in English whatever the
# page's language; in another language the catalogue's replace them, through CSS on Streamlit's test ids.
_UPLOADER_CSS = """<style>
[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer] p {{display: none}}
[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer]::after {{content: "{button}"}}
[data-testid=stFileUploaderDropzoneInstructions] span {{display: none}}
[data-testid=stFileUploaderDropzoneInstructions] div::after {{content: "{limit}"; font-size: 0.875rem; opacity: 0.6}}
</style>"""


def streamlit_words() -> None:
    """Streamlit's own words on this page in this session's language, where it lets them be changed."""
    if lang() != "en":
        st.sidebar.html(_UPLOADER_CSS.format(button=t("ui.uploader_button"),
                                             limit=t("ui.uploader_limit", mb=st.get_option("server.maxUploadSize"))))


def source() -> str:
    """The data source chosen in the sidebar (shared by all pages of this session)."""
    return session_run().source or sources.default_source()


def choose_source(value: str) -> None:
    """Use another data source in this session (e.g. after an upload), and draw the page again."""
    session_run().source = value
    st.rerun()


def queue_words(place: int, wait: float | None) -> str:
    """What a run waiting for a training slot is told: its place in the line and the expected wait."""
    where = "" if not place else t("ui.queue_next") if place == 1 else t("ui.queue_number", place=place)
    when = "" if not place else t("ui.queue_no_estimate") if wait is None else \
        t("ui.queue_wait", time=session.duration(max(wait, 1)))
    return t("ui.queue", place=where, wait=when)


def saved_name(folder: str) -> str:
    """How a saved run is named on the page: its folder's name, never the server's path to it."""
    return Path(folder).name


def continue_control(folder: str, meta: dict | None = None, here: bool = False) -> None:
    """Continue training for the saved run in `folder` (its checked run.json `meta`, read if not
    given): the epochs to add and the button (`continue_run`); `here` on Train, which it redraws."""
    if meta is None:
        try:
            meta = runfile.read(Path(folder) / META, Path(folder).name)
        except CheckpointError as e:
            st.error(t("continue.refused", problem=tr_error(e)))
            return
    busy = session_run().busy
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    # unbounded, as the settings' boxes: runs.continuation names a count out of range instead of the box
    # quietly keeping its last good value
    more = c1.number_input(t("continue.epochs"), value=5, step=1, key="continue_epochs")
    if c2.button(t("continue.start"), key="continue", disabled=busy,
                 help=t("continue.busy") if busy else t("continue.explain")):
        continue_run(folder, meta, int(more), here)


def continue_run(folder: str, meta: dict, more: int, here: bool = False) -> None:
    """Start, in this session's runner, a run that goes on from the saved run in `folder` (its checked
    run.json `meta`) for `more` epochs, on the session's data set, and open Train to watch it (`here`:
    on Train, draw it again); a run already training here, other data or a bad file are said on this
    page instead."""
    lab = session_run()
    if lab.busy:
        st.warning(t("continue.busy"))
        return
    ds = dataset_or_stop(source())
    try:
        cfg = runs.continuation(folder, meta, more, ds)
        if problem := memory_problem(cfg, len(ds.classes), ds.image_size):
            raise ValueError(problem)
        lab.start(cfg, ds, slots(), name=t("continue.name", name=meta.get("name") or Path(folder).name),
                  parent=folder)
    except (ValueError, RuntimeError) as e:
        st.error(t("continue.refused", problem=tr_error(e)))
        return
    if here:
        st.rerun()
    st.switch_page("pages/train.py")


def unsaved_run(run: session.SessionRun, h: History) -> None:
    """A run that ended but could not be saved (a full disk): say so, and offer it for download."""
    st.error(tr(h.save_error))
    st.caption(t("ui.unsaved_kept"))
    st.download_button(t("ui.download_unsaved"),
                       lambda: bundle_bytes(run.runner.model, runs.history_meta(h), train_state=h.resume),
                       key="download_unsaved",
                       file_name=f"{slug(t('runs.default_name', model=h.config.model, data=h.dataset))}.zip",
                       mime="application/zip",
                       on_click="ignore", type="primary")


def model_choices() -> dict[str, str | inference.Predictor]:
    """Models to use: this session's ended run first, then the shipped (pretrained) runs, then every
    saved run; so the first is this session's own model if it has one, else a pretrained one. Each
    label is unique: two runs that read alike are told apart by their folders' names."""
    run = session_run().runner
    h = run.snapshot() if run else None
    mine = h.checkpoint if h else ""
    choices: dict[str, str | inference.Predictor] = {}

    def add(label: str, choice: str | inference.Predictor) -> None:
        if label in choices and isinstance(choice, str):
            label = f"{label} ({Path(choice).name})"
        choices[label] = choice

    if run is not None and not mine and (p := inference.predictor_from_runner(run)):
        add(t("ui.this_run_unsaved") if h.ended else t("ui.this_run_training", epoch=len(h.epochs)), p)
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


def keep_upload(upload) -> str:
    """Keep an uploaded image-folder zip on the server and load it (raises DataError if it cannot be
    used, and then it is not kept, or DiskFull). Uploads that no session on the server offers are
    deleted, least recently used first, beyond the server's limit (CNNLAB_UPLOADS_MB)."""
    in_use = {path for run in sessions().active() for path in run.uploads}
    path, _ = sources.add_upload(upload.getvalue(), upload.name, dataset, in_use=in_use)
    return path


def once_per_upload(upload, use: Callable[[], T]) -> tuple[T | None, str]:
    """`use()` the first time the page sees this uploaded file, and its outcome again after that:
    (result, "") or (None, why it cannot be used). The uploader keeps a file across reruns; this
    keeps a big zip from being hashed, unpacked and checked again on every click. The reason is kept
    as cnnlib said it (a words.Message) and said here in the session's language."""
    seen = st.session_state.setdefault("upload_outcomes", {})
    if upload.file_id not in seen:
        try:
            seen[upload.file_id] = (use(), "")
        except (DataError, CheckpointError, DiskFull) as e:
            seen[upload.file_id] = (None, words.message_of(e))
    result, problem = seen[upload.file_id]
    return result, tr(problem)


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
    if made_with is not model.model:
        result = inference.predict(model, upload.getvalue(), len(model.classes))
        cache[upload.file_id] = (model.model, result)
        train.release_memory()             # a large photo's full decoding goes back to the system at once
    return result


def forget_predictions(uploads: list) -> None:
    """Forget the kept predictions of files no longer on the page (a retaken photo, a removed upload),
    so that a session that takes photo after photo keeps one, not all of them."""
    cache = st.session_state.get("predictions", {})
    keep = {u.file_id for u in uploads}
    for file_id in [i for i in cache if i not in keep]:
        del cache[file_id]


def use_camera(key: str) -> bool:
    """An Upload / Camera choice; True when the student chose the camera. The camera widget is drawn
    only then, so that the browser asks for the camera only when the student wants it."""
    said = {"upload": t("camera.upload"), "camera": t("camera.camera")}
    return st.radio(t("camera.from"), list(said), key=key, horizontal=True, format_func=said.get) == "camera"


def photo(key: str, size: int):
    """The camera's widget with what it is for; the photo taken (an uploaded file, checked and loaded
    as any upload is), or None before one is taken."""
    st.caption(t("camera.explain", size=size))
    return st.camera_input(t("camera.take"), key=key)


def guess_form(disabled: bool = False) -> tuple[guessing.Guess, str]:
    """Guess first: the student's optional guess of how the run will go, before Start, and what is wrong
    with it ("" when nothing). The box takes any number, as the settings' do: one out of range is named
    under it (and Start waits), not silently swapped for the last good one, as a bounded box would."""
    gaps = {g: t(f"guess.{g}") for g in guessing.GAPS}
    with st.expander(t("guess.title")):
        st.caption(t("guess.explain"))
        c1, c2 = st.columns(2)
        accuracy = c1.number_input(t("guess.accuracy"), value=None, step=1.0, format="%.0f", key="guess_acc",
                                   disabled=disabled)
        gap = c2.radio(t("guess.gap"), list(gaps), index=None, key="guess_gap", format_func=gaps.get,
                       horizontal=True, disabled=disabled)
        try:
            return guessing.Guess(accuracy, gap), ""
        except ValueError as e:
            st.error(tr_error(e))
            return guessing.Guess(), tr_error(e)


def guess_result(guess, epochs: list, key: str) -> None:
    """A run's guess beside what happened, as a small table; nothing when no guess was made."""
    if rows := guessing.compare(guess, epochs):
        st.markdown(f"**{t('guess.heading')}**")
        table([{t(f"guess.{c}"): tr(r[c]) for c in ("what", "guessed", "happened")} for r in rows], key=key)


def evaluation(choice: str | inference.Predictor, model: inference.Predictor, ds: Dataset) -> EvalReport:
    """The model's evaluation on the data set's test split, kept so that reruns, e.g. the toggles,
    cost nothing: a saved run's in the cache every session shares, this session's own run's here."""
    if isinstance(choice, str):
        return _saved_evaluation(choice, source(), len(ds.y_test))

    def test() -> EvalReport:
        with st.spinner(t("ui.testing_images", n=len(ds.y_test))):
            return _test(model, ds)
    return _for_this_run("evaluation", ds, test)


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


@st.cache_data(show_spinner=False, max_entries=16)
def _robustness_saved(folder: str, source: str, n_test: int) -> list[float]:
    """A saved run's accuracy against epsilon on a data set's test sample, shared by every session: a
    class that opens Inspect on the same shipped model attacks it once, not once per student."""
    return _attack_sample(_load_predictor(folder), dataset(source))


def _attack_sample(model: inference.Predictor, ds: Dataset) -> list[float]:
    with _testing():                        # one test or attack of a test sample at a time on the server
        accuracy = inference.robustness(model, ds)
        train.release_memory()
    return accuracy


def robustness(choice: str | inference.Predictor, model: inference.Predictor, ds: Dataset) -> list[float]:
    """FGSM's test accuracy at each adversarial.EPSILONS on a fixed sample of the test split, kept as
    `evaluation` keeps its report: a saved run's for every session, this session's own run's here."""
    with st.spinner(t("inspect.attacking", n=min(adversarial.SAMPLE, len(ds.y_test)))):
        if isinstance(choice, str):
            return _robustness_saved(choice, source(), len(ds.y_test))
        return _for_this_run("robustness", ds, lambda: _attack_sample(model, ds))


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


def cell_selectors(names: list[str]) -> tuple[int, int | None]:
    """Two select boxes, a true class and the network's answer (None: any wrong answer), kept in step
    with the clicks on the charts; for keyboards."""
    k = len(names)
    for key, top in ((CELL_TRUE, k), (CELL_ANSWER, k + 1)):
        if st.session_state.get(key) not in range(top):     # another data set's classes: start again
            st.session_state.pop(key, None)
    st.session_state.setdefault(CELL_ANSWER, k)
    labels = [*names, t("cells.any_wrong")]    # said now: a format_func may be called after the script run
    left, right = st.columns(2)
    true = left.selectbox(t("cells.true"), range(k), format_func=labels.__getitem__, key=CELL_TRUE)
    answer = right.selectbox(t("cells.answer"), range(k + 1), format_func=labels.__getitem__, key=CELL_ANSWER)
    return true, None if answer == k else answer


@st.cache_data(show_spinner=False, max_entries=32)
def _layer_table(model_name: str, num_classes: int, image_size: int) -> tuple[list[dict], int, int]:
    return models.layer_table(model_name, num_classes, image_size)


def architecture(cfg: TrainConfig, source: str) -> str:
    """The layer table of the config's network built for the data set's image size and classes; returns
    why it does not fit them or this server's memory ("" when it does, or when the data set cannot be
    loaded: Start says why)."""
    model = cfg.model
    try:
        ds = dataset(source)
    except DataError:
        return ""
    try:
        rows, total, learned = _layer_table(model, len(ds.classes), ds.image_size)
    except (ValueError, RuntimeError) as e:
        return t("ui.misfit", problem=words.message_of(e), data=ds.name, size=ds.image_size)
    st.markdown(t("ui.layers_learned" if learned < total else "ui.layers", model=model,
                  about=ARCHITECTURES[model][0], data=ds.name, classes=len(ds.classes), size=ds.image_size,
                  total=total, learned=learned))
    columns = {name: t(f"ui.column.{name.replace(' ', '_')}") for name in rows[0]} if rows else {}
    table([{columns[k]: v for k, v in row.items()} for row in rows], key="layers")
    return tr(memory_problem(cfg, len(ds.classes), ds.image_size))


def table(rows: list[dict], percent: tuple[str, ...] = (), key: str = "") -> None:
    """Rows of a small table (the layers of a network, runs side by side) as a Markdown table: whole
    numbers with thousands separators, `percent` columns (0..1) in per cent. (st.dataframe would do,
    but it imports pandas, 67 MB that a class server would carry for two small tables.)"""
    if not rows:
        return
    columns = list(dict.fromkeys(c for row in rows for c in row))
    language = lang()

    def cell(column: str, value) -> str:      # numbers written as the session's language writes them
        if value is None:
            return ""
        if column in percent and isinstance(value, (int, float)):
            return words.say("percent", language, value=100 * value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value).replace("|", "\\|").replace("\n", " ")
        return words.number(value, "," if isinstance(value, int) else ",.6g", language)

    numeric = {c for c in columns if all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows)}
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(cell(c, row.get(c)) for c in columns) + " |" for row in rows]
    with st.container(key=key or None):
        st.markdown("\n".join(lines))


# --- training settings -----------------------------------------------------------------------------

# Each setting is a TrainConfig field that names its group on the page (config.SETTINGS); what it allows,
# when it has an effect and how it is drawn are its config.facts(). What its widget says is in the
# catalogue under its name: label.<field>, followed by the field's own name in brackets, as the command line
# and the error messages use it; help.<field> (the command line's help too); and, for the less familiar
# settings, what they are for in a student's words (why.<field>).


def _fixed() -> dict:
    """The settings this session's link fixes (locked or hidden), with the values it fixes them at."""
    setup = session_run().setup
    if not setup.fixed:
        return {}
    cfg = setup.config()
    return {name: getattr(cfg, name) for name in setup.fixed if name in SETTINGS}


def fixed_by_link(name: str) -> bool:
    return name in session_run().setup.fixed


def _apply_preset() -> None:
    cfg = PRESETS[st.session_state["preset"]][1]
    for name in SETTINGS:
        st.session_state[f"cfg_{name}"] = getattr(cfg, name)
    st.session_state.update({f"cfg_{name}": value for name, value in _fixed().items()})


def setting(name: str, disabled: bool = False, key: str = "", value=None):
    """The widget of a TrainConfig field: its label, help, range and step. Its value lives in
    session_state[key] (by default cfg_<name>, which the preset fills), or starts at `value`."""
    known = facts(name)
    label = f"{t(f'label.{name}')} ({name})"
    tip = t(f"help.{name}") + (t("ui.what_for", why=words.Message(f"why.{name}")) if known.why else "")
    args = dict(key=key or f"cfg_{name}", help=tip, disabled=disabled)
    if value is not None:
        args["value"] = value
    if known.choices:
        said = {v: tr(w) for v, w in (known.choice_words or {}).items()}
        return st.selectbox(label, known.choices, format_func=lambda v: f"{v}: {said[v]}" if v in said else v,
                            **args)
    if known.widget is None:              # a switch
        return st.checkbox(label, **args)
    lo, hi, lo_open = known.allowed
    step = known.widget.step
    if known.widget.kind == "slider":     # from one step up where the lower bound itself is not allowed
        return st.slider(label, step if lo_open else lo, hi, step=step, **args)
    # No bounds on the widget: a value typed outside them would be refused by the browser, which then
    # keeps the old value without a word to the server. Here every value arrives, and the config's
    # validation names the field and its range under the form and holds Start back.
    return st.number_input(label, step=step, format=known.widget.format, **args)


def config_form(data: str, disabled: bool = False) -> TrainConfig:
    """Preset, then every TrainConfig field as a widget; returns the resulting config. What the
    session's link fixes is shown read-only (locked) or not at all (hidden), and is its value whatever
    the page sends back: the server holds it, not the widget."""
    mine = session_run()
    setup, fixed = mine.setup, _fixed()
    offered = list(setup.presets or PRESETS)
    if "cfg_model" not in st.session_state:
        if mine.settings:                 # this session's settings before a reload, or from another tab
            st.session_state.update(mine.settings)
        else:                             # the link's setup, or the first preset
            st.session_state["preset"] = setup.preset or offered[0]
            start = setup.config() if not setup.empty else PRESETS[st.session_state["preset"]][1]
            st.session_state.update({f"cfg_{name}": getattr(start, name) for name in SETTINGS})
    for name in SETTINGS:  # keep values while the user is on another page (Streamlit drops unrendered widgets)
        st.session_state[f"cfg_{name}"] = st.session_state[f"cfg_{name}"]
    st.session_state.update({f"cfg_{name}": value for name, value in fixed.items()})
    if st.session_state.get("preset") not in offered:
        st.session_state["preset"] = offered[0]
    st.selectbox(t("ui.preset"), offered, key="preset", on_change=_apply_preset, disabled=disabled,
                 help=t("ui.preset_help"))
    st.caption(tr(PRESETS[st.session_state["preset"]][0]))
    if (chosen := st.session_state["preset"]) in GPU_PRESETS and train.resolve_device("auto").type == "cpu":
        try:
            ds = dataset(data)
            minutes, on = cpu_minutes(chosen, len(ds.y_train), ds.image_size), ds.name
        except DataError:                 # Start says why; warn with CIFAR-10's figure meanwhile
            minutes, on = cpu_minutes(chosen), "CIFAR-10"
        minutes = max(1, round(minutes))
        st.warning(t("ui.no_gpu_one" if minutes == 1 else "ui.no_gpu", minutes=minutes, data=on))
    if setup.locked or setup.hidden:
        locked = ", ".join(t(f"label.{n}") for n in sorted(setup.locked) if n in SETTINGS)
        n_hidden = len(setup.hidden)
        st.caption(t("ui.set_by_link", locked=t("ui.link_locked", names=locked) if setup.locked else "",
                     hidden=t("ui.link_hidden_one" if n_hidden == 1 else "ui.link_hidden", n=n_hidden)
                     if setup.hidden else ""))
    values = {}
    for group, names in groups().items():
        shown = [name for name in names if name not in setup.hidden]
        values.update({name: fixed[name] for name in names if name in setup.hidden})
        if not shown:
            continue
        with st.expander(t(f"group.{group}"), expanded=group == "optimisation"):
            cols = st.columns(3)
            for i, name in enumerate(shown):
                with cols[i % 3]:
                    rule = facts(name).used_if          # it reads only settings drawn above it
                    unused = rule is not None and not rule({**fixed, **values})
                    values[name] = setting(name, disabled or unused or name in setup.locked)
    mine.settings = {key: st.session_state[key] for key in ("preset", *(f"cfg_{name}" for name in SETTINGS))}
    return TrainConfig(data=data, data_root=str(sources.data_root()), **values).replace(**fixed)


def share_link(cfg: TrainConfig) -> None:
    """"Share this setup": the link to this page with the data set, the preset and every setting that
    differs from it, and, for a teacher, what the link fixes or hides and which pages and presets it
    offers. A session opened with such a link passes its locks on."""
    setup = session_run().setup
    with st.expander(t("ui.share")):
        st.caption(t("ui.share_caption"))
        names = [n for n in SETTINGS if n not in setup.fixed]
        labels = {n: t(f"label.{n}") for n in names}
        titles = {p: t(f"page.{p}") for p in links.PAGES}
        c1, c2 = st.columns(2)
        empty = t("ui.choose")                  # what an empty list says (Streamlit's own words are English)
        locked = c1.multiselect(t("ui.share_lock"), names, key="share_lock", format_func=labels.get,
                                placeholder=empty)
        hidden = c2.multiselect(t("ui.share_hide"), names, key="share_hide", format_func=labels.get,
                                placeholder=empty)
        pages = c1.multiselect(t("ui.share_pages"), [p for p in links.PAGES if p != "home"], key="share_pages",
                               default=[p for p in setup.pages if p != "home"], format_func=titles.get,
                               placeholder=empty)
        presets = c2.multiselect(t("ui.share_presets"), list(setup.presets or PRESETS), key="share_presets",
                                 default=list(setup.presets), placeholder=empty)
        params = links.query(cfg, st.session_state["preset"], source(), lang(),
                             sorted({*setup.locked, *locked} - {*setup.hidden, *hidden}),
                             sorted({*setup.hidden, *hidden}), pages, presets)
        st.code(links.link(st.context.url or "/", params), language=None, wrap_lines=True)


@st.cache_data(show_spinner=False, max_entries=64)
def _program(cfg: TrainConfig, facts: export.DataFacts, language: str, chosen: str) -> str:
    """The exported program of a setup, written once for every session (Train reruns often, the
    expander's content with it, open or not)."""
    return export.program(cfg, facts, language, chosen)


def code_view(cfg: TrainConfig, problems: bool) -> None:
    """"The code behind these settings": the plain PyTorch program the settings amount to (cnnlib.export),
    its comments in this session's language, and a button that downloads it as one .py file."""
    with st.expander(t("export.view")):
        st.caption(t("export.explain"))
        if problems:                          # the errors under the settings say what to fix
            st.info(t("export.fix_first"))
            return
        facts = export.CIFAR10                # CIFAR-10 and Shapes-10 both become torchvision's CIFAR-10
        if cfg.data not in ("cifar10", "builtin"):
            try:
                facts = export.facts_of(dataset(cfg.data), cfg.data, cfg.normalize)
            except DataError:
                st.info(t("export.no_data"))
                return
        chosen = st.session_state.get("preset", "")
        src = _program(cfg, facts, lang(), chosen)
        st.code(src, language="python")
        st.download_button(t("export.download", file=export.file_name(chosen)), src,
                           file_name=export.file_name(chosen), mime="text/x-python", key="export_download",
                           on_click="ignore")
