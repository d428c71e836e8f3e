"""Continue training from the Runs page, under Streamlit's AppTest (issue #18 point 5): a tiny saved
run is trained further, saved as a new run naming its parent, its epochs continuing the numbering.

    .venv/bin/python -m pytest tests/test_app_continue.py -q
"""
import json
from pathlib import Path

import pytest
from test_app import app, env, mine, text, wait  # noqa: F401 - env: the app's temporary folders and tiny data

pytestmark = pytest.mark.slow


def saved_run(folder: Path) -> Path:
    """A run of one epoch on the built-in data set (as the app loads it here), saved as the app saves runs."""
    from cnnlib import sources
    from cnnlib.config import TrainConfig
    from cnnlib.session import SessionRun
    lab = SessionRun()
    cfg = TrainConfig(model="fast", epochs=1, batch_size=64, lr=0.05, device="cpu", precision="fp32")
    lab.start(cfg, sources.load_source("builtin"), folder=folder, name="tiny parent")
    lab.runner._thread.join(60)
    assert lab.snapshot().checkpoint, lab.snapshot().save_error
    return Path(lab.snapshot().checkpoint)


def test_a_saved_run_continues_from_the_runs_page_as_a_new_run_naming_its_parent(env):
    parent = saved_run(env / "runs")
    at = app("runs")
    assert at.button(key="continue").label == "Continue training"
    assert any("momentum" in c.value for c in at.caption)                   # the page explains it
    assert not any("without its optimiser's state" in c.value for c in at.caption)   # it goes on exactly
    at.number_input(key="continue_epochs").set_value(2)
    at.button(key="continue").click().run()
    assert not at.exception
    assert mine(at).runner is not None                  # started; the page opens Train (st.switch_page,
    at.switch_page("pages/train.py").run()              # which AppTest does not follow by itself)
    wait(at, lambda at: (h := mine(at).snapshot()) is not None and h.ended and not mine(at).busy)
    h = mine(at).snapshot()
    assert h.state == "finished" and h.checkpoint and h.parent == parent.name, (h.message, h.save_error)
    assert "Continues the run" in text(at)                                   # Train shows it, its chart too
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if any(tr.get("name") == "test accuracy" for tr in json.loads(c.proto.spec)["data"]))
    test_acc = next(tr for tr in chart["data"] if tr.get("name") == "test accuracy")
    assert list(test_acc["x"]) == [1, 2, 3]                                 # the parent's epoch, then two more
    child = json.loads((Path(h.checkpoint) / "run.json").read_text())
    assert child["parent"] == parent.name and [e["epoch"] for e in child["epochs"]] == [0, 1, 2]
    assert child["config"]["epochs"] == 3 and (Path(h.checkpoint) / "optimizer.pt").is_file()
    at.switch_page("pages/runs.py").run()                   # both runs listed, the new one naming its parent
    at.selectbox(key="manage").set_value(h.checkpoint).run()
    assert not at.exception and f"Continues {parent.name}." in [c.value for c in at.caption]


def test_a_finished_run_continues_from_train_itself(env):
    parent = saved_run(env / "runs")
    at = app("runs")
    at.number_input(key="continue_epochs").set_value(1)
    at.button(key="continue").click().run()
    at.switch_page("pages/train.py").run()
    wait(at, lambda at: (h := mine(at).snapshot()) is not None and h.ended and not mine(at).busy and h.checkpoint)
    child = mine(at).snapshot()
    at.run()
    assert at.button(key="continue").label == "Continue training"           # under the saved run's summary
    at.number_input(key="continue_epochs").set_value(1)
    at.button(key="continue").click().run()
    assert not at.exception and mine(at).snapshot().parent == Path(child.checkpoint).name
    wait(at, lambda at: (h := mine(at).snapshot()).ended and not mine(at).busy and h.checkpoint)
    h = mine(at).snapshot()
    assert h.state == "finished" and [e.epoch for e in h.epochs] == [0, 1, 2]
    assert json.loads((Path(h.checkpoint) / "run.json").read_text())["parent"] == Path(child.checkpoint).name
    assert parent.name != Path(child.checkpoint).name


def test_continuing_on_other_data_is_refused_with_a_message(env, monkeypatch):
    parent = saved_run(env / "runs")
    meta = json.loads((parent / "run.json").read_text())
    (parent / "run.json").write_text(json.dumps(dict(meta, dataset="CIFAR-10")))
    at = app("runs")
    at.sidebar.radio(key="_lang").set_value("es").run()
    assert at.button(key="continue").label == "Seguir entrenando"
    at.button(key="continue").click().run()
    assert not at.exception and "se entrenó con CIFAR-10" in at.error[0].value
    assert mine(at).runner is None


def test_an_absurd_number_of_epochs_to_add_is_named_not_replaced(env):
    """The box takes what is typed; the server names a count out of range and starts nothing."""
    saved_run(env / "runs")
    at = app("runs")
    for typed, said in ((0, "at least 1 more epoch, not 0"), (100_000, "epochs")):
        at.number_input(key="continue_epochs").set_value(typed)
        at.button(key="continue").click().run()
        assert not at.exception and mine(at).runner is None
        assert any(said in e.value for e in at.error), [e.value for e in at.error]



def test_a_run_saved_without_its_optimisers_state_says_it_goes_on_with_a_fresh_one(env):
    parent = saved_run(env / "runs")
    (parent / "optimizer.pt").unlink()                   # as a shipped run, or an older CNN Lab's
    at = app("runs")
    assert not at.exception and at.button(key="continue").label == "Continue training"
    assert any("saved without its optimiser's state" in c.value for c in at.caption)
