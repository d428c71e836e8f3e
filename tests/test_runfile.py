"""What a run.json may hold (cnnlib.runfile), the memory limit on the network it names, and broken
runs in the runs folder: every mutation of a valid run.json either gives a CheckpointError with a
message, or a run that lists, labels, compares and predicts; never another exception.

    .venv/bin/python -m pytest tests/test_runfile.py -q
    CNNLAB_EXAMPLES=3000 .venv/bin/python -m pytest tests/test_runfile.py -q    # a longer, random search
"""
from __future__ import annotations

import io
import json
import os
import resource
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnlib import checkpoints, models, runfile, train
from cnnlib.checkpoints import CheckpointError, bundle, load_bundle, load_run, run_meta, save_bundle_to, save_run
from cnnlib.compare import comparison_table, curves_figure
from cnnlib.config import TrainConfig
from cnnlib.guess import Guess, compare
from cnnlib.history import History
from cnnlib.inference import predict, predictor_from_folder
from cnnlib.runs import broken_runs, delete_run, list_runs, pretrained_dir, rename_run, run_label, save_history
from cnnlib.train import Changed, EpochEnd, Finished

CFG = TrainConfig(model="small", conv_dropout=0.0, fc_dropout=0.0, normalize=True)
CLASSES = ("cat", "dog")
# Examples per property: few and always the same ones by default (fast, deterministic); more, and
# random, when CNNLAB_EXAMPLES is set.
EXAMPLES = int(os.environ.get("CNNLAB_EXAMPLES", "0"))


def examples(n: int) -> dict:
    return {"max_examples": EXAMPLES or n, "derandomize": not EXAMPLES, "deadline": None, "database": None}


def rss() -> int:
    """This process's resident memory now, bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """The most memory this process has ever held, bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def png(color=(200, 30, 30), size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def history() -> History:
    epochs = [EpochEnd(0, 0.9, 0.55, 0.8, 0.6, 1.5, 1.5), EpochEnd(1, 0.7, 0.65, 0.75, 0.62, 1.4, 2.9)]
    return History(CFG, state="finished", epochs=epochs, changes=[Changed(1, 3, 0.01, 0.9)],
                   finished=Finished(2, 0.62, 0.62, 2.9, (0.5, 0.74)), dataset="tiny", classes=CLASSES,
                   mean=[0.5, 0.45, 0.4], std=[0.25, 0.24, 0.26], guess=Guess(70.0, "yes"))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A runs folder holding one valid run of a tiny network: (runs folder, run folder, its run.json)."""
    root = tmp_path_factory.mktemp("runs")
    torch.manual_seed(0)
    model = models.build_model("small", len(CLASSES))
    folder = save_history(root, model, history(), name="base", command="python -m cnnlib train",
                          tests=[asdict(train.Tested(0, 5, 0.85, 0.58, 0.7))])
    return root, folder, json.loads((folder / "run.json").read_text())


# --- every field, mutated ------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["NaN", "inf", "-1", "", "abc", "x" * 5000, "cnnlab-run/1", "tutorial", "fast", "finished",
                     "flip+shift", "../../etc"]),
    st.sampled_from([0, 1, -1, 2, 3, 8, 16, 31, 64, 384, 1024, 10**6, 0.5, 1.0, 1e-9, 1e300]),
)
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                    max_leaves=6)


def paths(meta: dict) -> list[tuple]:
    """Every place in a run.json the app reads: each top-level key, each config key, each field of
    the first record of each list, each element of mean, std and classes."""
    out = [(k,) for k in meta]
    out += [("config", k) for k in meta["config"]]
    for key in ("epochs", "changes", "tests"):
        out += [(key, 0, k) for k in meta[key][0]] + [(key, 0), (key, 1)]
    out += [("mean", 1), ("std", 2), ("classes", 1), ("per_class_acc", "cat"), ("versions", "torch"),
            ("guess", "accuracy"), ("guess", "gap")]
    return out


def at(meta: dict, path: tuple):
    """The value at `path` in meta (None where the path no longer leads anywhere)."""
    for p in path:
        try:
            meta = meta[p]
        except (KeyError, IndexError, TypeError):
            return None
    return meta


def similar(value) -> st.SearchStrategy:
    """Values of the same kind as `value`, some in range and some just out of it."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-2, 70) | st.sampled_from([0, 8, 16, 24, 64, 96, 256, 512, 1000])
    if isinstance(value, float):
        return st.floats(-0.5, 1.5) | st.floats(0, 1)
    if isinstance(value, str):
        return st.text(max_size=30) | st.sampled_from(["", value + "x", value.upper(), "flip", "crop", "adam"])
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5)
    if isinstance(value, list):
        return st.just(value[:1]) | st.just([]) | st.just(value * 2)
    return st.just({})


