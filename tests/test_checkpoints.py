"""Saving and loading runs (cnnlib.checkpoints) and the runs folder (cnnlib.runs): round trips,
and that corrupt, foreign, ill-fitting and malicious files are refused with CheckpointError.

    .venv/bin/python -m pytest tests/test_checkpoints.py -q
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch

from cnnlib.checkpoints import (
    CheckpointError,
    bundle,
    bundle_bytes,
    load_bundle,
    load_run,
    run_meta,
    save_bundle_to,
    save_run,
)
from cnnlib.config import TrainConfig
from cnnlib.history import History
from cnnlib.models import build_model
from cnnlib.runs import broken_runs, delete_run, list_runs, rename_run, save_history
from cnnlib.train import EpochEnd, Finished

CFG = TrainConfig(model="fast", conv_dropout=0.0, fc_dropout=0.0)
CLASSES = tuple("abcdefghij")


def trained_like_model() -> torch.nn.Module:
    """A fast model with non-default weights and batch-norm statistics."""
    torch.manual_seed(0)
    m = build_model("fast")
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    m.train()
    m(torch.rand(8, 3, 32, 32))                   # moves the running means
    return m.eval()


@pytest.fixture
def saved(tmp_path) -> tuple[Path, torch.nn.Module]:
    m = trained_like_model()
    folder = save_run(tmp_path / "run", m, run_meta(CFG, CLASSES, name="mine", dataset="tiny"))
    return folder, m


def predictions(model, x):
    with torch.no_grad():
        return model.eval()(x)


def test_save_and_load_give_identical_predictions(saved):
    folder, m = saved
    assert sorted(p.name for p in folder.iterdir()) == ["run.json", "weights.pt"]   # no temp files left
    run = load_run(folder)
    x = torch.rand(5, 3, 32, 32)
    assert torch.equal(predictions(run.model, x), predictions(m, x))
    assert run.classes == CLASSES and run.config == CFG and not run.model.training
    assert run.meta["name"] == "mine" and run.meta["versions"]["torch"] == torch.__version__
    assert torch.equal(predictions(load_run(folder / "weights.pt").model, x), predictions(m, x))


def test_the_tutorial_model_round_trips_too(tmp_path):
    cfg = TrainConfig()
    m = build_model("tutorial", 3)
    folder = save_run(tmp_path / "t", m, run_meta(cfg, ("x", "y", "z")))
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(predictions(load_run(folder).model, x), predictions(m, x))


def test_bundle_round_trip(saved, tmp_path):
    folder, m = saved
    data = bundle(folder)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["run.json", "weights.pt"]
    x = torch.rand(3, 3, 32, 32)
    assert torch.equal(predictions(load_bundle(data).model, x), predictions(m, x))
    (tmp_path / "run.zip").write_bytes(data)
    assert load_run(tmp_path / "run.zip").classes == CLASSES
    unpacked = save_bundle_to(tmp_path / "runs", data, "upload.zip")
    assert torch.equal(predictions(load_run(unpacked).model, x), predictions(m, x))
    assert load_run(unpacked).meta["name"] == "mine"
    again = save_bundle_to(tmp_path / "runs", data, "upload.zip")   # the same file twice, the same second
    assert again != unpacked and load_run(unpacked).meta["name"] == load_run(again).meta["name"] == "mine"


def test_save_run_replaces_files_atomically(saved, monkeypatch):
    folder, m = saved
    before = (folder / "weights.pt").read_bytes()

    def crash(*a, **kw):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_run(folder, build_model("fast"), run_meta(CFG, CLASSES))
    monkeypatch.undo()
    assert (folder / "weights.pt").read_bytes() == before, "a failed save damaged the old weights"
    assert sorted(p.name for p in folder.iterdir()) == ["run.json", "weights.pt"], "a temp file was left"
    load_run(folder)


# --- refused files ----------------------------------------------------------------------------------

def test_a_folder_without_a_run_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="not a saved run"):
        load_run(tmp_path)


def _cut_in_half(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


@pytest.mark.parametrize("damage, message", [
    (_cut_in_half, "damaged or not plain weights"),
    (lambda path: path.write_bytes(os.urandom(4096)), "damaged or not plain weights"),
    (lambda path: torch.save({"a": 1, "b": [1, 2]}, path), "no state_dict of tensors"),
], ids=["truncated", "random bytes", "not a state_dict"])
def test_damaged_weights_are_refused_with_a_message(saved, damage, message):
    folder, _ = saved
    damage(folder / "weights.pt")
    with pytest.raises(CheckpointError, match=message):
        load_run(folder)


@pytest.mark.parametrize("meta", [b"{not json", b"\xff\xfe", json.dumps({"config": {}, "classes": []}).encode(),
                                  json.dumps(["cnnlab-run/1"]).encode(),
                                  json.dumps({"format": "cnnlab-run/1", "classes": ["a"]}).encode()])
def test_a_foreign_run_json_is_refused(saved, meta):
    folder, _ = saved
    (folder / "run.json").write_bytes(meta)
    with pytest.raises(CheckpointError):
        load_run(folder)


@pytest.mark.parametrize("key, value", [("config", ["not", "a", "dict"]), ("classes", 10),
                                        ("classes", "abcdefghij"), ("config", {"model": "alexnet"})])
def test_a_config_from_another_program_is_refused(saved, key, value):
    folder, _ = saved
    meta = json.loads((folder / "run.json").read_text())
    meta[key] = value
    (folder / "run.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError):
        load_run(folder)


@pytest.mark.parametrize("change", [{"classes": ["a", "b", "c"]}, {"classes": list("abcdefghijk")},
                                    {"model": "tutorial"}, {"model": "vgg"}])
def test_weights_that_do_not_fit_the_architecture_are_refused(saved, change):
    folder, _ = saved
    meta = json.loads((folder / "run.json").read_text())
    if "model" in change:
        meta["config"]["model"] = change["model"]
    else:
        meta.update(change)
    (folder / "run.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not fit") as e:
        load_run(folder)
    assert "Error(s) in loading" not in str(e.value)
    assert "size mismatch" in str(e.value) or "key" in str(e.value)   # it names what does not fit
    assert f"saved {meta['created'][:10]}" in str(e.value) and "train it again" in str(e.value)


@pytest.mark.parametrize("data", [os.urandom(2000), b"", b"PK\x03\x04 truncated"])
def test_a_bundle_that_is_not_a_zip_is_refused(data):
    with pytest.raises(CheckpointError, match="not a CNN Lab run file"):
        load_bundle(data)


def test_a_zip_without_the_right_members_is_refused(saved):
    folder, _ = saved
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("model.pt", (folder / "weights.pt").read_bytes())
        z.writestr("run.json", (folder / "run.json").read_bytes())
    with pytest.raises(CheckpointError, match="needs run.json and weights.pt"):
        load_bundle(buf.getvalue())


class Evil:
    """Unpickling this calls builtins.open(marker, 'w'): it would create the marker file."""

    def __init__(self, marker: Path, how: str):
        self.marker, self.how = marker, how

    def __reduce__(self):
        if self.how == "open":
            return (open, (str(self.marker), "w"))
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("how", ["open", "exec"])
@pytest.mark.parametrize("where", ["folder", "bundle"])
def test_a_malicious_pickle_is_refused_and_never_run(saved, tmp_path, how, where):
    folder, m = saved
    marker = tmp_path / "pwned"
    state = dict(m.state_dict())
    state["evil"] = Evil(marker, how)
    torch.save(state, folder / "weights.pt")
    with pytest.raises(CheckpointError, match="not plain weights"):
        load_run(folder) if where == "folder" else load_bundle(bundle(folder))
    assert not marker.exists(), "loading a checkpoint ran code from it"


def test_an_oversized_bundle_is_refused(monkeypatch, saved):
    import cnnlib.checkpoints as ck
    folder, _ = saved
    monkeypatch.setattr(ck, "MAX_BUNDLE_BYTES", 1000)
    with pytest.raises(CheckpointError, match="at most"):
        load_bundle(bundle(folder))


# --- the runs folder ----------------------------------------------------------------------------------

def history(state: str = "finished") -> History:
    ep = EpochEnd(0, 1.5, 0.4, 1.4, 0.45, 2.0, 2.0)
    return History(CFG, state=state, epochs=[ep],
                   finished=Finished(1, 0.45, 0.45, 2.0) if state == "finished" else None, dataset="tiny",
                   classes=CLASSES, mean=[0.5] * 3, std=[0.25] * 3)


def test_save_history_list_rename_delete(tmp_path):
    m = trained_like_model()
    a = save_history(tmp_path, m, history(), name="first")
    b = save_history(tmp_path, m, history("stopped"), name="first")    # same name, same second
    assert a != b and a.parent == b.parent == tmp_path
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "run.json").write_text(json.dumps({"format": "other"}))
    meta_a = json.loads((a / "run.json").read_text())
    meta_a["created"] = "2000-01-01T00:00:00"             # make a the older one
    (a / "run.json").write_text(json.dumps(meta_a))

    runs = list_runs(tmp_path)
    assert [p for p, _ in runs] == [b, a]
    meta = runs[1][1]
    assert meta["state"] == "finished" and meta["dataset"] == "tiny" and meta["mean"] == [0.5] * 3
    assert meta["epochs"][0]["test_acc"] == 0.45 and meta["seconds"] == 2.0
    assert runs[0][1]["state"] == "stopped"
    run = load_run(a)
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(predictions(run.model, x), predictions(m, x))

    rename_run(a, "  better name ")
    assert json.loads((a / "run.json").read_text())["name"] == "better name"
    rename_run(a, "   ")
    assert json.loads((a / "run.json").read_text())["name"] == "better name"
    assert not [p for p in a.iterdir() if p.name not in ("run.json", "weights.pt")]

    assert not delete_run(a) and a.exists()               # not in the runs folder ($CNNLAB_RUNS): left alone
    assert delete_run(a, tmp_path)
    assert not a.exists()
    assert not delete_run(tmp_path / "not-a-run", tmp_path)   # not a run: left alone
    assert (tmp_path / "not-a-run").exists()
    assert [p for p, _ in list_runs(tmp_path)] == [b]
    assert [p for p, _ in broken_runs(tmp_path)] == [tmp_path / "foreign"]   # run.json without weights.pt


def test_list_runs_of_a_missing_folder_is_empty(tmp_path, monkeypatch):
    assert list_runs(tmp_path / "none") == []
    monkeypatch.setenv("CNNLAB_RUNS", str(tmp_path / "elsewhere"))
    assert list_runs() == []


def test_half_precision_weights_are_half_the_size_and_load_back(tmp_path):
    import torch

    from cnnlib.checkpoints import load_run, run_meta, save_run
    from cnnlib.config import TrainConfig
    from cnnlib.models import build_model
    torch.manual_seed(0)
    model = build_model("tutorial", 10).eval()
    meta = run_meta(TrainConfig(), [str(i) for i in range(10)])
    full = save_run(tmp_path / "full", model, meta)
    half = save_run(tmp_path / "half", model, meta, half=True)
    assert (half / "weights.pt").stat().st_size < 0.6 * (full / "weights.pt").stat().st_size
    run = load_run(half)
    assert next(run.model.parameters()).dtype == torch.float32
    x = torch.rand(4, 3, 32, 32)
    assert torch.allclose(run.model(x), model(x), atol=1e-2)


def test_a_saved_history_records_per_class_accuracy_and_its_image_size(tmp_path):
    import json
    h = history()
    h.finished = Finished(1, 0.45, 0.45, 2.0, tuple(i / 10 for i in range(len(CLASSES))))
    h.image_size = 32
    meta = json.loads((save_history(tmp_path, trained_like_model(), h) / "run.json").read_text())
    assert meta["per_class_acc"] == {c: i / 10 for i, c in enumerate(CLASSES)}
    assert meta["image_size"] == 32


def test_a_run_that_could_not_be_saved_downloads_as_a_run_file_made_in_memory(tmp_path):
    """On a full disk the Train page offers the run as a file; added to a server, it is the same run."""
    from smalldata import tiny_dataset

    from cnnlib import runs
    from cnnlib.runner import Runner
    r = Runner(TrainConfig(epochs=1, batch_size=16, report_every=1), tiny_dataset())
    r.start()
    r._thread.join(60)
    h = r.snapshot()
    assert not r.alive and h.state == "finished"
    data = bundle_bytes(r.model, runs.history_meta(h))
    assert not list(tmp_path.iterdir())                      # nothing written on the way
    folder = save_bundle_to(tmp_path, data, "my run.zip")
    again = load_run(folder)
    assert again.classes == h.classes and again.meta["epochs"] == runs.history_meta(h)["epochs"]
    for k, v in r.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[k], v)
