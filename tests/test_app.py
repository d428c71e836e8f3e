"""The app's pages under Streamlit's AppTest, in-process, on a tiny data set.

    .venv/bin/python -m pytest tests/test_app.py -q

CNNLAB_DATA_LIMIT keeps Shapes-10 at a few hundred images so that runs end in seconds;
CNNLAB_DATA and CNNLAB_RUNS point at temporary folders, so CIFAR-10 is absent and nothing is
downloaded (the download test makes the network unreachable on purpose).
"""
import io
import json
import logging
import threading
import time
import weakref
from pathlib import Path

import pytest
import torch
from smalldata import png

ROOT = Path(__file__).resolve().parents[1]


class _NoScriptRunCtxWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoScriptRunCtxWarning())
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNLAB_DATA_LIMIT", "300")
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(tmp_path / "no-pretrained"))  # tests that want some make them
    threads = torch.get_num_threads()  # app.py sets torch's thread count for the whole process
    yield tmp_path
    for t in threading.enumerate():    # stop and join any training this test left behind
        if t.name == "cnnlab-train":
            from streamlit import cache_resource
            cache_resource.clear()
            t.join(15)
    torch.set_num_threads(threads)


def app(page: str | None = None):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    if page:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
    return at


def train_chart(at) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(s for s in specs if any(t.get("name") == "training loss" for t in s["data"]))


def wait(at, cond, timeout: float = 60.0):
    """Rerun the app every half second until cond(at) holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception
        if cond(at):
            return at
        time.sleep(0.5)
    raise AssertionError("timed out; page shows: " + " | ".join(str(e.value) for e in at.main)[:2000])


def values(field) -> list[float]:
    """A trace's x or y as a list: plotly writes a numpy array as {"dtype", "bdata": base64}."""
    if isinstance(field, dict):
        import base64

        import numpy as np
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"]).tolist()
    return list(field)


def steps(at) -> int:
    return len(values(train_chart(at)["data"][0]["y"]))


def mine(at):
    """The SessionRun of the session `at` is (its data set choice, uploads, run)."""
    from ui import shared
    return shared.sessions().get(at.session_state["_token"])


def markdown_table(at, first_column: str) -> list[dict[str, str]]:
    """The rows of the Markdown table (ui.tables.table) whose first column is `first_column`, as text."""
    md = next(m.value for m in at.markdown if m.value.startswith(f"| {first_column} |"))
    head, _, *body = md.splitlines()
    cols = [c.strip() for c in head.strip("|").split("|")]
    return [dict(zip(cols, (c.strip() for c in line.strip("|").split(" | ")))) for line in body]


def text(at) -> str:
    return " ".join(str(getattr(e, "value", "")) for e in at.main)


def test_every_page_renders_offline():
    at = app()
    assert "CIFAR-10 is not on this server" in at.warning[0].value
    assert at.sidebar.radio(key="_source").value == "builtin"
    at.switch_page("pages/data.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    at.switch_page("pages/train.py").run()
    assert not at.exception and at.button(key="start").disabled is False
    at.switch_page("pages/predict.py").run()
    assert not at.exception and "no trained model yet" in at.info[0].value


def grid_tiles(at, which: int) -> list[torch.Tensor]:
    """The 32x32 images a batch grid of the Data page shows (0: the batch, 1: after augmentation),
    in reading order, as (3, 32, 32) uint8: cut out of the grid's pixels, 8 to a row, 2 pixels apart."""
    import base64

    import numpy as np
    spec = json.loads(at.get("plotly_chart")[which].proto.spec)
    z = spec["data"][0]["z"]
    shape = tuple(int(n) for n in z["shape"].split(","))
    img = torch.from_numpy(np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape).copy())
    img = img.permute(2, 0, 1)
    n = len(spec["layout"]["annotations"])              # one label per image
    return [img[:, 2 + r * 34:2 + r * 34 + 32, 2 + k * 34:2 + k * 34 + 32] for r, k in (divmod(i, 8) for i in range(n))]


def grid_labels(at, which: int = 0) -> list[str]:
    return [a["text"] for a in json.loads(at.get("plotly_chart")[which].proto.spec)["layout"]["annotations"]]


def batch_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Batch "))


def test_data_page_controls():
    from cnnlib import sources
    ds = sources.load_source("builtin")       # what the page shows: CNNLAB_DATA_LIMIT's 300 training images, 60 test
    name = dict(enumerate(ds.classes))
    at = app("data")
    assert batch_caption(at) == "Batch 1 of 5 (64 images, in stored order)."
    assert grid_labels(at) == [name[int(c)] for c in ds.y_train[:64]]
    assert all(torch.equal(t, x) for t, x in zip(grid_tiles(at, 0), ds.x_train[:64], strict=True))
    at.button(key="next").click().run()
    assert not at.exception and batch_caption(at) == "Batch 2 of 5 (64 images, in stored order)."
    assert all(torch.equal(t, x) for t, x in zip(grid_tiles(at, 0), ds.x_train[64:128], strict=True))
    at.button(key="shuffle").click().run()
    assert batch_caption(at) == "Batch 1 of 5 (64 images, shuffled)."           # back to the first batch
    assert grid_labels(at) != [name[int(c)] for c in ds.y_train[:64]]

    star = ds.classes.index("star")
    at.selectbox(key="data_class").set_value("star").run()
    stars = int((ds.y_train == star).sum())
    assert batch_caption(at) == f"Batch 1 of 1 ({stars} images, shuffled)." and grid_labels(at) == ["star"] * stars
    at.radio(key="data_split").set_value("test").run()
    assert not at.exception
    test_stars = ds.x_test[ds.y_test == star]                                     # now the test split's stars
    assert 0 < len(test_stars) < stars
    assert batch_caption(at) == f"Batch 1 of 1 ({len(test_stars)} images, shuffled)."
    assert grid_labels(at) == ["star"] * len(test_stars)
    shown = grid_tiles(at, 0)
    assert sorted(t.numpy().tobytes() for t in shown) == sorted(x.numpy().tobytes() for x in test_stars)

    assert "**The same images after `flip+crop`**" in [m.value for m in at.markdown]   # the default
    assert any(not torch.equal(a, t) for a, t in zip(grid_tiles(at, 1), shown))
    at.selectbox(key="data_aug").set_value("flip").run()
    assert not at.exception
    assert "**The same images after `flip`**" in [m.value for m in at.markdown]
    augmented = grid_tiles(at, 1)                     # each image as it is, or mirrored: never moved
    assert len(augmented) == len(shown) and grid_labels(at, 1) == grid_labels(at, 0)
    mirrored = [torch.equal(a, t.flip(2)) and not torch.equal(a, t) for a, t in zip(augmented, shown)]
    assert all(m or torch.equal(a, t) for m, a, t in zip(mirrored, augmented, shown)) and any(mirrored)


def test_run_grows_chart_finishes_saves_and_predicts(env, monkeypatch):
    at = app("train")
    at.selectbox(key="preset").set_value("demo").run()
    assert at.number_input(key="cfg_batch_size").value == 256
    at.number_input(key="cfg_batch_size").set_value(64).run()
    at.button(key="start").click().run()
    assert not at.exception
    wait(at, lambda a: steps(a) >= 2)
    wait(at, lambda a: len(a.success) > 0)
    assert "Finished: 2 epochs" in at.success[0].value
    assert any(m.label == "Best test accuracy" for m in at.metric)
    saved = list((env / "runs").iterdir())
    assert len(saved) == 1 and (saved[0] / "weights.pt").exists()
    spec = train_chart(at)
    assert len(spec["data"][2]["y"]) == 2  # test accuracy after each epoch
    assert spec["data"][3]["line"]["dash"] == "dash"

    at.switch_page("pages/predict.py").run()
    assert not at.exception and at.selectbox(key="model").value.startswith("This session's run")
    at.file_uploader(key="img").set_value([("red.png", png(), "image/png"),
                                           ("broken.png", b"this is not an image", "image/png"),
                                           ("gray.png", png(90, (300, 200), "L"), "image/png")]).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2               # two images predicted
    assert "broken.png: not a readable image" in at.error[0].value
    assert len(at.get("image")) == 4               # each: the original and the 32x32
    assert len(charts(at)[0]["data"][0]["y"]) == 3                 # the top three classes
    at.slider(key="k").set_value(5).run()                          # more classes: from the kept prediction
    assert not at.exception and len(charts(at)[0]["data"][0]["y"]) == 5
    at.file_uploader(key="img").set_value([("huge.png", b"\x89PNG" + bytes(21 * 2**20), "image/png")]).run()
    assert not at.exception and "the limit is 20 MB" in at.error[0].value

    at.switch_page("pages/evaluate.py").run()                   # the session's run, evaluated on the test split
    assert not at.exception and at.selectbox(key="eval_model").value.startswith("This session's run")
    assert charts(at)[0]["data"][0]["type"] == "heatmap"
    from cnnlib import inference as predictor
    calls = []
    monkeypatch.setattr(predictor, "evaluate", lambda *a, **kw: calls.append(1))
    at.toggle(key="eval_normalized").set_value(True).run()
    assert not at.exception and not calls                        # the run is tested once, not on every rerun

    at.switch_page("pages/inspect.py").run()                     # fooled, and attacked on a test sample once
    assert not at.exception and at.selectbox(key="inspect_model").value.startswith("This session's run")
    assert any("against ε" in c["layout"]["title"]["text"] for c in charts(at))
    monkeypatch.setattr(predictor, "robustness", lambda *a, **kw: calls.append(1))
    at.slider(key="inspect_eps").set_value(12).run()
    assert not at.exception and not calls


