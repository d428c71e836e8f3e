"""One browser session: its token (in the page's address) and the SessionRun it finds on the server,
its language and the words a page shows in it, the link that opened it, the sidebar every page draws
first, and the data set it chose. Every word a page shows comes from the catalogue (cnnlib.words) in
the session's language: `t(key)` for the page's own words, `tr(text)` for a sentence cnnlib handed up
(a words.Message)."""
from __future__ import annotations

import re
import secrets

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnlib import links, runs, session, sources, words
from cnnlib.data import DataError, Dataset
from cnnlib.words import LANGUAGE_NAMES, LANGUAGES
from ui.shared import load_dataset, sessions, slots

TOKEN = "session"                      # the query parameter that names a browser session's run
_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{12,64}")


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
    out once per run (`forget_lang`): a page asks for it a hundred times (BENCHMARKS.md §10)."""
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
    "confusion", "per_class", "mistakes", "feature_maps", "filters", "filters_fitted", "gradcam", "compare",
    "adversarial", "robustness")}


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


def dataset(source: str) -> Dataset:
    """The data set of a source, loaded once for the whole server; raises DataError."""
    with st.spinner(t("ui.loading_data")):
        return load_dataset(source)


def dataset_or_stop(source: str) -> Dataset:
    """The data set, or a clear message and the end of this page's run."""
    try:
        return dataset(source)
    except DataError as e:
        st.error(t("ui.data_unusable", data=sources.source_name(source), problem=words.message_of(e)))
        st.stop()


def store_warning() -> None:
    """While the runs store fails, say so: runs saved meanwhile are kept on this server only."""
    if problem := runs.store_status():
        st.warning(tr(problem))