def mutate(meta: dict, path: tuple, how: str, value):
    """A deep copy of meta with the place `path` set to `value`, deleted, or given an extra key."""
    meta = json.loads(json.dumps(meta))
    *parents, last = path
    holder = meta
    for p in parents:
        holder = holder[p]
    if isinstance(holder, list) and last >= len(holder):
        last = len(holder) - 1
    if how == "delete":
        del holder[last]
    elif how == "extra" and isinstance(holder, dict):
        holder["unknown_" + str(last)] = value
    else:
        holder[last] = value
    return meta


def check_everything(root: Path, folder: Path, text: str, good: dict) -> None:
    """Write run.json and use the run the way every page does; only a CheckpointError may stop it."""
    original = (folder / "run.json").read_text()
    try:
        (folder / "run.json").write_text(text)
        _use(root, folder, good)
    finally:
        (folder / "run.json").write_text(original)


def _use(root: Path, folder: Path, good: dict) -> None:
    listed, broken = list_runs(root), broken_runs(root)
    assert len(listed) + len(broken) == 1
    if broken:
        event("refused when listed")
        reason = broken[0][1]
        assert folder.name in reason and "object at 0x" not in reason and len(reason) < 1500
        with pytest.raises(CheckpointError):
            load_run(folder)
        return
    meta = listed[0][1]
    assert run_label(meta)
    curves_figure([meta, good], train=True)
    assert len(comparison_table([meta, good])) == 2
    try:
        p = predictor_from_folder(folder)
    except CheckpointError as e:               # e.g. classes or a model the weights do not fit
        event("listed, refused when loaded")
        assert folder.name in str(e) and "object at 0x" not in str(e)
        return
    event("listed, loaded and predicted")
    top = predict(p, png(), k=len(p.classes)).top
    assert len(top) == len(p.classes) == len(meta["classes"])



@settings(**examples(150), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_field_mutated_gives_a_message_or_a_working_run(base, data):
    root, folder, meta = base
    good = runfile.validate(meta, "base")
    changed = meta
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(paths(meta)), label="path")
        how = data.draw(st.sampled_from(["junk", "similar", "similar", "delete", "extra"]), label="how")
        value = data.draw(similar(at(changed, path)) if how == "similar" else JUNK, label="value")
        try:
            changed = mutate(changed, path, how, value)
        except (KeyError, IndexError, TypeError):   # an earlier mutation removed or replaced the parent
            pass
    check_everything(root, folder, json.dumps(changed), good)


@settings(**examples(80))
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                     st.sampled_from([b"[" * 100_000, b"{\"a\":" * 50_000, b"1" * 10_000, b"NaN", b"null",
                                      b"\xff\xfe\x00\x00", json.dumps({"format": "cnnlab-run/1"}).encode()])))
def test_any_bytes_as_run_json_give_a_message(raw):
    with pytest.raises(CheckpointError) as e:
        runfile.parse(raw, "upload.zip")
    assert str(e.value).startswith("upload.zip")


def test_a_valid_run_json_is_returned_whole_and_normalised(base):
    _, folder, meta = base
    out = runfile.read(folder / "run.json", folder.name)
    assert out["epochs"] == meta["epochs"] and out["changes"] == meta["changes"] and out["tests"] == meta["tests"]
    assert out["config"] == CFG.to_dict() and out["classes"] == list(CLASSES) and out["image_size"] == 32
    assert out["per_class_acc"] == {"cat": 0.5, "dog": 0.74} and out["mean"] == [0.5, 0.45, 0.4]
    assert out["command"] == "python -m cnnlib train" and out["versions"]["torch"] == torch.__version__
    assert out["guess"] == {"accuracy": 70.0, "gap": "yes"}
    extra = dict(meta, future_field={"x": 1}, config=dict(meta["config"], future_setting=3))
    assert runfile.validate(extra, "x") == out                     # unknown keys are dropped, not refused