def start_long_run(report_every: int = 2):
    """The Train page with a 50-epoch run of the default recipe started: it outlasts any test."""
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    at.number_input(key="cfg_report_every").set_value(report_every).run()
    at.button(key="start").click().run()
    return at


def test_pause_resume_stop(env):
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 2)
    at.button(key="pause").click().run()
    assert not at.exception and at.button(key="resume").disabled is False
    n = steps(at)
    time.sleep(1.5)
    at.run()
    assert steps(at) <= n + 1  # at most the step in flight when Pause was pressed
    at.button(key="resume").click().run()
    wait(at, lambda a: steps(a) > n + 1)
    at.button(key="stop").click().run()
    assert not at.exception
    wait(at, lambda a: any("Stopped in epoch" in w.value for w in a.warning) and not a.button(key="new").disabled)
    assert at.button(key="new").disabled is False and at.button(key="start").disabled is False
    assert list((env / "runs").iterdir())      # a stopped run is saved too
    at.button(key="new").click().run()
    assert not at.exception and "press Start" in at.info[0].value


def test_stop_answers_at_once_while_the_run_is_saved(monkeypatch):
    """Stop waits at most about a second for the run to end; a save that takes longer shows as
    such, with Pause, Resume, Stop and the live changes put away until it is done."""
    from cnnlib import session
    save = session.save_history

    def slow_save(*args):
        time.sleep(4)
        return save(*args)

    monkeypatch.setattr(session, "save_history", slow_save)
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    t = time.monotonic()
    at.button(key="stop").click().run()
    assert time.monotonic() - t < 3.5                           # the page did not wait for the save
    assert not at.exception
    assert any("Saving the run" in c.value for c in at.caption)
    assert all(at.button(key=k).disabled for k in ("pause", "resume", "stop", "start", "new"))
    assert "live_lr" not in [w.key for w in at.number_input]   # no live changes to a run that is ending
    wait(at, lambda a: any("Saved on this server as" in c.value for c in a.caption))
    assert "Stopped in epoch" in at.warning[0].value and not at.button(key="new").disabled


def test_a_run_slow_to_stop_shows_that_it_is_stopping(monkeypatch):
    """Stop pressed while the engine is busy for longer than the page waits (a long test, say):
    the page says the run is stopping, with the controls put away, until it has stopped."""
    import cnnlib.runner
    fit = cnnlib.runner.fit

    def slow_to_stop(model, data, cfg, control, **kw):
        for ev in fit(model, data, cfg, control, **kw):
            if control.should_stop():
                time.sleep(3)                               # as if a test of the whole test set were running
            yield ev

    monkeypatch.setattr(cnnlib.runner, "fit", slow_to_stop)
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    at.button(key="stop").click().run()
    assert not at.exception
    assert any("Stopping: the run ends" in c.value for c in at.caption)
    assert all(at.button(key=k).disabled for k in ("pause", "resume", "stop", "start", "new"))
    wait(at, lambda a: any("Saved on this server as" in c.value for c in a.caption))
    assert "Stopped in epoch" in at.warning[0].value


def test_the_tutorial_reference_line_can_be_hidden_and_shown():
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    names = lambda a: [t.get("name") for t in train_chart(a)["data"]]  # noqa: E731
    assert "tutorial (CIFAR-10)" in names(at)
    label = at.toggle(key="reference").label                       # it says the line is another data set's
    assert "measured on CIFAR-10, not on Shapes-10" in label            # the tests train on the built-in set
    at.toggle(key="reference").set_value(False).run()
    assert not at.exception and "tutorial (CIFAR-10)" not in names(at)
    at.toggle(key="reference").set_value(True).run()
    assert "tutorial (CIFAR-10)" in names(at)
    at.button(key="stop").click().run()


def test_change_during_run_is_marked_on_chart():
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    at.number_input(key="live_lr").set_value(0.01).run()
    at.button(key="apply").click().run()
    wait(at, lambda a: any("lr 0.01" in x.get("text", "") for x in train_chart(a)["layout"]["annotations"]))
    at.button(key="stop").click().run()
    assert not at.exception


def test_the_train_page_draws_each_setting_once_in_its_group():
    from cnnlib.config import SETTINGS, facts, groups
    from cnnlib.words import say

    def keys(node) -> list[str]:
        return [*([node.key] if getattr(node, "key", None) else []),
                *(k for child in getattr(node, "children", {}).values() for k in keys(child))]
    at = app("train")
    titles = {say(f"group.{group}") for group in groups()}
    drawn: dict[str, list[str]] = {}
    for group in (e for e in at.expander if e.label in titles):     # inside the page's "Settings"
        for key in keys(group):
            if key.startswith("cfg_"):
                drawn.setdefault(key.removeprefix("cfg_"), []).append(group.label)
    assert drawn == {name: [say(f"group.{facts(name).group}")] for name in SETTINGS}


def test_invalid_settings_are_explained_before_start():
    at = app("train")
    at.selectbox(key="cfg_optimizer").set_value("adam").run()
    at.checkbox(key="cfg_nesterov").check().run()
    assert not at.exception
    assert "nesterov=True needs optimizer='sgd'" in at.error[0].value
    assert at.button(key="start").disabled


def test_divergence_is_a_message_and_keeps_history():
    at = app("train")
    at.number_input(key="cfg_lr").set_value(10.0).run()
    at.number_input(key="cfg_report_every").set_value(1).run()
    at.button(key="start").click().run()
    wait(at, lambda a: len(a.error) > 0)
    assert "learning rate is probably too high" in at.error[0].value
    assert "history so far is kept" in at.error[0].value


def test_waiting_for_a_free_slot_is_visible():
    from cnnlib.runner import Ticket
    from ui import shared
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    slots, stop = shared.slots(), threading.Event()
    held = [Ticket(lambda: 90.0) for _ in range(slots.limit)]     # others hold every slot for 90 s more
    assert all(slots.acquire(t, stop) for t in held)
    try:
        at.button(key="start").click().run()
        wait(at, lambda a: any("next in line" in w.value for w in a.warning))
        words = next(w.value for w in at.warning if "next in line" in w.value)
        assert "busy" in words and "about 1 min 30 s" in words          # when the first slot frees
        assert "1 waiting" in " ".join(c.value for c in at.sidebar.caption)
    finally:
        for t in held:
            slots.release(t)
    wait(at, lambda a: a.button(key="pause").disabled is False)
    at.button(key="stop").click().run()
    assert not at.exception


def test_a_session_whose_pages_are_gone_has_its_run_stopped_and_saved(env):
    """A tab closed for good: once no page of the session has been connected for the server's
    disconnected-session time-out, its run is stopped and saved. Before that, nothing happens."""
    from ui import shared
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    registry, token = shared.sessions(), at.session_state["_token"]
    run = mine(at).runner
    assert registry.reap(lambda viewer: True) == [] and run.alive        # a connected page keeps it
    assert registry.reap(lambda viewer: False) == [] and run.alive       # just gone: it may come back
    assert token in registry.reap(lambda viewer: False, now=time.monotonic() + registry.ttl + 1)
    deadline = time.monotonic() + 15
    while run.alive and time.monotonic() < deadline:
        time.sleep(0.1)
    h = run.snapshot()
    assert not run.alive and h.state == "stopped" and h.checkpoint   # stopped, and saved
    assert token not in registry


