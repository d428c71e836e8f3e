"""Learn by doing (issue #18) under AppTest: a photo from the camera on Predict and Inspect, loaded and
checked as an upload is, and a guess written before Start on Train, shown beside what happened on Train
and on Runs & compare. The set-up (temporary folders, tiny data) is tests/test_app.py's.

    .venv/bin/python -m pytest tests/test_learn.py -q
"""
import io
import json

import pytest
from PIL import Image
from test_app import app, markdown_table, text, tiny_run, wait
from test_app import env as _env

pytestmark = pytest.mark.slow
env = _env   # test_app's autouse fixture: temporary data and runs folders, tiny data


def jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    """A photo as the browser's camera widget sends it: a JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def test_predict_asks_for_the_camera_only_when_chosen_and_predicts_its_photo(env):
    tiny_run(env / "runs")
    at = app("predict")
    assert not at.camera_input and at.file_uploader(key="img")          # uploads by default: no camera asked for
    at.radio(key="predict_from").set_value("camera").run()
    assert not at.exception and len(at.camera_input) == 1 and "Take a photo of something" in at.info[0].value
    assert "shrunk to 32×32 pixels" in " ".join(c.value for c in at.caption)
    at.camera_input(key="predict_camera").set_value(("image.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert "**Your photo**: most likely" in text(at)
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert "as uploaded (64×48)" in captions
    at.camera_input(key="predict_camera").set_value(("image.jpg", jpeg((10, 200, 10)), "image/jpeg")).run()
    assert not at.exception and len(at.session_state["predictions"]) == 1   # a retaken photo replaces the last
    at.camera_input(key="predict_camera").set_value(("image.jpg", b"not a photo", "image/jpeg")).run()
    assert not at.exception and "Your photo: not a readable image" in at.error[0].value
    at.camera_input(key="predict_camera").set_value(("image.jpg", bytes(21 * 2**20), "image/jpeg")).run()
    assert not at.exception and "the limit is 20 MB" in at.error[0].value
    at.radio(key="predict_from").set_value("upload").run()
    assert not at.exception and not at.camera_input


def test_inspect_shows_what_the_network_sees_in_a_photo(env):
    tiny_run(env / "runs")
    at = app("inspect")
    at.radio(key="inspect_from").set_value("camera").run()
    assert not at.exception and len(at.camera_input) == 1
    at.camera_input(key="inspect_camera").set_value(("image.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception and len(at.get("image")) == 14 and "**Your photo**: the network says" in text(at)
    at.camera_input(key="inspect_camera").set_value(("image.jpg", b"not a photo", "image/jpeg")).run()
    assert not at.exception and "Your photo: not a readable image" in at.error[0].value


def test_the_camera_speaks_spanish(env):
    tiny_run(env / "runs")
    at = app("predict")
    at.sidebar.radio(key="_lang").set_value("es").run()
    at.radio(key="predict_from").set_value("camera").run()
    assert not at.exception and at.camera_input[0].label == "Haz una foto"
    at.camera_input(key="predict_camera").set_value(("image.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception and "**Tu foto**: lo más probable" in text(at)


def test_a_guess_made_before_start_is_shown_beside_what_happened(env):
    at = app("train")
    at.selectbox(key="preset").set_value("demo").run()
    at.number_input(key="cfg_batch_size").set_value(64).run()
    at.number_input(key="guess_acc").set_value(55.0).run()
    at.radio(key="guess_gap").set_value("yes").run()
    at.button(key="start").click().run()
    assert not at.exception and at.number_input(key="guess_acc").disabled    # the guess is made: no changing it
    wait(at, lambda a: len(a.success) > 0)
    rows = markdown_table(at, "Question")
    assert [r["Your guess"] for r in rows] == ["55.0 %", "yes, it will fall behind"]
    meta = json.loads(next((env / "runs").glob("*/run.json")).read_text())
    assert meta["guess"] == {"accuracy": 55.0, "gap": "yes"}
    final = meta["epochs"][-1]
    assert rows[0]["What happened"].startswith(f"{100 * final['test_acc']:.1f} %")
    behind = 100 * (final["train_acc"] - final["test_acc"]) >= 2
    assert rows[1]["What happened"].startswith("yes:" if behind else "no:")

    at.switch_page("pages/runs.py").run()                       # the saved run shows it too
    assert not at.exception and [r["Your guess"] for r in markdown_table(at, "Question")] == [
        "55.0 %", "yes, it will fall behind"]
    at.sidebar.radio(key="_lang").set_value("es").run()
    assert not at.exception and markdown_table(at, "Pregunta")[1]["Tu predicción"] == "sí, quedará por detrás"


def test_an_absurd_guess_is_named_and_start_waits_for_a_good_one(env):
    at = app("train")
    at.selectbox(key="preset").set_value("demo").run()
    at.number_input(key="guess_acc").set_value(150.0).run()      # a bounded box would keep its last value quietly
    assert not at.exception and any("from 0 to 100 %, not 150" in e.value for e in at.error)
    assert at.button(key="start").disabled
    at.number_input(key="guess_acc").set_value(-5.0).run()
    assert any("not -5" in e.value for e in at.error) and at.button(key="start").disabled
    at.number_input(key="guess_acc").set_value(70.0).run()
    assert not at.error and not at.button(key="start").disabled


def test_no_guess_no_table(env):
    at = app("train")
    at.selectbox(key="preset").set_value("demo").run()
    at.number_input(key="cfg_batch_size").set_value(64).run()
    at.button(key="start").click().run()
    wait(at, lambda a: len(a.success) > 0)
    assert "Question" not in text(at)
    assert json.loads(next((env / "runs").glob("*/run.json")).read_text())["guess"] is None
