"""TrainConfig: validation messages, presets, dict round trips, and each field's facts.

    .venv/bin/python -m pytest tests/test_config.py -q
"""
from __future__ import annotations

import dataclasses

import pytest

from cnnlib.config import PRESETS, SETTINGS, VARIANTS, Range, TrainConfig, facts, groups, preset
from cnnlib.models import too_large_to_train


def test_the_default_is_the_tutorials_recipe_and_valid():
    cfg = TrainConfig()
    assert cfg.validate() == []
    assert (cfg.model, cfg.batch_size, cfg.optimizer, cfg.lr, cfg.momentum, cfg.epochs) == \
        ("tutorial", 32, "sgd", 0.001, 0.9, 10)
    assert (cfg.augment, cfg.normalize, cfg.conv_dropout, cfg.fc_dropout) == ("none", False, 0.3, 0.5)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_validates(name):
    description, cfg = PRESETS[name]
    assert description
    assert cfg.validate() == []
    assert preset(name) == cfg
    if name != "tutorial":   # the batch-norm presets take bf16 only where it is fast (README, BENCHMARKS §3)
        assert cfg.precision == "auto"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_cpu_kinds_recipe_validates_and_fits_a_servers_run(name):
    description, cfg = VARIANTS[name]
    assert description and cfg.validate() == [] and preset(name) == cfg and cfg.precision == "auto"
    assert too_large_to_train(cfg.model, 10, 32, cfg.batch_size) == ""     # the app starts it at its default limit
    assert name.partition(":")[0] in PRESETS


def test_each_kind_of_cpu_is_told_apart_and_takes_its_recipe_or_the_bf16_one(monkeypatch):
    from cnnlib import config
    for fast, halves, kind in [(False, False, "plain"), (False, True, "plain"), (True, False, "bf16"),
                               (True, True, "bf16-half")]:
        monkeypatch.setattr(config, "fast_bf16", lambda fast=fast: fast)
        monkeypatch.setattr(config, "halves_avx512", lambda halves=halves: halves)
        assert config.cpu_kind() == kind
    assert config.recipe_of("cpu-15min", "bf16-half") == VARIANTS["cpu-15min:bf16-half"]
    assert config.recipe_of("cpu-5min", "bf16-half") == VARIANTS["cpu-5min:bf16"]     # none of its own: bf16's
    assert config.recipe_of("cpu-5min", "plain") == VARIANTS["cpu-5min:plain"]


def test_cpu_15min_takes_the_recipe_of_this_cpu(monkeypatch):
    from cnnlib.config import cpu_kind
    mine = f"cpu-15min:{cpu_kind()}"
    assert PRESETS["cpu-15min"] == VARIANTS[mine] and preset("cpu-15min") == VARIANTS[mine][1]
    bf16, plain = preset("cpu-15min:bf16"), preset("cpu-15min:plain")
    # with fast bf16: gpu-speedrun's recipe at a quarter of its batch and learning rate, so each image moves the
    # weights as much; 9 epochs, not 10, the first 30 % of its steps on 24-pixel images
    speedrun = preset("gpu-speedrun")
    assert bf16.replace(epochs=10, batch_size=1024, lr=speedrun.lr, device="auto", shrink_to=0, shrink_for=0.0,
                       report_every=10, test_sample=0) == speedrun
    assert bf16.lr * bf16.weight_decay == pytest.approx(speedrun.lr * speedrun.weight_decay / 4)
    assert (bf16.epochs, bf16.shrink_to, bf16.shrink_for, bf16.device) == (9, 24, 0.3, "cpu")
    assert preset("cpu-15min:bf16-half") == bf16.replace(shrink_for=0.5)   # a Zen 4 took 970 s with 0.3
    assert (plain.model, plain.epochs, plain.tta, plain.test_sample) == ("fast", 28, "flip+shift", 2000)
    with pytest.raises(ValueError, match="Unknown preset 'cpu-15min:other'"):
        preset("cpu-15min:other")