def test_missing_data_set_is_a_message(env):
    (env / "data").mkdir()
    (env / "data" / "cifar10-uint8.pt").write_bytes(b"a damaged cache, and no archive beside it")
    at = app("data")
    assert mine(at).source == "cifar10"
    assert "CIFAR-10 cannot be used" in at.error[0].value
    at.switch_page("pages/train.py").run()  # the damaged file was removed: back to the built-in set
    assert not at.exception and mine(at).source == "builtin"


def test_vanished_upload_is_a_message_on_start(env):
    at = app("train")
    mine(at).uploads = [str(env / "gone.zip")]
    mine(at).source = str(env / "gone.zip")
    at.run()
    at.button(key="start").click().run()
    assert not at.exception and "gone cannot be used" in at.error[0].value


def test_download_unreachable_is_a_message(monkeypatch):
    import cnnlib.data

    def offline(*a, **k):
        raise OSError("network unreachable")
    monkeypatch.setattr(cnnlib.data, "_download", offline)
    at = app()
    at.button(key="download").click().run()
    assert not at.exception
    assert "CIFAR-10 could not be downloaded (network unreachable)" in at.error[0].value


def test_image_folder_zip_upload_becomes_the_source(env):
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, color in (("red", (220, 0, 0)), ("blue", (0, 0, 220))):
            for i in range(6):
                z.writestr(f"{cls}/{i}.png", png(color))
    at = app()
    at.file_uploader(key="zip").set_value(("colours.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert mine(at).source.endswith(".zip")
    at.file_uploader(key="zip").set_value(("junk.zip", b"not a zip", "application/zip")).run()
    assert not at.exception and "junk.zip cannot be used" in at.error[0].value
    at.run()                                                      # the verdict is kept, not worked out again
    assert not at.exception and "junk.zip cannot be used" in at.error[0].value
    assert len(at.session_state["upload_outcomes"]) == 2
    assert [p.name for p in (env / "data" / "uploads").iterdir()] == [Path(mine(at).source).name]


def colours_zip() -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, color in (("red", (220, 0, 0)), ("blue", (0, 0, 220))):
            for i in range(6):
                z.writestr(f"{cls}/{i}.png", png(color))
    return buf.getvalue()


def test_a_full_disk_on_an_upload_is_a_message(env, monkeypatch):
    from fulldisk import fill
    at = app()
    fill(monkeypatch)
    at.file_uploader(key="zip").set_value(("colours.zip", colours_zip(), "application/zip")).run()
    assert not at.exception
    assert at.error[0].value == ("colours.zip cannot be used: The server's disk is full: the upload could not be "
                                 "saved. Ask the teacher to free space on the server.")
    assert not list((env / "data" / "uploads").iterdir())


# --- Evaluate, Inspect, Runs & compare, and the architecture table on Train ---------------------

def tiny_run(folder: Path, name: str = "tiny fast", classes=None, epochs: int = 2, half: bool = False,
             tta: str = "none", lr: float = 0.01, model_name: str = "fast") -> Path:
    """A network ('fast' unless told) trained one step on a few Shapes-10 images, saved as a run in
    `folder` (with float16 weights if `half`, as pretrained runs may be shipped; tested with `tta` views)."""
    from torch.nn import functional as F

    from cnnlib.checkpoints import run_meta, save_run
    from cnnlib.config import TrainConfig
    from cnnlib.data import SHAPES10_CLASSES, make_shapes10
    from cnnlib.files import slug
    from cnnlib.models import build_model, fit_to_data
    classes = classes or SHAPES10_CLASSES
    model = build_model(model_name, len(classes))
    x, y = make_shapes10(16, 0)
    fit_to_data(model, lambda: x.float() / 255)
    F.cross_entropy(model(x.float() / 255), y % len(classes)).backward()
    torch.optim.SGD(model.parameters(), lr=lr).step()
    curve = [dict(epoch=i, train_loss=2 - i / 10, train_acc=0.2 + i / 20, test_loss=2.1 - i / 10,
                  test_acc=0.15 + i / 20, seconds=1.0, elapsed=i + 1.0) for i in range(epochs)]
    meta = run_meta(TrainConfig(model=model_name, epochs=epochs, tta=tta), classes, curve, name=name,
                    dataset="Shapes-10")
    return save_run(folder / slug(name), model.half().eval() if half else model.eval(), meta)


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_inspect_says_when_a_networks_first_layer_was_set_from_the_data(env):
    from ui.browser import EXPLAIN
    tiny_run(env / "runs", "mine", model_name="speedrun")
    at = app("inspect")
    assert not at.exception and len(at.get("image")) == 2 + 5 + 7 + 1   # the whitening layer and 6 learned convs
    assert EXPLAIN["filters_fitted"] in [c.value for c in at.caption]


def test_a_run_of_the_quick_network_is_inspected_evaluated_and_predicts(env):
    """fast-cpu's network: its whitening layer halves the image, so its feature maps are 16x16 first."""
    from ui.browser import EXPLAIN
    tiny_run(env / "runs", "quick one", model_name="quick")
    at = app("inspect")
    assert not at.exception and len(at.get("image")) == 2 + 5 + 4 + 1     # the whitening layer and 3 learned convs
    assert EXPLAIN["filters_fitted"] in [c.value for c in at.caption]
    at.switch_page("pages/evaluate.py").run()
    assert not at.exception and "quick one" in at.selectbox(key="eval_model").value
    assert len(charts(at)[0]["data"][0]["z"]) == 10
    at.switch_page("pages/predict.py").run()
    assert not at.exception


def test_new_pages_without_runs():
    at = app("evaluate")
    assert "no trained model yet" in at.info[0].value
    at.switch_page("pages/inspect.py").run()
    assert not at.exception and "no trained model yet" in at.info[0].value
    at.switch_page("pages/runs.py").run()
    assert not at.exception and "No run is saved" in at.info[0].value


def test_evaluate_a_saved_run(env, monkeypatch):
    from cnnlib import inference as predictor
    tiny_run(env / "runs")
    calls = []
    real = predictor.evaluate
    monkeypatch.setattr(predictor, "evaluate", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    at = app("evaluate")
    assert "tiny fast" in at.selectbox(key="eval_model").value
    heat, bars = charts(at)
    assert heat["data"][0]["type"] == "heatmap" and len(heat["data"][0]["z"]) == 10
    assert sum(map(sum, heat["data"][0]["z"])) == 60                  # every test image counted once
    assert bars["data"][0]["type"] == "bar" and len(bars["data"][0]["y"]) == 10
    gallery = at.get("image")[-1].proto.imgs                        # the mistakes, most confident first
    assert len(gallery) == 16 and " → " in gallery[0].caption and "%" in gallery[0].caption
    assert all(i.url.startswith("data:image/png;base64,") for i in gallery)   # not a media file that can go missing
    at.toggle(key="eval_normalized").set_value(True).run()
    z = charts(at)[0]["data"][0]["z"]
    assert not at.exception and len(z) == 10
    # each class with images: its row sums to 1
    assert [abs(sum(r) - 1) < 1e-6 for r in z] == [sum(r) > 0 for r in heat["data"][0]["z"]]
    assert len(calls) == 1                                           # the toggle did not evaluate again


def click_chart(at, monkeypatch, chart: int, points: list[dict]):
    """Rerun `at` as if the browser had sent a click on its `chart`-th Plotly chart, selecting `points`.
    AppTest has no Plotly widget: the selection is added to the widget states it sends."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import ElementTree
    chart_id = at.get("plotly_chart")[chart].proto.id
    real = ElementTree.get_widget_states

    def with_click(tree):
        states = real(tree)
        states.widgets.append(WidgetState(id=chart_id, string_value=json.dumps(
            {"selection": {"points": points, "point_indices": [p["point_index"] for p in points],
                           "box": [], "lasso": []}})))
        return states
    monkeypatch.setattr(ElementTree, "get_widget_states", with_click)
    at.run()
    monkeypatch.setattr(ElementTree, "get_widget_states", real)
    return at


def test_evaluate_shows_the_images_of_a_cell(env, monkeypatch):
    from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

    from cnnlib import inference as predictor
    from cnnlib import sources
    folder = tiny_run(env / "runs", lr=3.0)
    at = app("evaluate")
    for chart in at.get("plotly_chart"):                            # both charts answer a click on a point
        assert list(chart.proto.selection_mode) == [PlotlyChart.SelectionMode.POINTS]
    assert charts(at)[0]["data"][1]["type"] == "scatter"             # the cells' invisible markers
    names = at.selectbox(key="cell_true").options
    assert len(names) == 10 and at.selectbox(key="cell_answer").options[-1] == "any wrong answer"
    report = predictor.evaluate(predictor.predictor_from_folder(folder), sources.load_source("builtin"))
    cm = report.confusion

    def shown(true: int, answer: int | None) -> None:
        n = int(cm[true].sum() - cm[true, true]) if answer is None else int(cm[true, answer])
        said = " ".join(c.value for c in at.caption)
        if answer is None:
            assert f"{n:,} test images of {names[true]} answered wrongly." in said
        else:
            assert f"{n:,} test images of {names[true]} answered {names[answer]}." in said
        gallery = at.get("image")[0].proto.imgs if n else []
        assert len(gallery) == min(n, 16)
        assert all(g.caption.startswith(f"{names[true]} → ") for g in gallery)
        if answer is not None:
            assert all(g.caption.split(" (")[0] == f"{names[true]} → {names[answer]}" for g in gallery)
        sure = [int(g.caption.split("(")[1].split(" ")[0]) for g in gallery]
        assert sure == sorted(sure, reverse=True)                    # the most confident first
        assert (f"…and {n - 16:,} more, less confident." in said) == (n > 16)
        (outline,) = charts(at)[0]["layout"]["shapes"]               # the chart outlines the chosen cell or row
        left = -0.5 if answer is None else answer - 0.5
        assert (outline["x0"], outline["x1"], outline["y0"]) == (left, 9.5 if answer is None else answer + 0.5,
                                                                 true - 0.5)

    shown(0, None)                                                   # at first: the first class's mistakes
    busy = divmod(int(cm.flatten().argmax()), 10)                    # the fullest cell
    at.selectbox(key="cell_true").set_value(names[busy[0]])
    at.selectbox(key="cell_answer").set_value(names[busy[1]]).run()
    assert not at.exception
    shown(*busy)
    empty = divmod(int(cm.flatten().argmin()), 10)
    at.selectbox(key="cell_true").set_value(names[empty[0]])
    at.selectbox(key="cell_answer").set_value(names[empty[1]]).run()
    assert not at.exception and at.caption and cm[empty] == 0
    shown(*empty)

    # a click on the confusion matrix's cell (true 3, answer 7) moves both selectors there
    click_chart(at, monkeypatch, 0, [{"curve_number": 1, "point_number": 37, "point_index": 37}])
    assert not at.exception
    assert (at.selectbox(key="cell_true").value, at.selectbox(key="cell_answer").value) == (3, 7)   # class numbers
    shown(3, 7)
    # a bar of the per-class chart: that class's mistakes
    click_chart(at, monkeypatch, 1, [{"curve_number": 0, "point_number": 5, "point_index": 5}])
    assert not at.exception and at.selectbox(key="cell_answer").value == 10       # any wrong answer
    assert at.selectbox(key="cell_true").value == 5
    shown(5, None)
    # the selectors still work after a click (the chart's selection does not pin them)
    at.selectbox(key="cell_answer").set_value(names[5]).run()
    assert not at.exception
    shown(5, 5)


def test_evaluate_tests_with_the_views_the_run_was_tested_with(env):
    from cnnlib import inference as predictor
    from cnnlib import sources
    from cnnlib.evaluation import evaluate_test
    folder = tiny_run(env / "runs", tta="flip+shift", lr=3.0)   # a big step: outputs far from uniform
    at = app("evaluate")
    assert not at.exception and "its mirror and both moved by one pixel" in " ".join(c.value for c in at.caption)
    p = predictor.predictor_from_folder(folder)
    assert p.tta == "flip+shift"
    ds = sources.load_source("builtin")
    want = evaluate_test(p.model, ds, tta="flip+shift")
    plain = evaluate_test(p.model, ds)
    assert f"{plain.loss:.3f}" != f"{want.loss:.3f}", "the views must change what the page shows"
    assert [m.value for m in at.metric[:2]] == [f"{100 * want.accuracy:.1f} %", f"{want.loss:.3f}"]
    assert predictor.evaluate(p, ds).loss == pytest.approx(want.loss)


def test_evaluate_refuses_a_run_with_other_classes(env):
    tiny_run(env / "runs", "two colours", classes=("red", "blue"))
    at = app("evaluate")
    assert not at.exception and "knows 2 classes (red, blue)" in at.warning[0].value


def test_inspect_defaults_to_pretrained_and_shows_what_the_network_sees(env, monkeypatch):
    from ui.browser import EXPLAIN
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(env / "pretrained"))
    tiny_run(env / "pretrained", "shipped", half=True)
    tiny_run(env / "runs", "mine")
    at = app("inspect")
    assert at.selectbox(key="inspect_model").value == "pretrained: shipped"
    # image and Grad-CAM, the adversarial five, the 6 conv layers of 'fast', the filters
    assert len(at.get("image")) == 2 + 5 + 6 + 1
    assert EXPLAIN["filters_fitted"] not in [c.value for c in at.caption]   # its first layer learned
    at.button(key="inspect_random").click().run()
    at.selectbox(key="inspect_target").set_value("star").run()
    assert not at.exception and "evidence for 'star'" in at.get("image")[1].proto.imgs[0].caption
    at.radio(key="inspect_from").set_value("upload").run()
    at.file_uploader(key="inspect_img").set_value(("red.png", png(), "image/png")).run()
    assert not at.exception and len(at.get("image")) == 14
    at.file_uploader(key="inspect_img").set_value(("bad.png", b"not an image", "image/png")).run()
    assert not at.exception and "bad.png" in at.error[0].value
    at.switch_page("pages/predict.py").run()
    assert not at.exception and at.selectbox(key="model").value == "pretrained: shipped"


def test_inspect_fools_the_network_and_charts_accuracy_against_epsilon(env, monkeypatch):
    from cnnlib import adversarial
    from cnnlib import inference as predictor
    calls, attacks = [], []
    real, attack = predictor.robustness, predictor.fool
    monkeypatch.setattr(predictor, "robustness", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    monkeypatch.setattr(predictor, "fool", lambda *a, **kw: attacks.append(a[2:4]) or attack(*a, **kw))
    torch.manual_seed(0)
    tiny_run(env / "runs", "mine", lr=2.0)        # a network sure of its answer (50 %) on the first test image
    at = app("inspect")
    assert not at.exception and at.slider(key="inspect_eps").value == 4
    assert at.subheader[1].value == "Fool the network: adversarial images"
    from ui.browser import EXPLAIN
    assert EXPLAIN["adversarial"] in [c.value for c in at.caption]
    assert EXPLAIN["robustness"] in [c.value for c in at.caption]
    chart = next(c for c in charts(at) if "against ε" in c["layout"]["title"]["text"])
    accuracy = values(chart["data"][0]["y"])
    assert len(accuracy) == len(adversarial.EPSILONS) and all(0 <= a <= 1 for a in accuracy)
    assert "60 test images" in chart["layout"]["title"]["text"]     # the whole (small) test split

    def shown() -> tuple[str, str]:                 # the perturbed image's caption, the verdict above it
        images = [i.proto.imgs[0].caption for i in at.get("image")]
        verdict = next(m.value for m in at.markdown if "fooled" in m.value.lower())
        return next(c for c in images if c.startswith("after:")), verdict

    at.slider(key="inspect_eps").set_value(0).run()
    assert not at.exception
    urls = [img.url for element in at.get("image") for img in element.proto.imgs]
    assert len(urls) >= 9 and all(u.startswith("data:image/png;base64,") for u in urls)   # sent with the page
    after, verdict = shown()
    before = next(i.proto.imgs[0].caption for i in at.get("image") if i.proto.imgs[0].caption.startswith("before:"))
    assert after.replace("after:", "before:") == before and verdict.startswith("Not fooled")
    at.slider(key="inspect_eps").set_value(16).run()
    assert not at.exception and shown() != (after, verdict)
    at.radio(key="inspect_attack").set_value(adversarial.PGD_STEPS).run()
    assert not at.exception and shown()[0].startswith("after:")
    assert len(calls) == 1                          # reruns and other epsilons: the chart is not computed again
    attacked = len(attacks)
    at.selectbox(key="inspect_target").select_index(1).run()
    assert not at.exception and len(attacks) == attacked        # another class for Grad-CAM: no new attack
    at.slider(key="inspect_eps").set_value(8).run()
    assert not at.exception and len(attacks) == attacked + 1 and attacks[-1] == (8 / 255, adversarial.PGD_STEPS)
    at.radio(key="inspect_from").set_value("upload").run()
    at.file_uploader(key="inspect_img").set_value(("red.png", png(), "image/png")).run()
    assert not at.exception and "accuracy chart attacks test images" in at.info[0].value


def test_runs_compare_rename_delete_download_upload(env):
    from cnnlib.checkpoints import bundle
    for name in ("alpha", "beta", "gamma"):
        tiny_run(env / "runs", name)
    at = app("runs")
    assert len(at.multiselect(key="compare").value) == 3
    assert len(charts(at)[0]["data"]) == 6                          # accuracy and loss of each run
    at.multiselect(key="compare").set_value(at.multiselect(key="compare").value[:2]).run()
    assert not at.exception and len(charts(at)[0]["data"]) == 4
    rows = markdown_table(at, "run")
    assert len(rows) == 2 and rows[0]["best acc"].endswith(" %") and at.get("download_button")
    folder = at.selectbox(key="manage").value
    at.text_input(key=f"name_{folder}").set_value("renamed run").run()
    at.button(key="rename").click().run()
    assert not at.exception and json.loads((Path(folder) / "run.json").read_text())["name"] == "renamed run"
    good = bundle(folder)
    at.checkbox(key=f"sure_{folder}").check().run()
    at.button(key="delete").click().run()
    assert not at.exception and not Path(folder).exists() and len(at.selectbox(key="manage").options) == 2
    at.file_uploader(key="bundle").set_value(("junk.zip", b"not a zip", "application/zip")).run()
    assert not at.exception and "junk.zip cannot be used" in at.error[0].value
    at.file_uploader(key="bundle").set_value(("renamed.zip", good, "application/zip")).run()
    assert not at.exception and len(at.success) == 1
    at.run()                                                      # still the same upload: added once
    assert len(at.selectbox(key="manage").options) == 3 and len(list((env / "runs").iterdir())) == 3

    again = app("runs")                                           # the app restarted: same runs folder
    assert len(again.selectbox(key="manage").options) == 3


def test_a_full_disk_on_the_runs_page_is_a_message(env, monkeypatch):
    from fulldisk import fill

    from cnnlib.checkpoints import bundle
    folder = tiny_run(env / "runs", "alpha")
    at = app("runs")
    fill(monkeypatch)
    at.text_input(key=f"name_{folder}").set_value("beta").run()
    at.button(key="rename").click().run()
    assert not at.exception and at.error[0].value == ("The server's disk is full: the new name could not be saved. "
                                                      "Ask the teacher to free space on the server.")
    assert json.loads((folder / "run.json").read_text())["name"] == "alpha"
    at.run()
    assert not at.exception and not at.error                      # said once, after the click
    at.file_uploader(key="bundle").set_value(("alpha.zip", bundle(folder), "application/zip")).run()
    assert not at.exception and "alpha.zip cannot be used: The server's disk is full" in at.error[0].value
    assert sorted(p.name for p in (env / "runs").iterdir()) == [folder.name]      # nothing half-saved


def test_train_shows_the_architecture_and_whether_it_fits(env, monkeypatch):
    from cnnlib import sources
    from cnnlib.data import SHAPES10_CLASSES, Dataset, make_shapes10
    at = app("train")
    layers = markdown_table(at, "layer")
    assert "Conv2d" in {r["kind"] for r in layers} and "4,210,090 parameters" in text(at).replace("\u202f", ",")
    assert "learned" not in layers[0] and "of them learned" not in text(at)
    assert {"layer": "fc3", "kind": "Linear", "output shape": "512", "parameters": "4,194,816"} in layers
    at.selectbox(key="cfg_model").set_value("speedrun").run()      # its whitening filters and BN scales are fixed
    whiten = markdown_table(at, "layer")[0]
    assert (whiten["parameters"], whiten["learned"]) == ("312", "24") and "of them learned" in text(at)
    at.selectbox(key="cfg_model").set_value("vgg").run()
    assert not at.exception and len(markdown_table(at, "layer")) > len(layers)
    x, y = make_shapes10(40, 0)
    odd = Dataset("Odd-20", SHAPES10_CLASSES, x[..., :20, :20].contiguous(), y, x[..., :20, :20].contiguous(), y)
    monkeypatch.setattr(sources, "load_source", lambda source, root=None: odd)
    mine(at).uploads = [str(env / "odd.zip")]
    mine(at).source = str(env / "odd.zip")
    at.run()
    assert not at.exception and any("multiple of 16" in e.value for e in at.error)
    assert at.button(key="start").disabled


def test_runs_page_compares_the_shipped_models_on_a_fresh_server(env, monkeypatch):
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(env / "pretrained"))
    tiny_run(env / "pretrained", "shipped", half=True)
    at = app("runs")
    assert not at.exception and "No run is saved" in at.info[0].value and "come with CNN Lab" in at.info[0].value
    assert at.multiselect(key="compare").value == [str(next((env / "pretrained").iterdir()))]
    assert len(at.get("plotly_chart")) == 1                          # their curves
    assert not [b for b in at.button if b.key == "delete"]           # nothing to manage: shipped runs stay


def test_a_cifar10_model_without_cifar10_says_where_to_get_it(env, monkeypatch):
    from cnnlib.data import CIFAR10_CLASSES
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(env / "pretrained"))
    tiny_run(env / "pretrained", "shipped cifar", classes=CIFAR10_CLASSES)
    at = app("evaluate")                                              # the sidebar offers Shapes-10 only
    assert not at.exception and "get it onto this server on the Home page" in at.warning[0].value
    at.switch_page("pages/inspect.py").run()                          # the test set: the same advice
    assert not at.exception and "Home page" in at.warning[0].value and "upload an image" in at.warning[0].value
    at.radio(key="inspect_from").set_value("upload").run()
    at.file_uploader(key="inspect_img").set_value(("red.png", png(), "image/png")).run()
    assert not at.exception and len(at.get("image")) == 14            # an upload needs no data set


def test_predict_decodes_and_runs_each_upload_once(env, monkeypatch):
    from cnnlib import inference as predictor
    tiny_run(env / "runs")
    calls = []
    real = predictor.predict
    monkeypatch.setattr(predictor, "predict", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    at = app("predict")
    at.file_uploader(key="img").set_value([("red.png", png(), "image/png")]).run()
    at.slider(key="k").set_value(5).run()
    at.slider(key="k").set_value(2).run()
    assert not at.exception and len(charts(at)[0]["data"][0]["y"]) == 2
    assert len(calls) == 1                                          # the slider only re-slices


def test_predict_says_when_it_averages_the_runs_test_time_views(env):
    from cnnlib import inference as predictor
    from cnnlib.inference import prepare, probabilities
    folder = tiny_run(env / "runs", tta="flip+shift", lr=3.0)
    at = app("predict")
    at.file_uploader(key="img").set_value([("red.png", png(), "image/png")]).run()
    assert not at.exception and "its mirror and both moved by one pixel" in " ".join(c.value for c in at.caption)
    p = predictor.predictor_from_folder(folder)
    want = probabilities(p.model, prepare(png(), 32).small[None], tta="flip+shift")[0].max().item()
    shown = max(charts(at)[0]["data"][0]["x"])                      # the bars, in percent
    assert shown == pytest.approx(100 * want, abs=1e-3)


def test_a_saved_runs_evaluation_is_shared_by_every_session(env, monkeypatch):
    from cnnlib import inference as predictor
    tiny_run(env / "runs")
    calls = []
    real = predictor.evaluate
    monkeypatch.setattr(predictor, "evaluate", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    first, second = app("evaluate"), app("evaluate")                 # two students, one saved model
    assert not first.exception and not second.exception
    assert first.metric[0].value == second.metric[0].value
    assert len(calls) == 1                                           # tested once for the whole class


def test_a_gpu_preset_warns_where_there_is_no_gpu(monkeypatch):
    at = app("train")
    at.selectbox(key="preset").set_value("gpu-speedrun").run()
    assert not at.exception and "This server has no GPU" in at.warning[0].value
    from cnnlib.config import cpu_minutes
    from ui import browser, settings
    ds = browser.dataset(browser.source())                                    # the estimate is for the data set in use
    minutes = round(cpu_minutes("gpu-speedrun", len(ds.y_train), ds.image_size))
    assert f"about {max(1, minutes):,} minute" in at.warning[0].value and f"on {ds.name}" in at.warning[0].value
    from cnnlib.data import DataError

    def unreadable(source):
        raise DataError("gone")
    monkeypatch.setattr(settings, "dataset", unreadable)                # no data set to estimate for:
    at.run()                                                         # the figure measured on CIFAR-10
    assert not at.exception and "about 40 minutes on CIFAR-10" in at.warning[0].value
    monkeypatch.undo()
    at.selectbox(key="preset").set_value("cpu-5min").run()
    assert not [w for w in at.warning if "no GPU" in w.value]       # a CPU recipe: nothing to warn of
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    at.selectbox(key="preset").set_value("gpu-speedrun").run()
    assert not at.exception and not [w for w in at.warning if "no GPU" in w.value]


def test_the_crop_shift_and_alternating_flips_are_offered_only_when_the_augmentation_uses_them():
    at = app("train")
    assert at.selectbox(key="cfg_augment").value == "none" and at.number_input(key="cfg_crop").disabled
    assert at.checkbox(key="cfg_alternate_flips").disabled
    at.selectbox(key="preset").set_value("fast-cpu").run()
    assert at.selectbox(key="cfg_augment").value == "flip+crop" and not at.number_input(key="cfg_crop").disabled
    assert not at.checkbox(key="cfg_alternate_flips").disabled
    at.selectbox(key="cfg_augment").set_value("crop").run()
    assert not at.number_input(key="cfg_crop").disabled and at.checkbox(key="cfg_alternate_flips").disabled


def test_the_batch_norm_shifts_learning_rate_is_offered_only_for_a_network_with_batch_norm():
    at = app("train")
    assert at.selectbox(key="cfg_model").value == "tutorial" and at.number_input(key="cfg_bias_lr").disabled
    at.selectbox(key="preset").set_value("gpu-speedrun").run()
    assert not at.number_input(key="cfg_bias_lr").disabled and at.number_input(key="cfg_bias_lr").value == 64


def test_the_warm_up_and_final_lr_are_offered_only_for_a_schedule_that_uses_them():
    at = app("train")
    assert at.selectbox(key="cfg_schedule").value == "constant"
    assert at.slider(key="cfg_warmup").disabled and at.slider(key="cfg_lr_end").disabled
    at.selectbox(key="cfg_schedule").set_value("cosine").run()
    assert not at.slider(key="cfg_warmup").disabled and not at.slider(key="cfg_lr_end").disabled


def test_the_less_familiar_settings_say_what_they_are_for():
    at = app("train")
    assert at.number_input(key="cfg_bias_lr").help.startswith("batch norm shifts' learning rate")
    assert "**What for:**" in at.number_input(key="cfg_bias_lr").help
    assert "**What for:**" in at.number_input(key="cfg_lookahead").help
    assert "**What for:**" in at.checkbox(key="cfg_alternate_flips").help
    assert "What for" not in at.number_input(key="cfg_epochs").help      # plain ones keep plain help


def test_the_test_time_views_are_offered_in_words():
    at = app("train")
    box = at.selectbox(key="cfg_tta")
    assert box.options == ["none: the image alone", "flip: the image and its mirror",
                           "flip+shift: the image, its mirror and both moved by one pixel"]
    at.selectbox(key="preset").set_value("cpu-5min").run()
    assert at.selectbox(key="cfg_tta").value == "flip+shift"


# --- a shared classroom server --------------------------------------------------------------------

def test_the_data_set_chosen_stays_on_every_page_and_is_the_one_trained_on(env):
    """Uploading a zip on Home switched the sidebar to it, but on Train it was back on Shapes-10 and
    Start trained on Shapes-10."""
    at = app()
    at.file_uploader(key="zip").set_value(("colours.zip", colours_zip(), "application/zip")).run()
    assert not at.exception and at.sidebar.radio(key="_source").value.endswith(".zip")
    for page in ("data", "train", "evaluate", "runs", "home", "train"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception and at.sidebar.radio(key="_source").value.endswith(".zip"), page
    at.number_input(key="cfg_epochs").set_value(1).run()
    at.button(key="start").click().run()
    wait(at, lambda a: mine(a).snapshot() and mine(a).snapshot().ended)
    assert mine(at).snapshot().dataset.startswith("colours") and mine(at).snapshot().classes == ("blue", "red")
    at.sidebar.radio(key="_source").set_value("builtin").run()      # and a choice in the sidebar sticks too
    at.switch_page("pages/data.py").run()
    assert at.sidebar.radio(key="_source").value == "builtin" and "Shapes-10" in at.caption[0].value


def test_a_reload_finds_the_run_still_training(env):
    """The page's address carries the session's token: a reload (a new session with the same address)
    shows the run that is training, with its settings, instead of an empty Train page."""
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    token = at.session_state["_token"]
    assert at.query_params["session"] == [token] or at.query_params["session"] == token
    from streamlit.testing.v1 import AppTest
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    again.query_params["session"] = token
    again.run()
    again.switch_page("pages/train.py").run()
    assert not again.exception and again.session_state["_token"] == token
    assert steps(again) >= 1 and again.button(key="stop").disabled is False
    assert again.number_input(key="cfg_epochs").value == 50           # the settings came back too
    other = app("train")                                               # another student: a run of their own
    assert other.session_state["_token"] != token and other.button(key="stop").disabled
    again.button(key="stop").click().run()
    wait(at, lambda a: any("Stopped in epoch" in w.value for w in a.warning))   # the first tab sees it too


def test_a_malformed_token_in_the_address_is_replaced():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["session"] = "../../etc/passwd"
    at.run()
    assert not at.exception and at.session_state["_token"] != "../../etc/passwd"
    assert len(at.session_state["_token"]) >= 16


def test_a_value_typed_out_of_range_is_named_and_holds_start_back():
    """The widget used to refuse it in the browser and Start silently used the previous value."""
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(0).run()
    assert not at.exception and at.button(key="start").disabled
    assert any("epochs=0 is not allowed" in e.value and "at least 1" in e.value for e in at.error)
    at.number_input(key="cfg_lr").set_value(50.0).run()
    assert any("lr=50.0 is not allowed" in e.value for e in at.error)
    at.number_input(key="cfg_epochs").set_value(3).run()
    at.number_input(key="cfg_lr").set_value(0.01).run()
    assert not at.error and not at.button(key="start").disabled


def test_smaller_images_first_is_set_on_train_and_a_size_the_network_cannot_take_is_named():
    at = app("train")
    at.selectbox(key="preset").set_value("cpu-5min").run()
    assert at.number_input(key="cfg_shrink_to").value == 0 and at.number_input(key="cfg_shrink_for").disabled
    at.number_input(key="cfg_shrink_to").set_value(4).run()          # 32 -> 16 -> 8 -> 4: too small for 3 halvings
    assert not at.exception and at.button(key="start").disabled
    assert any("shrink_to=4 is not allowed" in e.value and "at least 8 pixels" in e.value for e in at.error)
    at.number_input(key="cfg_shrink_to").set_value(24).run()
    assert not at.number_input(key="cfg_shrink_for").disabled      # now it has an effect, and must be set
    assert any("shrink_for=0.0 is not allowed" in e.value for e in at.error) and at.button(key="start").disabled
    at.number_input(key="cfg_shrink_for").set_value(1.5).run()
    assert any("shrink_for=1.5 is not allowed" in e.value for e in at.error) and at.button(key="start").disabled
    at.number_input(key="cfg_shrink_for").set_value(0.3).run()
    assert not at.error and not at.button(key="start").disabled
    assert not any("shrink_to=" in i.value for i in at.info)
    at.number_input(key="cfg_shrink_to").set_value(32).run()          # Shapes-10's own size: nothing to shrink
    assert any("shrink_to=32 is not smaller than these images (32×32)" in i.value for i in at.info)
    assert not at.error and not at.button(key="start").disabled    # a note, not a refusal: the run trains at full size


def test_a_live_change_out_of_range_is_a_message():
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    at.number_input(key="live_lr").set_value(99.0).run()
    at.button(key="apply").click().run()
    assert not at.exception and any("lr=99.0 is not allowed" in e.value for e in at.error)
    assert not mine(at).snapshot().changes
    at.button(key="stop").click().run()


def test_the_saved_run_is_named_without_the_servers_path(env):
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    at.button(key="stop").click().run()
    wait(at, lambda a: any("Saved on this server as" in c.value for c in a.caption))
    words = next(c.value for c in at.caption if "Saved on this server as" in c.value)
    assert str(env) not in words and "/" not in words.split("as", 1)[1].split(":")[0]


def test_a_run_that_cannot_be_saved_is_offered_for_download(env, monkeypatch):
    import errno

    from cnnlib import session

    def full_disk(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(env / "runs" / "x"))
    monkeypatch.setattr(session, "save_history", full_disk)
    at = start_long_run()
    wait(at, lambda a: steps(a) >= 1)
    at.button(key="stop").click().run()
    wait(at, lambda a: any("disk is full" in e.value for e in a.error))
    assert not at.exception and str(env) not in " ".join(e.value for e in at.error)
    assert any(b.label == "Download this run" for b in at.get("download_button"))

# --- files that cannot be used: broken runs, odd and oversized images ------------------------------

def test_broken_runs_are_listed_deletable_and_break_no_page(env):
    """A run.json with "epochs": "abc" put every page of every session into a traceback, and could
    not be deleted from the app; so did runs missing a file or naming a network too large to build."""
    from cnnlib.checkpoints import run_meta
    from cnnlib.config import TrainConfig
    runs = env / "runs"
    good = tiny_run(runs, "good")
    abc = tiny_run(runs, "abc")
    meta = json.loads((abc / "run.json").read_text())
    (abc / "run.json").write_text(json.dumps(dict(meta, epochs="abc")))
    huge = runs / "huge"
    huge.mkdir()
    (huge / "run.json").write_text(json.dumps(run_meta(TrainConfig(), list("abcdefghij"), image_size=384)))
    (huge / "weights.pt").write_bytes((good / "weights.pt").read_bytes())
    (runs / "no-meta").mkdir()
    (runs / "no-meta" / "weights.pt").write_bytes((good / "weights.pt").read_bytes())
    at = app("runs")
    assert at.multiselect(key="compare").value == [str(good)] and len(at.selectbox(key="manage").options) == 1
    reasons = " ".join(w.value for w in at.warning)
    assert "'epochs' is 'abc'" in reasons and "limit of 128 MB" in reasons and "weights.pt but no run.json" in reasons
    at.checkbox(key=f"sure_broken_{abc.name}").check().run()
    at.button(key=f"delete_broken_{abc.name}").click().run()
    assert not at.exception and not abc.exists() and good.exists() and len(at.warning) == 2
    at.file_uploader(key="bundle").set_value(("abc.zip", edited(good), "application/zip")).run()
    assert not at.exception and "'epochs' is 'abc'" in at.error[0].value and len(list(runs.iterdir())) == 3
    for page, key in (("predict", "model"), ("evaluate", "eval_model"), ("inspect", "inspect_model")):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception and len(at.selectbox(key=key).options) == 1, page


def edited(folder: Path) -> bytes:
    """A run file downloaded from the Runs page, its run.json edited by hand to "epochs": "abc"."""
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("run.json", json.dumps(dict(json.loads((folder / "run.json").read_text()), epochs="abc")))
        z.writestr("weights.pt", (folder / "weights.pt").read_bytes())
    return buf.getvalue()


def test_predict_reads_tiff_and_16_bit_images_and_refuses_a_huge_one(env):
    import numpy as np
    from PIL import Image
    from smalldata import flat_png
    tiny_run(env / "runs")
    gray16, tiff = io.BytesIO(), io.BytesIO()
    Image.fromarray(np.full((30, 40), 32768, np.uint16)).save(gray16, "PNG")
    Image.new("RGB", (64, 48), (20, 200, 40)).save(tiff, "TIFF")
    at = app("predict")
    at.file_uploader(key="img").set_value([("gray16.png", gray16.getvalue(), "image/png"),
                                           ("photo.tif", tiff.getvalue(), "image/tiff"),
                                           ("huge.png", flat_png(7_000, 6_000), "image/png")]).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert "as uploaded (40×30)" in captions and "as uploaded (64×48)" in captions
    assert "huge.png: the image is 7,000×6,000 pixels" in at.error[0].value and "<_io." not in at.error[0].value
    kept = at.session_state["predictions"]
    assert all(max(result.original.size) <= 512 for _, result in kept.values())
    # each is known with the model that made it by a weak reference: a session's predictions keep no network alive
    assert all(isinstance(made_with, weakref.ref) and isinstance(made_with(), torch.nn.Module)
               for made_with, _ in kept.values())


def test_two_runs_that_read_alike_are_both_offered(env):
    """Two runs with one name saved in the same second hid one another in the model lists."""
    import shutil

    from cnnlib import runs
    first = tiny_run(env / "runs", "same name")
    twin = first.with_name(first.name + "-twin")
    shutil.copytree(first, twin)                          # the same run.json: the same label
    assert runs.run_label(runs.list_runs()[0][1]) == runs.run_label(runs.list_runs()[1][1])
    at = app("predict")
    options = at.selectbox(key="model").options
    assert len([o for o in options if o.startswith("same name")]) == 2 and len(set(options)) == len(options)
    assert any(twin.name in o for o in options)


def test_a_gpu_recipe_too_large_for_the_servers_memory_holds_start_back():
    at = app("train")
    at.selectbox(key="preset").set_value("gpu-speedrun").run()
    assert not at.exception and at.button(key="start").disabled
    assert any("CNNLAB_MAX_RUN_MB" in e.value and "batch size of" in e.value for e in at.error)


# --- links: a setup, a teacher's locks ------------------------------------------------------------

def app_with_link(params: dict, page: str | None = None):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    if page:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
    return at


def test_a_teachers_link_sets_the_setup_and_fixes_what_it_locks(env):
    at = app_with_link({"data": "builtin", "preset": "fast-cpu", "epochs": "2", "lr": "abc", "max_train": "200",
                        "lock": "epochs", "hide": "tta,seed", "pages": "data,train", "presets": "fast-cpu,demo"})
    assert "lr='abc'" in at.warning[0].value and "left out" in at.warning[0].value   # named, the rest applied
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.selectbox(key="preset").value == "fast-cpu" and at.selectbox(key="preset").options == ["fast-cpu", "demo"]
    assert at.number_input(key="cfg_epochs").value == 2 and at.number_input(key="cfg_epochs").disabled
    keys = {w.key for w in [*at.number_input, *at.selectbox, *at.slider, *at.checkbox]}
    assert "cfg_tta" not in keys and "cfg_seed" not in keys                          # hidden
    assert any("Set by the link" in c.value and "2 more settings fixed and not shown" in c.value for c in at.caption)
    at.session_state["cfg_epochs"] = 40                           # as if the page sent a locked field anyway
    at.run()
    at.selectbox(key="preset").set_value("demo").run()           # another preset: the locks stay
    assert at.number_input(key="cfg_epochs").value == 2
    at.button(key="start").click().run()
    wait(at, lambda a: mine(a).snapshot() and mine(a).snapshot().ended)
    cfg = mine(at).snapshot().config
    assert cfg.epochs == 2 and cfg.tta == "none" and cfg.seed == 0 and cfg.model == "fast"   # demo's network


def test_a_link_that_shows_some_pages_hides_the_others(env):
    at = app_with_link({"pages": "train"})
    for hidden in ("data", "predict", "evaluate", "inspect", "runs"):
        with pytest.raises(ValueError, match="Known pages.*home.py.*train.py"):
            at.switch_page(f"pages/{hidden}.py")
    at.switch_page("pages/train.py").run()
    assert not at.exception and at.button(key="start")


def test_share_this_setup_gives_a_link_that_opens_the_same_setup(env):
    from urllib.parse import parse_qsl, urlsplit

    from cnnlib import links
    at = app("train")
    at.selectbox(key="preset").set_value("demo").run()
    at.number_input(key="cfg_epochs").set_value(5).run()
    at.multiselect(key="share_lock").set_value(["lr"]).run()
    url = at.code[0].value
    assert "session" not in url and "preset=demo" in url and "epochs=5" in url and "lock=lr" in url
    setup = links.parse_link(url)
    assert setup.problems == () and setup.config().epochs == 5 and setup.locked == {"lr"}
    other = app_with_link(dict(parse_qsl(urlsplit(url).query)), "train")            # a student opens it
    assert other.selectbox(key="preset").value == "demo" and other.number_input(key="cfg_epochs").value == 5
    assert other.number_input(key="cfg_lr").disabled
    assert other.session_state["_token"] != at.session_state["_token"]               # a session of their own


# --- following a run ------------------------------------------------------------------------------

def test_anyone_with_the_follow_link_sees_the_run_live_and_read_only(env):
    from urllib.parse import parse_qsl, urlsplit
    owner = start_long_run()
    wait(owner, lambda a: steps(a) >= 2)
    url = next(c.value for c in owner.code if "follow=" in c.value)
    follower = app_with_link(dict(parse_qsl(urlsplit(url).query)))
    assert follower.title[0].value == "Following a run" and "read-only" in follower.caption[0].value
    assert steps(follower) >= 2 and follower.get("progress")
    assert not follower.button and not follower.number_input and not follower.sidebar.radio   # no controls at all
    n = steps(follower)
    wait(follower, lambda a: steps(a) > n)                           # it goes on as the run trains
    owner.button(key="stop").click().run()
    wait(follower, lambda a: len(a.get("metric")) == 4)                 # the summary, once it has ended
    assert any("Stopped in epoch" in w.value for w in follower.warning)


def test_a_saved_runs_follow_link_shows_it_from_its_run_json(env):
    import json
    folder = tiny_run(env / "runs", "followed run")
    meta = json.loads((folder / "run.json").read_text())
    meta["follow"] = "abcdefgh123"
    (folder / "run.json").write_text(json.dumps(meta))
    at = app_with_link({"follow": "abcdefgh123"})
    assert "followed run" in at.caption[0].value and len(at.get("plotly_chart")) == 1
    assert len(at.get("metric")) == 4
    lost = app_with_link({"follow": "not-here-at-all"})
    assert "No run on this server has this follow link" in lost.error[0].value


# --- in Spanish ---------------------------------------------------------------------------------

def shown_words(at) -> list[str]:
    """Every text the page shows, as words.plain has it: values, labels, help, captions, options,
    table headings and the figures' titles, axes, legends and annotations."""
    from cnnlib.words import plain
    out = []
    for e in [*at.sidebar, *at.main]:
        for attr in ("value", "label", "help", "caption", "placeholder", "options"):
            try:
                v = getattr(e, attr, None)
            except Exception:  # noqa: BLE001 - some elements compute an attribute they lack
                continue
            items = v if isinstance(v, list) else [v]
            out += [plain(x) for x in items if isinstance(x, str)]
            if hasattr(v, "columns"):                            # a table's headings
                out += [plain(str(c)) for c in v.columns]
    for chart in at.get("plotly_chart"):
        out.append(plain(json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)))
    return out


def english_left(at) -> list[str]:
    """The English catalogue's sentences (four words or more between placeholders) that the page shows."""
    from cnnlib.words import fixed_phrases
    shown = " | ".join(shown_words(at))
    return sorted(p for p in fixed_phrases("en") if p in shown)


def test_a_spanish_link_opens_every_page_in_spanish(env):
    tiny_run(env / "runs", "pequeña")                             # so that Predict, Evaluate and Inspect have a model
    at = app_with_link({"lang": "es"})
    pages = {None: ["Entrena una red neuronal convolucional", "Conjunto de datos", "Plazas de entrenamiento"],
             "data": ["Siguiente lote", "imágenes de entrenamiento", "Imágenes por clase", "media luna"],
             "train": ["Tasa de aprendizaje (lr)", "Iniciar", "pulsa Iniciar", "Compartir esta configuración",
                       "parámetros"],
             "predict": ["Cuántas clases mostrar", "Sube una o más imágenes"],
             "evaluate": ["Matriz de confusión", "Precisión por clase", "Los errores más seguros", "media luna",
                          "Errores por celda", "Clase real", "cualquier respuesta errónea",
                          "con una respuesta errónea"],
             "inspect": ["Inspeccionar: lo que ve la red", "Mapas de características",
                         "Los filtros de la primera capa", "Engañar a la red", "Precisión de prueba según ε"],
             "runs": ["Comparar", "Precisión de prueba", "mejor precisión", "Gestionar una ejecución"]}
    for page, spanish in pages.items():
        if page:
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        shown = " | ".join(shown_words(at))
        assert all(s in shown for s in spanish), (page, [s for s in spanish if s not in shown])
        assert not english_left(at), (page, english_left(at))


def test_a_follow_link_in_spanish_shows_the_run_in_spanish(env):
    folder = tiny_run(env / "runs", "seguida")
    meta = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**meta, "follow": "abcdefgh123"}))
    at = app_with_link({"follow": "abcdefgh123", "lang": "es"})
    assert not at.exception and at.title[0].value == "Siguiendo una ejecución"
    assert "solo lectura" in at.caption[0].value and "Mejor precisión de prueba" in [m.label for m in at.metric]
    assert not english_left(at), english_left(at)
    lost = app_with_link({"follow": "not-here-at-all", "lang": "es"})
    assert lost.error[0].value.startswith("Ninguna ejecución de este servidor tiene este enlace de seguimiento")


