"""The Train page's settings: every TrainConfig field as a widget under its preset (what the
session's link fixes shown locked or not at all), the table of the network they build and whether it
fits the data and the server, the link that shares the setup, and the plain PyTorch program the
settings amount to."""
from __future__ import annotations

import streamlit as st

from cnnlib import export, links, models, sources, train, words
from cnnlib.config import GPU_PRESETS, PRESETS, SETTINGS, TrainConfig, cpu_minutes, facts, groups
from cnnlib.data import DataError
from cnnlib.models import ARCHITECTURES
from cnnlib.runner import memory_problem
from ui.browser import dataset, lang, session_run, source, t, tr
from ui.tables import table

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
    if note := train.shrink_note(cfg, ds.image_size):     # a setting that does nothing on this data set
        st.info(tr(note))
    return tr(memory_problem(cfg, len(ds.classes), ds.image_size))


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
