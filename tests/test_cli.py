"""The command line (`python -m cnnlib`), run as a real subprocess in a temporary folder.

    .venv/bin/python -m pytest tests/test_cli.py -q
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from smalldata import png

from cnnlib.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CNNLAB_RUNS": str(cwd / "runs")}
    return subprocess.run([sys.executable, "-m", "cnnlib", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def folder_set(tmp_path) -> Path:
    """Three classes of plain-coloured images: a data set the CLI loads in milliseconds."""
    for name, color in [("red", (220, 20, 20)), ("green", (20, 220, 20)), ("blue", (20, 20, 220))]:
        d = tmp_path / "set" / name
        d.mkdir(parents=True)
        for k in range(12):
            (d / f"{k}.png").write_bytes(png(tuple(min(255, c + 3 * k) for c in color), (24, 24)))
    return tmp_path / "set"


@pytest.mark.slow
def test_help_lists_every_config_field(tmp_path):
    r = cli("train", "--help", cwd=tmp_path)
    assert r.returncode == 0
    for f in dataclasses.fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in r.stdout, f.name
    assert "--dry-run" in r.stdout and "--preset" in r.stdout
    assert "tutorial" in r.stdout


def test_each_options_help_is_the_apps_and_names_the_fields_choices():
    import argparse

    from cnnlib.__main__ import _parser
    from cnnlib.config import facts
    from cnnlib.words import say
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in commands.choices["train"]._actions}
    for f in dataclasses.fields(TrainConfig):
        assert helps[f.name].startswith(say(f"help.{f.name}")), f.name          # the app's help, in English
        choices = facts(f.name).choices
        assert ("one of " + ", ".join(choices) + ";" in helps[f.name]) == bool(choices), f.name


@pytest.mark.slow
def test_a_bad_config_value_exits_2_naming_the_field(tmp_path):
    r = cli("train", "--data", "builtin", "--lr", "-1", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "lr=-1.0 is not allowed" in r.stderr and "above 0.0 and at most 10.0" in r.stderr
    assert not (tmp_path / "runs").exists()


# the same entry point in this process: each subprocess costs seconds of importing torch
@pytest.mark.parametrize("args, named", [(["--model", "alexnet"], "model='alexnet' is not allowed"),
                                         (["--batch-size", "0", "--epochs", "0"], "epochs=0 is not allowed"),
                                         (["--preset", "demo", "--precision", "fp16"], "precision='fp16'")])
def test_bad_config_values_in_process(capsys, args, named):
    from cnnlib.__main__ import main
    assert main(["train", "--data", "builtin", *args]) == 2
    assert named in capsys.readouterr().err


def test_a_value_of_the_wrong_type_exits_2(capsys):
    from cnnlib.__main__ import main
    with pytest.raises(SystemExit) as e:
        main(["train", "--epochs", "many"])
    assert e.value.code == 2 and "--epochs" in capsys.readouterr().err


def test_missing_data_exits_2_with_a_message(tmp_path, capsys):
    from cnnlib.__main__ import main
    assert main(["train", "--data", str(tmp_path / "nowhere"), "--data-root", str(tmp_path / "data")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_data_folder_comes_from_cnnlab_data_unless_given(tmp_path, folder_set, monkeypatch):
    """The app keeps CIFAR-10 and its caches in $CNNLAB_DATA; the command line looks there too."""
    from cnnlib.__main__ import main
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "app-data"))
    common = ["train", "--data", str(folder_set), "--model", "small", "--epochs", "1", "--batch-size", "16",
              "--out", str(tmp_path / "runs")]
    assert main(common) == 0
    assert list((tmp_path / "app-data").iterdir()), "the folder's tensor cache goes to $CNNLAB_DATA"
    assert main(common + ["--data-root", str(tmp_path / "mine")]) == 0
    assert list((tmp_path / "mine").iterdir()), "--data-root wins over $CNNLAB_DATA"


@pytest.mark.slow
def test_dry_run_on_the_builtin_set(tmp_path):
    r = cli("train", "--dry-run", "--data", "builtin", "--data-root", str(tmp_path / "data"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Dry run" in r.stdout and "Shapes-10" in r.stdout
    assert not (tmp_path / "runs").exists()


def test_a_dry_run_checks_the_settings_it_was_given(tmp_path, capsys):
    """--dry-run shortens the run to one epoch: it used to do so before checking, and took --epochs 0."""
    from cnnlib.__main__ import main
    assert main(["train", "--dry-run", "--epochs", "0", "--data", "builtin", "--data-root", str(tmp_path)]) == 2
    assert not list(tmp_path.iterdir())                      # refused before any data was made
    assert "epochs=0 is not allowed" in capsys.readouterr().err


def test_a_run_says_when_its_shrink_cannot_shrink_the_images(tmp_path, capsys):
    from cnnlib.__main__ import main
    assert main(["train", "--dry-run", "--preset", "fast-cpu", "--shrink-to", "32", "--shrink-for", "0.3",
                 "--data", "builtin", "--data-root", str(tmp_path / "data"), "--out", str(tmp_path / "runs")]) == 0
    assert "note: shrink_to=32 is not smaller than these images (32×32)" in capsys.readouterr().err


@pytest.mark.slow
def test_train_saves_a_run_and_predict_prints_three_classes(tmp_path, folder_set):
    out = tmp_path / "out"
    r = cli("train", "--data", str(folder_set), "--data-root", str(tmp_path / "data"), "--max-train", "200",
            "--max-test", "100", "--epochs", "1", "--batch-size", "8", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Epoch 1/1: accuracy" in r.stdout and "Done: final accuracy" in r.stdout
    saved = re.search(r"Saved the run to (.+)", r.stdout)
    assert saved, r.stdout
    run = Path(saved.group(1).strip())
    run = run if run.is_absolute() else tmp_path / run
    assert run.parent == out and sorted(p.name for p in run.iterdir()) == ["optimizer.pt", "run.json", "weights.pt"]

    (tmp_path / "photo.png").write_bytes(png((200, 30, 30), (50, 40)))
    r = cli("predict", "photo.png", "--checkpoint", str(run), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip().splitlines()[-1]
    assert line.startswith("photo.png: ")
    found = re.findall(r"(red|green|blue) (\d+\.\d)%", line)
    assert len(found) == 3 and len({c for c, _ in found}) == 3
    probs = [float(p) for _, p in found]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(100, abs=0.5)


def test_predict_reports_a_non_image_and_goes_on(tmp_path, capsys):
    from cnnlib.__main__ import main
    from cnnlib.checkpoints import run_meta, save_run
    from cnnlib.models import build_model
    run = save_run(tmp_path / "run", build_model("fast", 3), run_meta(TrainConfig(model="fast"), ("a", "b", "c")))
    (tmp_path / "photo.png").write_bytes(png((200, 30, 30), (24, 24)))
    (tmp_path / "notes.txt").write_text("not an image")
    assert main(["predict", str(tmp_path / "notes.txt"), str(tmp_path / "photo.png"), "--checkpoint", str(run),
                 "--top", "2"]) == 1
    out, err = capsys.readouterr()
    assert "notes.txt: error: not a readable image" in err
    assert len(re.findall(r"\b[abc] \d+\.\d%", out)) == 2


def test_predict_with_a_bad_checkpoint_exits_2(tmp_path, capsys):
    from cnnlib.__main__ import main
    (tmp_path / "photo.png").write_bytes(png((1, 2, 3), (24, 24)))
    assert main(["predict", str(tmp_path / "photo.png"), "--checkpoint", str(tmp_path)]) == 2
    assert "not a saved run" in capsys.readouterr().err


def test_a_device_this_machine_lacks_exits_2_with_a_message(tmp_path, folder_set, capsys, monkeypatch):
    import torch

    from cnnlib.__main__ import main
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--data", str(folder_set), "--device", "cuda", "--out", str(tmp_path / "runs")]) == 2
    assert "no CUDA GPU is available; use 'auto' or 'cpu'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_from_link_trains_the_setup_of_an_apps_link(tmp_path, folder_set, capsys):
    """A teacher reproduces a student's run from the link the app's "Share this setup" gave."""
    import json

    from cnnlib.__main__ import main
    link = ("http://lab.example:8501/train?preset=demo&epochs=1&batch_size=8&lr=0.05&max_train=24&max_test=12"
            "&momentum=abc&lock=lr")
    out = tmp_path / "out"
    assert main(["train", "--from-link", link, "--data", str(folder_set), "--data-root", str(tmp_path / "d"),
                 "--out", str(out), "--seed", "3"]) == 0
    assert "momentum='abc' in the link is not a number" in capsys.readouterr().err
    (run,) = out.iterdir()
    cfg = json.loads((run / "run.json").read_text())["config"]
    assert (cfg["model"], cfg["epochs"], cfg["batch_size"], cfg["lr"]) == ("fast", 1, 8, 0.05)   # the link's
    assert cfg["seed"] == 3 and cfg["momentum"] == 0.9                    # an option given here wins; demo's own
