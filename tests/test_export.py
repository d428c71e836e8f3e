"""cnnlib.export: the plain PyTorch program behind a config. It compiles for every preset and every
architecture, defines the same network as cnnlib.models (parameter for parameter, output for output),
names what it leaves out, and (slow) trains on a tiny folder of PNGs as a program of its own; the Train
page's Code view shows it in the page's language with a download button.

    .venv/bin/python -m pytest tests/test_export.py -q
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from cnnlib import export
from cnnlib.config import PRESETS, TrainConfig, preset
from cnnlib.models import ARCHITECTURES, build_model, count_parameters

ROOT = Path(__file__).resolve().parents[1]


def load(src: str, path: Path):
    """The generated program as a module (its main() not run)."""
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", list(PRESETS))
def test_the_program_compiles_for_every_preset(name, lang):
    src = export.program(preset(name), lang=lang, preset=name)
    compile(src, export.file_name(name), "exec")
    assert "import streamlit" not in src and "cnnlib" not in src.replace("CNN Lab", "")
    assert max(len(line) for line in src.splitlines()) <= 120


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_spanish_program_has_no_english_sentence(name):
    from cnnlib.words import fixed_phrases, plain
    for facts in (export.CIFAR10, export.DataFacts("f", ("a", "b"), 32, source="folder")):
        src = export.program(preset(name, tta="flip+shift", lookahead=2), facts, lang="es", preset=name)
        src = plain(re.sub(r"\n\s*# ", " ", src))                  # comments wrapped over lines read as one
        assert not [p for p in fixed_phrases("en") if p in src]


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_program_has_no_undefined_or_unused_names(name):
    import io

    from pyflakes import api
    from pyflakes.reporter import Reporter
    for facts in (export.CIFAR10, export.DataFacts("f", ("a", "b"), 32, source="folder")):
        for tta, schedule in (("none", "constant"), ("flip", "cosine"), ("flip+shift", "step")):
            out = io.StringIO()
            src = export.program(preset(name, tta=tta, schedule=schedule), facts, preset=name)
            assert api.check(src, name, Reporter(out, out)) == 0, out.getvalue()


@pytest.mark.parametrize("model", list(ARCHITECTURES))
def test_the_network_is_cnnlibs_parameter_for_parameter_and_output_for_output(model, tmp_path):
    cfg = TrainConfig(model=model, conv_dropout=0.2, fc_dropout=0.3)
    facts = export.DataFacts("tiny", ("a", "b", "c"), 32)
    module = load(export.program(cfg, facts, preset="x"), tmp_path / f"net_{model}.py")
    ours, theirs = module.build(3), build_model(model, 3, 0.2, 0.3, 32)
    assert count_parameters(ours) == count_parameters(theirs)
    assert count_parameters(ours, learned=True) == count_parameters(theirs, learned=True)
    # the same layers in the same order: copy cnnlib's weights over and both compute the same logits
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert a.shape == b.shape
        a.data.copy_(b.data)
    stats = lambda m: [t for n, t in m.named_buffers() if "running" in n]
    for a, b in zip(stats(ours), stats(theirs), strict=True):
        a.copy_(b)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(ours.eval()(x), theirs.eval()(x), atol=1e-5)


def test_what_the_program_leaves_out_is_said_at_its_top():
    src = export.program(preset("gpu-speedrun"), lang="en", preset="gpu-speedrun")
    top = "".join(line[2:] + " " for line in src.splitlines()[:12] if line.startswith("# "))
    assert "This program leaves out:" in top
    assert "precision=auto" in top and "alternating" not in top and "Lookahead" not in top
    for done in ("class Lookahead", "def views", "def fit_whitening", "class AlternatingFlips"):   # tested below
        assert done in src, done
    assert "leaves out" not in export.program(TrainConfig(data="cifar10"), lang="en")
    shrunk = export.program(preset("cpu-5min").replace(shrink_to=24, shrink_for=0.3), lang="en", preset="cpu-5min")
    top = "".join(line[2:] + " " for line in shrunk.splitlines()[:12] if line.startswith("# "))
    assert "(shrink_to=24 for 30% of the steps): every step uses full-size images" in top
    assert "shrink_to" not in export.program(preset("cpu-5min").replace(shrink_to=0), lang="en", preset="cpu-5min")
    es = export.program(preset("cpu-5min"), lang="es", preset="cpu-5min")
    assert "Este programa deja fuera:" in es and "época" in es


def test_the_settings_values_are_in_the_program():
    cfg = TrainConfig(data="cifar10", lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001, label_smoothing=0.1,
                      batch_size=64, epochs=3, schedule="cosine", augment="flip+crop", crop=3, optimizer="sgd")
    src = export.program(cfg)
    for line in ("LR = 0.05", "MOMENTUM = 0.8", "NESTEROV = True", "WEIGHT_DECAY = 0.001", "LABEL_SMOOTHING = 0.1",
                 "BATCH_SIZE = 64", "EPOCHS = 3", "CROP = 3", "T.RandomHorizontalFlip()", "math.cos",
                 "T.RandomCrop(IMAGE_SIZE, padding=CROP)", "torch.optim.SGD("):
        assert line in src, line
    assert "lr_factor" not in export.program(TrainConfig(data="cifar10"))             # a constant rate
    assert "torch.optim.AdamW(" in export.program(TrainConfig(optimizer="adamw"))
    biased = export.program(preset("gpu-speedrun"))
    assert "LR * 64.0" in biased and "WEIGHT_DECAY / 64.0" in biased


def test_the_schedule_is_cnnlibs(tmp_path):
    from cnnlib.train import lr_factor
    for schedule in ("onecycle", "cosine", "step"):
        cfg = TrainConfig(schedule=schedule, warmup=0.2, lr_end=0.1)
        module = load(export.program(cfg), tmp_path / f"sched_{schedule}.py")
        assert all(abs(module.lr_factor(s, 50) - lr_factor(cfg, s, 50)) < 1e-9 for s in range(51)), schedule


def test_the_test_time_views_are_cnnlibs(tmp_path):
    from cnnlib.data import tta_views
    x = torch.rand(2, 3, 8, 8)
    for tta in ("flip", "flip+shift"):
        module = load(export.program(TrainConfig(tta=tta)), tmp_path / f"views_{tta.replace('+', '_')}.py")
        ours, theirs = module.views(x), tta_views(x, tta)
        assert len(ours) == len(theirs) and all(torch.equal(a, b) for a, b in zip(ours, theirs)), tta
    assert "def views" not in export.program(TrainConfig())


def test_the_whitening_layer_is_fitted_as_cnnlibs(tmp_path):
    from cnnlib.models import Whiten
    module = load(export.program(TrainConfig(model="speedrun")), tmp_path / "whiten.py")
    net, theirs = module.build(10), Whiten()
    x = torch.rand(50, 3, 16, 16)
    net.fit_whitening(x)
    theirs.fit(x)
    assert torch.allclose(net.whiten.weight, theirs.conv.weight) and not net.whiten.weight.requires_grad


def test_alternating_flips_are_cnnlibs(tmp_path):
    from cnnlib.data import alternating_flips
    module = load(export.program(TrainConfig(augment="flip", alternate_flips=True, seed=3)), tmp_path / "flips.py")
    images = [(torch.rand(3, 4, 4), k) for k in range(20)]
    ours = module.AlternatingFlips(images)
    theirs = alternating_flips(20, torch.Generator().manual_seed(3))
    for epoch in (0, 1, 2):
        ours.epoch = epoch
        mirrored = [not torch.equal(ours[i][0], images[i][0]) for i in range(20)]
        assert mirrored == theirs(epoch, torch.arange(20)).tolist()
        assert all(torch.equal(ours[i][0], images[i][0].flip(2)) for i in range(20) if mirrored[i])
    src = export.program(TrainConfig(augment="flip", alternate_flips=True))
    assert "RandomHorizontalFlip" not in src and "RandomHorizontalFlip" in export.program(TrainConfig(augment="flip"))


def test_lookahead_pulls_the_weights_as_cnnlibs_does(tmp_path):
    from cnnlib.train import Lookahead
    module = load(export.program(TrainConfig(lookahead=4)), tmp_path / "lookahead.py")
    nets = [build_model("small", 3) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    pulls = [module.Lookahead(nets[0], 40), Lookahead(nets[1], 4, 40)]
    for done in (4, 8):
        for net in nets:
            with torch.no_grad():
                for p in net.parameters():
                    p.add_(0.1 * done)
        for pull in pulls:
            pull.pull(done)
    assert all(torch.allclose(a, b) for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()))


# --- the program on its own -------------------------------------------------------------------------

def tiny_folder(root: Path, per_class: int = 24) -> Path:
    """Three classes of 32x32 PNGs, each a noisy colour of its own: easy to learn in a few steps."""
    gen = torch.Generator().manual_seed(0)
    for k, colour in enumerate([(220, 40, 40), (40, 200, 40), (40, 40, 220)]):
        folder = root / f"class{k}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            noise = torch.randint(-40, 40, (32, 32, 3), generator=gen)
            pixels = (torch.tensor(colour) + noise).clamp(0, 255).to(torch.uint8).numpy()
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("name, epochs", [("tutorial", 6), ("demo", 6), ("fast-cpu", 6), ("gpu-speedrun", 6)])
def test_the_program_trains_on_a_folder_of_images(name, epochs, tmp_path):
    data = tiny_folder(tmp_path / "images")
    facts = export.DataFacts("images", ("class0", "class1", "class2"), 32, (0.4, 0.4, 0.4), (0.3, 0.3, 0.3), "folder")
    cfg = preset(name, data=str(data))
    path = tmp_path / export.file_name(name)
    path.write_text(export.program(cfg, facts, lang="es", preset=name))
    done = subprocess.run([sys.executable, str(path), "--data", str(data), "--epochs", str(epochs), "--workers", "0",
                           "--limit", "60"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    losses = [float(v) for v in re.findall(r"pérdida (\d+\.\d+)", done.stdout)]
    assert len(losses) == epochs and losses[-1] < losses[0], done.stdout
    assert "precisión en el conjunto de prueba" in done.stdout


@pytest.mark.slow
def test_a_folder_program_without_data_says_what_to_give(tmp_path):
    facts = export.DataFacts("images", ("a", "b"), 32, source="folder")
    path = tmp_path / "p.py"
    path.write_text(export.program(TrainConfig(data="/x"), facts, lang="en"))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "give --data" in done.stderr


# --- the Train page's Code view ---------------------------------------------------------------------

@pytest.fixture
def page_env(tmp_path, monkeypatch):
    """As tests/test_app.py sets the app up: temporary data and runs folders, a tiny Shapes-10."""
    import logging
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNLAB_DATA_LIMIT", "300")
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(tmp_path / "no-pretrained"))
    threads = torch.get_num_threads()          # app.py sets torch's thread count for the whole process
    yield tmp_path
    torch.set_num_threads(threads)


def train_page(params: dict | None = None):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at


def program_shown(at) -> str:
    return next(c.value for c in at.code if c.language == "python")


def download_label(at) -> str:
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith("export_download")]
    return button.proto.label


@pytest.mark.slow
def test_train_shows_the_program_of_the_chosen_preset_and_a_download(page_env):
    at = train_page()
    assert "The code behind these settings" in [e.label for e in at.expander]
    assert any("plain PyTorch program" in c.value for c in at.caption)
    src = program_shown(at)
    assert "class Net(nn.Module)" in src and "self.fc3 = nn.Linear(32 * 16 * 16, 512)" in src and "LR = 0.001" in src
    assert "Shapes-10, which CNN Lab draws itself" in src            # the built-in set: CIFAR-10 instead, said
    assert download_label(at) == "Download cnnlab_tutorial.py"
    at.selectbox(key="preset").set_value("fast-cpu").run()
    src = program_shown(at)
    assert not at.exception and "BATCH_SIZE = 128" in src and "self.conv3a = nn.Conv2d(32, 64" in src
    assert "self.whiten = nn.Conv2d(3, 24, kernel_size=2, stride=2)" in src
    assert download_label(at) == "Download cnnlab_fast_cpu.py"
    compile(src, "cnnlab_fast_cpu.py", "exec")
    at.number_input(key="cfg_lr").set_value(50.0).run()              # a setting out of range: no program
    assert not at.exception and any("when the settings above have no problems" in i.value for i in at.info)
    assert not [c for c in at.code if c.language == "python"]


@pytest.mark.slow
def test_the_program_speaks_spanish_with_lang_es(page_env):
    at = train_page({"lang": "es"})
    assert "El código detrás de estos ajustes" in [e.label for e in at.expander]
    assert any("programa de PyTorch sencillo" in c.value for c in at.caption)
    src = program_shown(at)
    assert "# Los ajustes, tal como los tiene la página Entrenar." in src and "época {epoch}" in src
    assert "The settings, as the Train page" not in src
    assert download_label(at) == "Descargar cnnlab_tutorial.py"


@pytest.mark.slow
def test_a_folder_of_images_gives_a_program_that_reads_it(page_env):
    from ui import shared
    folder = tiny_folder(page_env / "colours", per_class=6)
    at = train_page()
    mine = shared.sessions().get(at.session_state["_token"])
    mine.uploads, mine.source = [str(folder)], str(folder)        # as the sidebar offers an upload
    at.selectbox(key="preset").set_value("demo").run()
    src = program_shown(at)
    assert not at.exception and "NUM_CLASSES = 3" in src and "HOLDOUT = 0.1" in src and "Give --data" in src
    assert re.search(r"MEAN = \(0\.\d+, 0\.\d+, 0\.\d+\)", src) and "Shapes-10" not in src


def test_the_facts_of_a_folder_data_set():
    from smalldata import tiny_dataset
    ds = tiny_dataset()
    facts = export.facts_of(ds, "/somewhere/shapes", normalize=True)
    assert facts.source == "folder" and facts.classes == tuple(ds.classes) and facts.image_size == 32
    assert facts.mean == tuple(round(float(v), 4) for v in ds.mean_std()[0])
    assert export.facts_of(ds, "builtin") == export.CIFAR10 == export.facts_of(ds, "cifar10")