def test_shipped_and_older_runs_stay_valid(tmp_path):
    for folder, meta in [(f, json.loads((f / "run.json").read_text())) for f in sorted(pretrained_dir().iterdir())]:
        out = runfile.validate(meta, folder.name)
        # made before quick tests were marked: every test was a full one
        assert out["epochs"] == [dict(e, sampled=0) for e in meta["epochs"]] and out["name"] == meta["name"]
    old = run_meta(TrainConfig(), [str(i) for i in range(10)])      # an older run: no mean, std, seconds...
    old["config"] = {k: v for k, v in old["config"].items() if k not in ("lr_end", "bias_lr", "crop")}
    old["config"]["tta"] = True                                     # before 2026-11-29 tta was a bool
    for key in ("image_size", "state", "versions"):
        del old[key]
    out = runfile.validate(old, "old")
    assert out["config"]["tta"] == "flip" and out["image_size"] == 32 and out["mean"] is None
    assert out["guess"] is None                                     # before Guess first: no guess


# --- the reproductions ---------------------------------------------------------------------------

def edited_bundle(folder: Path, **changes) -> bytes:
    """A downloaded run file with run.json edited by hand."""
    meta = json.loads((folder / "run.json").read_text())
    meta.update(changes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("run.json", json.dumps(meta))
        z.writestr("weights.pt", (folder / "weights.pt").read_bytes())
    return buf.getvalue()


def test_an_upload_with_epochs_abc_is_refused_naming_the_field(base, tmp_path):
    _, folder, _ = base
    with pytest.raises(CheckpointError, match=r"mine\.zip: run\.json's 'epochs' is 'abc', but it must be a list"):
        save_bundle_to(tmp_path / "runs", edited_bundle(folder, epochs="abc"), "mine.zip")
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("changes, field", [
    ({"epochs": [{"epoch": 0, "test_acc": "x"}]}, "epochs[0]"),
    ({"epochs": [{"epoch": 0, "train_loss": 1, "train_acc": 0.5, "test_loss": 1, "test_acc": 7, "seconds": 1,
                  "elapsed": 1}]}, "epochs[0].test_acc"),
    ({"created": 5}, "created"), ({"name": ["a"]}, "name"), ({"state": "running"}, "state"),
    ({"classes": ["cat", "cat"]}, "classes"), ({"classes": ["cat", ""]}, "classes[1]"),
    ({"image_size": "32"}, "image_size"), ({"image_size": 2**70}, "image_size"),
    ({"mean": [0.5, 0.5]}, "mean"), ({"std": [0.2, 0.0, 0.2]}, "std[1]"), ({"seconds": float("nan")}, "seconds"),
    ({"per_class_acc": {"cat": 2}}, "per_class_acc"), ({"versions": ["2.0"]}, "versions"),
    ({"changes": [{"epoch": 0, "step": 1, "lr": -1, "momentum": 0.9}]}, "changes[0].lr"),
    ({"config": {"model": "small", "nesterov": "no"}}, "nesterov"), ({"config": {"data_root": 7}}, "data_root"),
    ({"config": {"lr": "abc"}}, "lr"), ({"config": "fast"}, "config"),
    ({"guess": 70}, "guess"), ({"guess": {"accuracy": 101, "gap": None}}, "guess.accuracy"),
    ({"guess": {"accuracy": "70"}}, "guess.accuracy"), ({"guess": {"accuracy": True}}, "guess.accuracy"),
    ({"guess": {"accuracy": float("nan")}}, "guess.accuracy"), ({"guess": {"gap": "maybe"}}, "guess.gap"),
    ({"guess": {"gap": ["yes"]}}, "guess.gap"),
])
def test_wrong_types_and_values_are_refused_naming_the_field(base, changes, field):
    _, folder, _ = base
    with pytest.raises(CheckpointError) as e:
        load_bundle(edited_bundle(folder, **changes), "edited.zip")
    assert str(e.value).startswith("edited.zip: ") and field in str(e.value)


def test_a_huge_network_is_refused_before_anything_is_allocated(tmp_path, monkeypatch):
    """A 3 kB run.json naming the tutorial's CNN on 384-pixel images: 2.3 GB of weights, refused
    with the size and the limit before a network exists."""
    def must_not_build(*a, **kw):
        raise AssertionError("a network was built before the run was refused")
    monkeypatch.setattr(checkpoints, "build_model", must_not_build)
    folder = tmp_path / "runs" / "huge"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(run_meta(TrainConfig(), [str(i) for i in range(10)],
                                                         image_size=384)))
    torch.save({}, folder / "weights.pt")
    before, peak = rss(), peak_rss()
    with pytest.raises(CheckpointError, match=r"'tutorial' network for 384×384 images .* 2\.3 GB .* limit of 128 MB"):
        load_run(folder)
    with pytest.raises(CheckpointError, match="limit of 128 MB"):
        load_bundle(bundle(folder), "huge.zip")
    assert rss() - before < 100 * 2**20 and peak_rss() - peak < 300 * 2**20
    assert [f for f, _ in broken_runs(tmp_path / "runs")] == [folder] and not list_runs(tmp_path / "runs")