def test_the_documented_recipes():
    from cnnlib.config import cpu_kind
    plain, bf16 = preset("cpu-5min:plain"), preset("cpu-5min:bf16")
    assert preset("cpu-5min") == (plain if cpu_kind() == "plain" else bf16)
    assert plain.epochs == 9 and plain.tta == "flip+shift" and preset("fast-cpu").epochs == 1
    assert bf16 == plain.replace(epochs=11)      # bf16's 9 epochs reach 84.7 %, its 11 85.8 % (BENCHMARKS.md §3)
    assert plain.shrink_to == 0                                   # smaller images first bought nothing here
    # 57 % in 2.2x less training: the quick network (whitening that halves the image) at batch 128
    fast = preset("fast-cpu")
    assert (fast.model, fast.batch_size, fast.lr, fast.eval_every) == ("quick", 128, 0.2, 50)
    assert preset("tutorial").precision == "fp32" and preset("tutorial").batch_size == 32


def test_preset_overrides_and_unknown_preset():
    assert preset("tutorial", epochs=3).epochs == 3
    with pytest.raises(ValueError, match="Unknown preset 'nope'.*tutorial"):
        preset("nope")


@pytest.mark.parametrize("field, value, allowed", [
    ("lr", 0.0, "above 0.0 and at most 10.0"),
    ("lr", 11.0, "above 0.0 and at most 10.0"),
    ("lr", float("nan"), "a number from 0.0 to 10.0"),
    ("epochs", 0, "at least 1 and at most 1000"),
    ("batch_size", 0, "at least 1 and at most 8192"),
    ("holdout", 0.95, "above 0.0 and at most 0.9"),
    ("momentum", 1.0, "at least 0.0 and at most 0.999"),
    ("conv_dropout", -0.1, "at least 0.0 and at most 0.9"),
    ("label_smoothing", 0.6, "at least 0.0 and at most 0.5"),
    ("seed", -1, "at least 0"),
    ("report_every", 0, "at least 1"),
    ("max_train", "many", "a number"),
    ("batch_size", True, "a number"),
    ("model", "alexnet", "choose one of tutorial, small, fast, quick, vgg, resnet, speedrun"),
    ("optimizer", "lbfgs", "choose one of sgd, adam, adamw"),
    ("schedule", "linear", "choose one of constant, onecycle, cosine, step"),
    ("augment", "mixup", "choose one of none, flip, crop, flip+crop"),
    ("crop", 0, "at least 1 and at most 16"),
    ("bias_lr", 0.0, "above 0.0 and at most 1000.0"),
    ("lookahead", -1, "at least 0 and at most 1000"),
    ("lr_end", 1.5, "at least 0.0 and at most 1.0"),
    ("lookahead", 2.5, "whole number"),
    ("device", "tpu", "choose one of auto, cpu, cuda, mps"),
    ("precision", "int8", "choose one of auto, fp32, bf16, fp16"),
    ("data", "  ", "cifar10"),
])
def test_a_bad_value_is_named_with_its_value_and_the_allowed_range(field, value, allowed):
    problems = TrainConfig().replace(**{field: value}).validate()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{field}={value!r} is not allowed")
    assert allowed in problems[0]


def test_a_fractional_epoch_count_is_refused():
    problems = TrainConfig(epochs=2.5).validate()
    assert any(p.startswith("epochs=2.5") and "whole number" in p for p in problems)


def test_combinations_are_checked():
    assert any("nesterov" in p for p in TrainConfig(nesterov=True, optimizer="adam").validate())
    assert any("nesterov" in p for p in TrainConfig(nesterov=True, momentum=0.0).validate())
    assert any("fp16" in p for p in TrainConfig(precision="fp16", device="cpu").validate())
    assert TrainConfig(precision="fp16", device="cuda").validate() == []


