"""TrainConfig: validation messages, presets, dict round trips.

    .venv/bin/python -m pytest tests/test_config.py -q
"""
from __future__ import annotations

import dataclasses

import pytest

from cnnlib.config import FIELD_HELP, PRESETS, TrainConfig, preset


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


def test_the_documented_recipes():
    assert preset("cpu-5min").epochs == 9 and preset("cpu-5min").tta == "flip+shift" and preset("fast-cpu").epochs == 1
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
    ("model", "alexnet", "choose one of tutorial, small, fast, vgg, resnet, speedrun"),
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


def test_every_field_has_help_text():
    assert set(FIELD_HELP) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert all(h.strip() for h in FIELD_HELP.values())


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