def test_the_limit_can_be_changed_and_the_estimate_reused(monkeypatch):
    f = models.footprint("tutorial", 10, 32)
    assert f.parameters == 4_210_090 and f.weight_bytes == 4 * 4_210_090
    assert models.estimate("tutorial", 10, 32, batch_size=32) == f.weight_bytes + 32 * f.activation_bytes
    assert models.too_large("tutorial", 10, 64) == ""                           # 67 MB: fits
    monkeypatch.setenv("CNNLAB_MAX_MODEL_MB", "16")
    assert "limit of 16 MB" in models.too_large("tutorial", 10, 32)
    monkeypatch.setenv("CNNLAB_MAX_MODEL_MB", "junk")
    assert models.max_model_bytes() == models.MAX_MODEL_MB * 2**20
    with pytest.raises(ValueError, match="multiple of 8"):
        models.footprint("small", 10, 20)


def test_a_weights_file_larger_than_its_network_is_not_read(base, tmp_path, monkeypatch):
    _, folder, _ = base
    run = tmp_path / "runs" / "padded"
    run.mkdir(parents=True)
    (run / "run.json").write_bytes((folder / "run.json").read_bytes())
    (run / "weights.pt").write_bytes(b"\0" * (3 * 2**20))            # 3 MB for a 0.3 MB network
    read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("weights.pt was read")
                        if self.name == "weights.pt" else read(self))
    with pytest.raises(CheckpointError, match="weights.pt is 3.0 MB, but the weights of a 'small' network"):
        load_run(run)


def test_a_weights_zip_declaring_more_than_its_network_is_refused(base):
    _, folder, _ = base
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:   # 50 MB of zeros in a few kB
        z.writestr("archive/data/0", b"\0" * (50 * 2**20))
    meta = runfile.read(folder / "run.json", "x")
    with pytest.raises(CheckpointError, match="weights.pt is 50.0 MB"):
        checkpoints._build(meta, buf.getvalue(), "x")


def test_every_failure_to_load_a_listed_run_is_a_checkpoint_error(base, tmp_path):
    _, folder, _ = base
    run = save_run(tmp_path / "r", torch.nn.Linear(2, 2), json.loads((folder / "run.json").read_text()))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_run(run)
    (run / "weights.pt").unlink()
    (run / "weights.pt").mkdir()                                    # not a file
    with pytest.raises(CheckpointError, match="not a saved run"):
        load_run(run)
    with pytest.raises(CheckpointError, match="not a saved run"):
        load_run(tmp_path / "gone")


# --- broken runs in the runs folder ---------------------------------------------------------------

def test_broken_runs_are_listed_with_the_reason_and_can_be_deleted(base, tmp_path):
    _, good, _ = base
    root = tmp_path / "runs"
    ok = save_run(root / "ok", models.build_model("small", 2), json.loads((good / "run.json").read_text()))
    abc = save_run(root / "abc", models.build_model("small", 2),
                   dict(json.loads((good / "run.json").read_text()), epochs="abc"))
    only_weights, only_meta = root / "only-weights", root / "only-meta"
    only_weights.mkdir()
    (only_weights / "weights.pt").write_bytes((good / "weights.pt").read_bytes())
    only_meta.mkdir()
    (only_meta / "run.json").write_text("{not json")
    (root / ".saving").mkdir()                                      # a save in progress: not listed
    (root / ".saving" / "weights.pt").write_bytes(b"")
    (root / "empty").mkdir()                                        # not a run at all
    assert [f for f, _ in list_runs(root)] == [ok]
    reasons = dict(broken_runs(root))
    assert set(reasons) == {abc, only_weights, only_meta}
    assert "'epochs' is 'abc'" in reasons[abc]
    assert "weights.pt but no run.json" in reasons[only_weights]
    assert "run.json but no weights.pt" in reasons[only_meta]
    for folder in (abc, only_weights, only_meta):
        assert delete_run(folder, root) and not folder.exists()
    assert broken_runs(root) == [] and (root / "empty").exists() and (root / ".saving").exists()


