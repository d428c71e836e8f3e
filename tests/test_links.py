"""A setup as a link (cnnlib.links): read back field by field, a bad value named and left out while
the rest applies, and written so that reading it gives the same setup.

    .venv/bin/python -m pytest tests/test_links.py -q
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import links
from cnnlib.config import PRESETS, TrainConfig, preset


def test_a_link_sets_the_preset_its_settings_and_what_it_fixes():
    s = links.parse_link("https://lab.example/train?data=cifar10&preset=fast-cpu&epochs=3&nesterov=false"
                         "&lock=lr,epochs&hide=tta&pages=data,train&presets=fast-cpu,tutorial&lang=es&session=abc")
    assert s.problems == ()
    assert (s.data, s.preset, s.lang) == ("cifar10", "fast-cpu", "es")
    assert s.values == {"epochs": 3, "nesterov": False}
    assert s.locked == {"lr", "epochs"} and s.hidden == {"tta"} and s.fixed == {"lr", "epochs", "tta"}
    assert s.pages == ("home", "data", "train") and s.presets == ("fast-cpu", "tutorial")
    cfg = s.config()
    assert cfg.epochs == 3 and cfg.lr == PRESETS["fast-cpu"][1].lr and not cfg.nesterov


def test_each_bad_value_is_named_and_left_out_and_the_rest_applies():
    s = links.parse({"preset": "demo", "epochs": "abc", "lr": "-1", "momentum": "0.5", "augment": "sideways",
                     "nesterov": "maybe", "seed": "1.5", "lr_end": "nan", "foo": "1", "data": "/etc/passwd",
                     "lang": "klingon", "lock": "lr,warp", "pages": "train,secret"})
    assert s.preset == "demo" and s.values == {"momentum": 0.5}
    said = " ".join(s.problems)
    for words in ("epochs='abc'", "lr=-1.0 is not allowed", "augment='sideways'", "nesterov='maybe'",
                  "seed='1.5'", "lr_end='nan'", "foo in the link", "data='/etc/passwd'", "lang='klingon'",
                  "warp", "secret"):
        assert words in said, words
    assert s.locked == {"lr"} and s.pages == ("home", "train") and s.data is None and s.lang is None


def test_a_preset_the_link_does_not_offer_gives_way_to_the_first_offered():
    s = links.parse({"preset": "cpu-5min", "presets": "demo,fast-cpu"})
    assert s.preset == "demo" and "not among the presets" in s.problems[0]


def test_a_combination_the_fields_allow_one_by_one_is_named_too():
    s = links.parse({"optimizer": "adam", "nesterov": "true"})
    assert any("nesterov=True needs optimizer='sgd'" in p for p in s.problems)


def test_what_query_writes_parse_reads_back():
    cfg = preset("cpu-5min", epochs=4, lr=0.05, tta="flip", nesterov=False)
    params = links.query(cfg, "cpu-5min", "builtin", "en", locked=["lr"], hidden=["tta"], pages=["train"],
                         presets=["cpu-5min", "demo"])
    assert set(params) >= {"preset", "epochs", "lr", "tta", "nesterov", "lock", "hide", "pages", "presets"}
    assert "momentum" not in params                              # as the preset has it: not in the link
    back = links.parse(params)
    assert back.problems == () and back.config() == cfg.replace(data="builtin")
    assert back.locked == {"lr"} and back.hidden == {"tta"} and back.presets == ("cpu-5min", "demo")
    url = links.link("http://host:8501/train?session=secret#x", params)
    assert url.startswith("http://host:8501/train?") and "secret" not in url
    assert links.parse_link(url) == back


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from([*links.FIELDS, "data", "preset", "lang", *links.LIST_KEYS, "junk"]),
                       st.one_of(st.text(max_size=30), st.sampled_from(["1", "0", "true", "1e309", "-0", "nan"]),
                                 st.lists(st.text(max_size=10), max_size=3)), max_size=12))
def test_no_link_is_an_error_only_a_setup_with_its_problems(params):
    s = links.parse(params)
    cfg = s.config()                                             # whatever came in, a config comes out
    assert isinstance(cfg, TrainConfig) and isinstance(s.problems, tuple)
    for name in s.values:
        assert name in links.FIELDS