def test_the_sidebar_switches_the_language_for_every_page():
    at = app("train")
    assert at.button(key="start").label == "Start" and at.sidebar.radio(key="_lang").value == "en"
    at.sidebar.radio(key="_lang").set_value("es").run()
    assert not at.exception and at.button(key="start").label == "Iniciar" and at.title[0].value == "Entrenar"
    assert at.number_input(key="cfg_lr").help.startswith("tasa de aprendizaje máxima")
    at.switch_page("pages/data.py").run()                         # the choice stays with the session
    assert not at.exception and at.title[0].value == "Datos" and mine(at).lang == "es"
    assert json.loads(at.get("plotly_chart")[2].proto.spec)["layout"]["title"]["text"] == "Imágenes por clase"
    at.sidebar.radio(key="_lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Data"


def test_a_spanish_browser_opens_in_spanish_unless_told_otherwise():
    from streamlit.testing.v1 import AppTest

    def opened(locale: str, **params) -> str:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.context = {"locale": locale}
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception
        return at.sidebar.radio(key="_lang").value

    assert opened("es-ES") == "es" and opened("es-419") == "es"
    assert opened("en-GB") == "en" and opened("fr-FR") == "en"
    assert opened("es-ES", lang="en") == "en"                    # a link's language beats the browser's


def test_what_cnnlib_refuses_is_said_in_spanish(env):
    at = app_with_link({"lang": "es", "epochs": "abc", "lr": "-1"})
    said = at.warning[0].value
    assert said.startswith("Algunos ajustes de este enlace no se pudieron usar")
    assert "epochs='abc' en el enlace no es un número entero: se ha omitido." in said
    assert "lr=-1.0 no está permitido: debe ser mayor que 0.0 y como mucho 10.0. Se ha dejado fuera" in said
    at.file_uploader(key="zip").set_value(("junk.zip", b"not a zip", "application/zip")).run()
    assert not at.exception
    assert at.error[0].value.startswith("No se puede usar junk.zip: junk.zip no es un .zip legible")
    at.switch_page("pages/train.py").run()
    at.number_input(key="cfg_epochs").set_value(0).run()
    assert any(e.value == "epochs=0 no está permitido: debe ser como mínimo 1 y como mucho 1000." for e in at.error)
    at.switch_page("pages/runs.py").run()
    at.file_uploader(key="bundle").set_value(("viejo.zip", b"not a zip", "application/zip")).run()
    assert not at.exception and at.error[0].value == ("No se puede usar viejo.zip: viejo.zip no es un archivo de "
                                                      "ejecución de CNN Lab (no es un .zip legible). Descarga uno "
                                                      "desde la página Ejecuciones.")
    assert not english_left(at), english_left(at)