def test_delete_run_deletes_nothing_outside_the_runs_folder(base, tmp_path):
    _, good, _ = base
    root, outside = tmp_path / "runs", tmp_path / "outside"
    save_run(outside, models.build_model("small", 2), json.loads((good / "run.json").read_text()))
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "nested").mkdir()
    save_run(root / "nested" / "deep", models.build_model("small", 2), json.loads((good / "run.json").read_text()))
    for target in (outside, root / "link", root, root / "nested" / "deep", root / "..", root / "link" / ".."):
        assert not delete_run(target, root)
    assert outside.exists() and (root / "nested" / "deep" / "run.json").exists()
    assert not delete_run(root / "missing", root)


def test_a_renamed_run_stays_valid(base, tmp_path):
    _, good, _ = base
    run = save_run(tmp_path / "r", models.build_model("small", 2), json.loads((good / "run.json").read_text()))
    rename_run(run, "x" * 10_000)
    assert len(list_runs(tmp_path)[0][1]["name"]) == runfile.TEXT_LIMITS["name"]


# --- Guess first ---------------------------------------------------------------------------------

@pytest.mark.parametrize("guess, want", [
    (None, None), ({}, {"accuracy": None, "gap": None}), ({"gap": "unsure"}, {"accuracy": None, "gap": "unsure"}),
    ({"accuracy": 0, "gap": "no"}, {"accuracy": 0.0, "gap": "no"}),
    ({"accuracy": 100}, {"accuracy": 100.0, "gap": None}),
])
def test_a_guess_is_optional_and_each_part_of_it_too(base, guess, want):
    _, _, meta = base
    assert runfile.validate(dict(meta, guess=guess), "x")["guess"] == want


def test_a_guess_out_of_range_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="from 0 to 100"):
        Guess(120.0)
    with pytest.raises(ValueError, match="yes, no or unsure"):
        Guess(gap="maybe")
    assert Guess().empty and not Guess(gap="no").empty


def test_the_guess_is_set_beside_the_final_epoch():
    epochs = [{"train_acc": 0.5, "test_acc": 0.5}, {"train_acc": 0.9, "test_acc": 0.62}]
    rows = compare({"accuracy": 70.0, "gap": "no"}, epochs)
    assert [r["guessed"] for r in rows] == ["70.0 %", "no, it will keep up"]
    assert rows[0]["happened"] == "62.0 % (-8.0 points)"
    assert rows[1]["happened"].startswith("yes: 62.0 % on the test set, 90.0 % in training")
    assert compare(Guess(gap="yes"), [EpochEnd(0, 1, 0.6, 1, 0.6, 1, 1)])[0]["happened"].startswith("no:")
    assert compare(None, epochs) == compare(Guess(50), []) == []
    assert rows[1]["happened"].say("es").startswith("sí: 62,0 %")


def test_a_record_missing_a_field_is_quoted_as_the_file_has_it():
    meta = run_meta(TrainConfig(), [str(i) for i in range(10)])
    meta["epochs"] = [{"epoch": 0, "train_loss": 1.0}]                 # no test_acc, no sampled
    with pytest.raises(runfile.CheckpointError) as e:
        runfile.validate(meta, "x")
    assert "'epochs[0]' is a mapping of 2, but it has no 'train_acc'" in str(e.value)   # not 3: no filled-in "sampled"
    # the fields it needs, and "sampled" (which an older CNN Lab's file lacks) only as optional
    assert "each with epoch, train_loss, train_acc, test_loss, test_acc, seconds, elapsed (and, optionally, sampled)" \
        in str(e.value), str(e.value)