def test_smaller_images_first_must_be_a_size_the_network_can_take():
    fast = preset("cpu-5min")
    [problem] = fast.replace(shrink_to=4).validate()
    assert "shrink_to=4" in problem and "at least 8 pixels" in problem          # three blocks: 32 -> 4
    assert "at least 9 pixels" in preset("gpu-speedrun").replace(shrink_to=8).validate()[0]   # whitening: one less
    assert "at least 16 pixels" in fast.replace(model="vgg", shrink_to=12).validate()[0]
    assert fast.replace(shrink_to=8, shrink_for=1.0).validate() == []
    [idle] = fast.replace(shrink_to=24).validate()                     # a size, and no step to use it
    assert idle.startswith("shrink_for=0.0 is not allowed: with shrink_to=24") and "set shrink_to to 0" in idle
    assert preset("cpu-15min:plain").replace(shrink_to=16).validate() != []
    assert TrainConfig(shrink_to=4).validate() == []            # the tutorial's CNN ignores it (its size is fixed)
    assert not TrainConfig(shrink_to=24).uses("shrink_to") and not TrainConfig(shrink_to=24).uses("shrink_for")
    assert fast.uses("shrink_to") and not fast.uses("shrink_for") and fast.replace(shrink_to=24).uses("shrink_for")
    for bad in (-1.0, 1.5, "half", float("nan")):
        assert any("shrink_for" in p for p in fast.replace(shrink_to=24, shrink_for=bad).validate()), bad
    for bad in (24.5, float("nan"), "24", -8, 2048):
        [problem] = fast.replace(shrink_to=bad).validate()
        assert problem.startswith(f"shrink_to={bad!r} is not allowed"), problem
    assert len(fast.replace(shrink_to=True).validate()) == 1            # one message for one bad value
    [junk] = fast.replace(model=["fast"], shrink_to=4).validate()       # a list where a name belongs
    assert "model=['fast']" in junk


def test_every_problem_is_reported_at_once_and_check_raises_with_all_of_them():
    cfg = TrainConfig(lr=-1.0, epochs=0, model="x")
    assert len(cfg.validate()) == 3
    with pytest.raises(ValueError) as e:
        cfg.check()
    for name in ("lr=-1.0", "epochs=0", "model='x'"):
        assert name in str(e.value)
    assert TrainConfig().check() == TrainConfig()


def test_dict_round_trip_and_unknown_keys_are_ignored():
    cfg = preset("demo")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    d = cfg.to_dict() | {"from_the_future": 1, "dropout": 0.2}
    assert TrainConfig.from_dict(d) == cfg
    assert TrainConfig.from_dict({"lr": 0.1}) == TrainConfig(lr=0.1)


def test_a_checkpoint_from_before_tta_had_choices_still_loads():
    assert TrainConfig.from_dict({"tta": True}).tta == "flip"
    assert TrainConfig.from_dict({"tta": False}).tta == "none"
    assert "tta=True is not allowed: choose one of none, flip, flip+shift" in " ".join(TrainConfig(tta=True).validate())


def test_the_config_is_frozen_and_replace_makes_a_copy():
    cfg = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 1.0  # type: ignore[misc]
    assert cfg.replace(lr=0.5).lr == 0.5 and cfg.lr == 0.001


# --- each field's facts: what validation, the command line and the Train page read ---------------------

FIELDS = dataclasses.fields(TrainConfig)


def _bad_and_good(allowed) -> tuple[list, list]:
    """Values just outside a field's range or choices, and values at its edges (or each choice)."""
    if not isinstance(allowed, Range):
        return ["not-a-choice", 1], list(allowed)
    lo, hi, lo_open = allowed
    tiny = 1 if isinstance(lo, int) else 1e-6
    good = [hi] + ([] if lo_open else [lo]) + ([lo + tiny] if lo_open else [])
    whole = [lo + 0.5] if isinstance(lo, int) else []
    return [hi + tiny, lo if lo_open else lo - tiny, "1", None, True, *whole], good


