"""The app's pages under Streamlit's AppTest, in-process, on a tiny data set.

    .venv/bin/python -m pytest tests/test_app.py -q

CNNLAB_DATA_LIMIT keeps Shapes-10 at a few hundred images so that runs end in seconds;
CNNLAB_DATA and CNNLAB_RUNS point at temporary folders, so CIFAR-10 is absent and nothing is
downloaded (the download test makes the network unreachable on purpose).
"""
import io
import json
import logging
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the pages import the top-level `ui` module


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


def steps(at) -> int:
    return len(train_chart(at)["data"][0]["y"])


def text(at) -> str:
    return " ".join(str(getattr(e, "value", "")) for e in at.main)


def png(color=(200, 30, 30), size=(50, 40), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def test_every_page_renders_offline():
    at = app()
    assert "CIFAR-10 is not on this server" in at.warning[0].value
    assert at.sidebar.radio(key="source").value == "builtin"
    at.switch_page("pages/data.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    at.switch_page("pages/train.py").run()
    assert not at.exception and at.button(key="start").disabled is False
    at.switch_page("pages/predict.py").run()
    assert not at.exception and "no trained model yet" in at.info[0].value


def test_data_page_controls():
    at = app("data")
    first = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["annotations"][0]["text"]
    at.button(key="next").click().run()
    assert not at.exception and "Batch 2 of" in text(at)
    at.button(key="shuffle").click().run()
    at.selectbox(key="data_class").set_value("star").run()
    labels = {a["text"] for a in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["annotations"]}
    assert labels == {"star"} and first
    at.radio(key="data_split").set_value("test").run()
    at.selectbox(key="data_aug").set_value("flip").run()
    assert not at.exception


def test_run_grows_chart_finishes_saves_and_predicts(env):
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
    at.file_uploader(key="img").set_value([("huge.png", b"\x89PNG" + bytes(21 * 2**20), "image/png")]).run()
    assert not at.exception and "the limit is 20 MB" in at.error[0].value


def test_pause_resume_stop(env):
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    at.number_input(key="cfg_report_every").set_value(2).run()
    at.button(key="start").click().run()
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
    assert "Stopped in epoch" in at.warning[0].value
    assert at.button(key="new").disabled is False and at.button(key="start").disabled is False
    assert list((env / "runs").iterdir())      # a stopped run is saved too
    at.button(key="new").click().run()
    assert not at.exception and "press Start" in at.info[0].value


def test_change_during_run_is_marked_on_chart():
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    at.number_input(key="cfg_report_every").set_value(2).run()
    at.button(key="start").click().run()
    wait(at, lambda a: steps(a) >= 1)
    at.number_input(key="live_lr").set_value(0.01).run()
    at.button(key="apply").click().run()
    wait(at, lambda a: any("lr 0.01" in x.get("text", "") for x in train_chart(a)["layout"]["annotations"]))
    at.button(key="stop").click().run()
    assert not at.exception


def test_every_config_field_has_a_widget():
    import dataclasses
    import ui
    from cnnlib.config import FIELD_HELP, TrainConfig
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"data", "data_root"}  # the sidebar's choice
    assert names == set(ui.WIDGETS) == {n for group in ui.GROUPS.values() for n in group}
    assert names <= set(FIELD_HELP)


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
    import ui
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    slots, stop = ui.slots(), threading.Event()
    held = [slots.acquire(stop) for _ in range(slots.limit)]  # another user holds every slot
    try:
        at.button(key="start").click().run()
        wait(at, lambda a: any("slot" in w.value for w in a.warning))
    finally:
        for _ in held:
            slots.release()
    wait(at, lambda a: a.button(key="pause").disabled is False)
    at.button(key="stop").click().run()
    assert not at.exception


def test_closing_the_session_stops_its_thread():
    """Streamlit clears session-scoped resources when a tab disconnects; the release stops the run."""
    from streamlit import cache_resource
    at = app("train")
    at.number_input(key="cfg_epochs").set_value(50).run()
    at.button(key="start").click().run()
    wait(at, lambda a: any(t.name == "cnnlab-train" for t in threading.enumerate()))
    cache_resource.clear()  # what a disconnect does to this session's resources
    deadline = time.monotonic() + 15
    while any(t.name == "cnnlab-train" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(t.name == "cnnlab-train" for t in threading.enumerate())


def test_missing_data_set_is_a_message(env):
    (env / "data").mkdir()
    (env / "data" / "cifar10-uint8.pt").write_bytes(b"a damaged cache, and no archive beside it")
    at = app("data")
    assert at.session_state["source"] == "cifar10"
    assert "CIFAR-10 cannot be used" in at.error[0].value
    at.switch_page("pages/train.py").run()  # the damaged file was removed: back to the built-in set
    assert not at.exception and at.session_state["source"] == "builtin"


def test_vanished_upload_is_a_message_on_start(env):
    at = app("train")
    at.session_state["uploads"] = [str(env / "gone.zip")]
    at.session_state["source_next"] = str(env / "gone.zip")
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
    assert at.session_state["source"].endswith(".zip")
    at.file_uploader(key="zip").set_value(("junk.zip", b"not a zip", "application/zip")).run()
    assert not at.exception and "junk.zip cannot be used" in at.error[0].value
