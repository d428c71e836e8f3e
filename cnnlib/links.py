"""A setup as a link: the data set, the preset, every training setting that differs from the preset,
the language, and what a teacher fixes or hides, as the query parameters of the app's address, and
back. Reading a link checks every value as the Train page would (its type, then its range,
cnnlib.config.check_value): a bad one is named and left out, the rest still applies. The app's pages,
a shared link and the command line's --from-link all read links through `parse`.

    ?data=cifar10&preset=fast-cpu&epochs=3&lr=0.05&lock=lr,epochs&hide=tta&pages=home,data,train&lang=es
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from cnnlib.config import PRESETS, TrainConfig, check_value, preset
from cnnlib.words import LANGUAGES, Message

DATA_SETS = ("cifar10", "builtin")     # the data sets a link may name (an upload lives on one server only)
PAGES = ("home", "data", "train", "predict", "evaluate", "inspect", "runs")
# Settings a link carries: every TrainConfig field but where the server keeps its data
FIELDS: dict[str, str] = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)
                          if f.name not in ("data", "data_root")}
# Parameters of the app's own that are not a setup (the session's token, a followed run)
OTHER_KEYS = ("session", "follow")
LIST_KEYS = ("lock", "hide", "pages", "presets")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setup:
    data: str | None = None                 # "cifar10" or "builtin"
    preset: str | None = None               # a name in config.PRESETS
    values: dict = field(default_factory=dict)   # the settings the link sets, checked, by field name
    lang: str | None = None                 # "en" or "es"
    locked: frozenset[str] = frozenset()    # fields fixed at the link's value and shown read-only
    hidden: frozenset[str] = frozenset()    # fields fixed at the link's value and not shown
    pages: tuple[str, ...] = ()             # the pages shown (all when empty)
    presets: tuple[str, ...] = ()           # the presets offered (all when empty)
    problems: tuple[str, ...] = ()          # what was left out of the link, and why (words.Message each)

    @property
    def fixed(self) -> frozenset[str]:
        """Fields a student cannot change: locked or hidden."""
        return self.locked | self.hidden

    @property
    def empty(self) -> bool:
        return self == Setup(problems=self.problems)

    def config(self, data: str = "builtin", **server) -> TrainConfig:
        """The link's training settings: its preset (the first offered, or the tutorial's) with its values."""
        return preset(self.preset or (self.presets[0] if self.presets else next(iter(PRESETS))),
                      data=data, **server, **self.values)


def _value(name: str, text: str) -> tuple[object, str]:
    """A link's text for field `name` as that field's type, checked: (value, "") or (None, why not)."""
    kind = FIELDS[name]
    try:
        if kind == "bool":
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError
            value: object = text.lower() in _TRUE
        elif kind == "int":
            value = int(text)
        elif kind == "float":
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
        else:
            value = text
    except ValueError:
        kind = kind if kind in ("bool", "int", "float") else "str"
        return None, Message("links.not_kind", name=name, text=repr(text[:40]), kind=Message(f"links.kind.{kind}"))
    problem = check_value(name, value)
    return (None, Message("links.left_out", problem=problem)) if problem else (value, "")


def _one(params: Mapping[str, str | Sequence[str]], key: str) -> str:
    v = params.get(key, "")
    return (v[-1] if v else "") if isinstance(v, (list, tuple)) else str(v)


def _names(text: str, allowed: Sequence[str], what: str, problems: list[str]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in allowed]
    if unknown:
        problems.append(Message("links.unknown_names", names=", ".join(n[:40] for n in unknown),
                                what=Message(f"links.what.{what}")))
    return tuple(n for n in names if n in allowed)


def parse(params: Mapping[str, str | Sequence[str]]) -> Setup:
    """A setup from a link's query parameters (a mapping of name to its value, or to its values as
    parse_qs gives them). Nothing in it is trusted: each value is checked, and what fails is left
    out with a sentence in `problems`."""
    problems: list[str] = []
    data = _one(params, "data") or None
    if data is not None and data not in DATA_SETS:
        problems.append(Message("links.bad_data", data=repr(data[:40]), choices=", ".join(DATA_SETS)))
        data = None
    name = _one(params, "preset") or None
    if name is not None and name not in PRESETS:
        problems.append(Message("links.bad_preset", name=repr(name[:40]), choices=", ".join(PRESETS)))
        name = None
    lang = _one(params, "lang") or None
    if lang is not None and lang not in LANGUAGES:
        problems.append(Message("links.bad_lang", lang=repr(lang[:10]), choices=", ".join(LANGUAGES)))
        lang = None
    values = {}
    for key in params:
        if key in FIELDS:
            value, problem = _value(key, _one(params, key))
            if problem:
                problems.append(problem)
            else:
                values[key] = value
        elif key not in ("data", "preset", "lang", *LIST_KEYS, *OTHER_KEYS):
            problems.append(Message("links.unknown_key", key=key[:40]))
    locked = frozenset(_names(_one(params, "lock"), tuple(FIELDS), "settings", problems))
    hidden = frozenset(_names(_one(params, "hide"), tuple(FIELDS), "settings", problems))
    pages = _names(_one(params, "pages"), PAGES, "pages", problems)
    if pages and "home" not in pages:
        pages = ("home", *pages)          # the first page is always there: it says what CNN Lab is
    presets = _names(_one(params, "presets"), tuple(PRESETS), "presets", problems)
    if name is not None and presets and name not in presets:
        problems.append(Message("links.preset_not_offered", name=name, offered=", ".join(presets),
                                first=presets[0]))
        name = presets[0]
    setup = Setup(data, name, values, lang, locked - hidden, hidden, pages, presets, ())   # hidden wins
    if not problems:
        problems += setup.config().validate()     # a combination the fields allow one by one, but not together
    return dataclasses.replace(setup, problems=tuple(problems))


def parse_link(text: str) -> Setup:
    """A setup from a whole link (https://…/train?lr=0.1&…), its query string (?lr=0.1&… or lr=0.1&…),
    as the command line's --from-link takes it."""
    query = urlsplit(text).query if "?" in text else text
    return parse(parse_qs(query, keep_blank_values=True))


def query(cfg: TrainConfig, preset_name: str, data: str | None = None, lang: str | None = None,
          locked: Sequence[str] = (), hidden: Sequence[str] = (), pages: Sequence[str] = (),
          presets: Sequence[str] = ()) -> dict[str, str]:
    """The query parameters of a setup: the data set (if a link can name it), the preset, every setting
    that differs from the preset's, the language and the teacher's choices. `parse` reads it back."""
    base = PRESETS[preset_name][1]
    out: dict[str, str] = {}
    if data in DATA_SETS:
        out["data"] = data
    out["preset"] = preset_name
    for name in FIELDS:
        value = getattr(cfg, name)
        if value != getattr(base, name) or name in locked or name in hidden:
            out[name] = str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, float) \
                else str(value)
    for key, names in (("lock", locked), ("hide", hidden), ("pages", pages), ("presets", presets)):
        if names:
            out[key] = ",".join(names)
    if lang:
        out["lang"] = lang
    return out


def link(base: str, params: Mapping[str, str]) -> str:
    """`base` (the app's address, any query dropped) with `params` as its query."""
    parts = urlsplit(base)
    return parts._replace(query=urlencode(params, safe=","), fragment="").geturl()