@pytest.mark.parametrize("name", [f.name for f in FIELDS if facts(f.name).allowed is not None])
def test_validation_refuses_what_a_fields_facts_do_not_allow_and_takes_what_they_do(name):
    bad, good = _bad_and_good(facts(name).allowed)
    base = TrainConfig(device="cuda")          # fp16 is for GPUs: no other problem than the one made here
    for value in bad:
        named = [p for p in base.replace(**{name: value}).validate() if p.startswith(f"{name}=")]
        assert len(named) == 1, (value, named)
    for value in good:
        assert base.replace(**{name: value}).validate() == [], value


def test_every_number_has_a_range_and_every_string_choices_or_its_own_check():
    for f in FIELDS:
        allowed = facts(f.name).allowed
        if f.type in ("int", "float"):
            assert isinstance(allowed, Range) and allowed.lo < allowed.hi, f.name
            assert isinstance(allowed.lo, int) == (f.type == "int"), f.name   # a whole number's bounds are whole
        elif f.type == "str":
            assert facts(f.name).choices or f.name in ("data", "data_root"), f.name   # validate() checks those two
        else:
            assert f.type == "bool" and allowed is None, f.name


def test_the_train_page_can_draw_every_setting():
    # data and data_root are the sidebar's choice; holdout is how a folder was split when it was loaded
    # (once per server, at the default), so a widget for it would change nothing
    assert set(SETTINGS) == {f.name for f in FIELDS} - {"data", "data_root", "holdout"}
    types = {f.name: f.type for f in FIELDS}
    for name in SETTINGS:
        known = facts(name)
        if known.choices:                               # a list
            assert known.widget is None, name
            assert set(known.choice_words or {}) <= set(known.choices), name
        elif types[name] == "bool":                     # a checkbox
            assert known.widget is None and not known.choice_words, name
        else:                                           # a slider or a box
            assert known.widget is not None and known.widget.kind in ("slider", "number"), name
            assert 0 < known.widget.step <= known.allowed.hi - known.allowed.lo, name
            assert isinstance(known.widget.step, int) == (types[name] == "int"), name   # a float box steps in floats
    assert all(facts(f.name).widget is None and not facts(f.name).why for f in FIELDS if f.name not in SETTINGS)


def test_the_train_page_shows_each_setting_in_one_group_and_in_the_fields_order():
    shown = [name for names in groups().values() for name in names]
    assert shown == list(SETTINGS)           # each group's fields are together: none is shown twice or elsewhere
    assert list(groups()) == ["model", "optimisation", "data", "run"]
    assert all(facts(name).group == group for group, names in groups().items() for name in names)


@pytest.mark.parametrize("name", [n for n in SETTINGS if facts(n).used_if])
def test_a_settings_rule_reads_only_the_settings_the_page_draws_above_it(name):
    # the Train page greys a setting out from the values drawn so far (and those a link fixes)
    above = SETTINGS[:SETTINGS.index(name)]
    for _, cfg in PRESETS.values():
        assert facts(name).used_if({n: getattr(cfg, n) for n in above}) == cfg.uses(name)


def test_uses_says_when_a_field_has_an_effect_given_the_others():
    cfg = TrainConfig()                                     # the tutorial's CNN, no augmentation
    assert cfg.uses("lr") and not cfg.uses("crop") and not cfg.uses("alternate_flips") and not cfg.uses("bias_lr")
    assert not cfg.uses("warmup") and not cfg.uses("lr_end")          # the tutorial's constant lr
    fast = preset("gpu-speedrun")
    assert fast.uses("crop") and fast.uses("alternate_flips") and fast.uses("bias_lr")
    assert fast.uses("warmup") and fast.uses("lr_end")
    assert not fast.replace(augment="crop").uses("alternate_flips") and not fast.replace(augment="flip").uses("crop")


def test_a_gpu_presets_cpu_time_scales_with_the_images_and_their_pixels():
    from cnnlib.config import cpu_minutes
    assert cpu_minutes("gpu-speedrun", 50_000) == pytest.approx(40)       # measured on CIFAR-10 (BENCHMARKS §4)
    assert cpu_minutes("gpu-speedrun", 5_000) == pytest.approx(4)
    assert cpu_minutes("gpu-speedrun", 5_000, image_size=64) == pytest.approx(16)
