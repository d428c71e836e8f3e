"""cnnlib.plots and cnnlib.session: the figures and the page logic, without Streamlit.

    .venv/bin/python -m pytest tests/test_plots.py -q
"""
import time

import pytest
import torch

from cnnlib import plots, predictor, session, sources
from cnnlib.config import TrainConfig, preset
from cnnlib.data import Dataset, make_shapes10
from cnnlib.images import ImageError
from cnnlib.models import build_model
from cnnlib.runner import History
from cnnlib import train
from cnnlib.train import Changed, EpochEnd, Finished, Step
from smalldata import png


def tiny(n=80) -> Dataset:
    x, y = make_shapes10(n, seed=1)
    return Dataset("tiny", tuple("abcdefghij"), x, y, x[:20], y[:20])


def history() -> History:
    h = History(TrainConfig(epochs=2))
    h.steps = [Step(e, s, 4, 2.3 - 0.1 * (4 * e + s), 0.2, 900.0, 0.001, 0.5 * (4 * e + s))
               for e in range(2) for s in range(1, 5)]
    h.epochs = [EpochEnd(0, 2.0, 0.3, 1.9, 0.35, 2.0, 2.0), EpochEnd(1, 1.8, 0.4, 1.7, 0.42, 2.0, 4.0)]
    h.changes = [Changed(1, 2, 0.01, 0.8)]
    h.finished = Finished(2, 0.42, 0.42, 4.0)
    h.state = "finished"
    return h


def test_grid_image_lays_tiles_out_in_reading_order_on_white():
    x = torch.stack([torch.full((3, 4, 5), 10 * (i + 1), dtype=torch.uint8) for i in range(5)])   # tile i is 10(i+1)
    x[1, :, 0, 0] = torch.tensor([1, 2, 3], dtype=torch.uint8)                  # a marked top-left pixel
    x[3, 2, 3, 4] = 7                                                           # and a bottom-right one
    g = plots.grid_image(x, ncol=3, pad=2)                                      # 2 rows: 3 tiles, then 2
    assert g.dtype == torch.uint8 and g.shape == (3, 2 + 2 * (4 + 2), 2 + 3 * (5 + 2))
    want = torch.full((3, 14, 23), 255, dtype=torch.uint8)                      # the padding is white
    for i, (top, left) in enumerate([(2, 2), (2, 9), (2, 16), (8, 2), (8, 9)]):
        want[:, top:top + 4, left:left + 5] = 10 * (i + 1)
    want[:, 2, 9] = torch.tensor([1, 2, 3], dtype=torch.uint8)
    want[2, 8 + 3, 2 + 4] = 7
    assert torch.equal(g, want)                                                 # the empty sixth cell stays white
    blank = torch.full((3, 4, 5), 255, dtype=torch.uint8)
    assert torch.equal(plots.grid_image(x, ncol=3, pad=0),
                       torch.cat([torch.cat(list(x[:3]), 2), torch.cat([x[3], x[4], blank], 2)], 1))
    assert plots.grid_image(x, ncol=8).shape == (3, 2 + 4 + 2, 2 + 5 * (5 + 2))  # fewer images than columns: one row
    assert torch.equal(plots.grid_image(x[:1], ncol=8, pad=1)[:, 1:5, 1:6], x[0])
    # the tutorial shows its batch with torchvision's make_grid (not imported by the app): the same layout
    from torchvision.utils import make_grid
    odd = torch.randint(0, 255, (11, 3, 5, 7), dtype=torch.uint8)   # a last row part-filled, other tile sizes
    for ncol, pad in ((8, 2), (3, 0), (20, 1)):
        assert torch.equal(plots.grid_image(odd, ncol, pad), make_grid(odd, nrow=ncol, padding=pad, pad_value=255))


def test_batch_grid_labels_every_image():
    ds = tiny(64)
    fig = plots.batch_grid(ds.x_train, [ds.classes[i] for i in ds.y_train])
    assert len(fig.layout.annotations) == 64
    assert fig.layout.annotations[0].text == ds.classes[int(ds.y_train[0])]
    assert fig.data[0].z.shape == (8 * 34 + 2, 8 * 34 + 2, 3)


def test_training_chart_has_loss_accuracy_reference_and_changes():
    fig = plots.training_chart(history())
    names = [t.name for t in fig.data]
    assert names == ["training loss", "train accuracy", "test accuracy", "tutorial (CIFAR-10)"]
    assert len(fig.data[0].y) == 8 and fig.data[0].x[-1] == pytest.approx(2.0)
    assert list(fig.data[2].y) == pytest.approx([35, 42])
    assert list(fig.data[3].y) == [41, 46, 48, 50, 52, 53, 53, 56, 56, 57] and fig.data[3].line.dash == "dash"
    assert any("lr 0.01" in (a.text or "") for a in fig.layout.annotations)
    assert len(plots.training_chart(history(), reference=False).data) == 3
    assert len(plots.training_chart(History(TrainConfig())).data[0].y) == 0  # an empty run draws too
    h = history()
    h.tests = [train.Tested(1, 2, 1.8, 0.4, 3.0)]
    within = plots.training_chart(h).data[3]
    assert within.name == "test accuracy (within epoch)" and list(within.x) == [1.5]


def test_top_k_bar_and_class_balance():
    fig = plots.top_k_bar([("cat", 0.7), ("dog", 0.2), ("frog", 0.1)])
    assert list(fig.data[0].y) == ["frog", "dog", "cat"] and fig.data[0].x[-1] == pytest.approx(70)
    fig = plots.class_balance("ab", [3, 4], [1, 2])
    assert [list(t.y) for t in fig.data] == [[3, 4], [1, 2]]


def test_what_the_network_sees_is_enlarged_with_hard_edges():  # Predict's "what the network sees"
    from cnnlib.inspection import upscale
    x = torch.zeros(3, 2, 2, dtype=torch.uint8)
    x[:, 0, 0] = 255
    im = upscale(x, scale=4)
    assert im.shape == (8, 8, 3) and tuple(im[3, 3]) == (255, 255, 255) and tuple(im[4, 4]) == (0, 0, 0)


def test_browse_filters_pages_shuffles_and_augments():
    ds = tiny(200)
    b = sources.browse(ds, "train", "c", 0, None, "flip+crop", size=8)
    assert set(b.labels) == {"c"} and b.x.shape == b.augmented.shape == (8, 3, 32, 32)
    assert not torch.equal(b.x, b.augmented)
    assert sources.browse(ds, "train", None, 10_000, size=64).number == 10_000 % 4  # wraps around
    assert sources.browse(ds, "test", size=64).batches == 1
    a, s = sources.browse(ds, shuffle_seed=None, size=8), sources.browse(ds, shuffle_seed=3, size=8)
    assert not torch.equal(a.x, s.x)


def test_the_live_chart_redraws_a_long_runs_curves_less_often_but_epoch_results_at_once():
    def run(seconds: float, n_steps: int, epochs: int = 0, tests: int = 0) -> History:
        h = History(TrainConfig(epochs=50), state="running", started_at=1.0)
        h.steps = [Step(0, i + 1, 100, 1.0, 0.5, 1000.0, 0.1, seconds * (i + 1) / n_steps) for i in range(n_steps)]
        h.epochs = [EpochEnd(e, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0) for e in range(epochs)]
        h.tests = [train.Tested(0, 10 * (i + 1), 1.0, 0.5, 1.0) for i in range(tests)]
        return h

    due = session.chart_due
    h = run(10, 5)
    key = (*session.chart_key(h), True)
    assert due(None, key, h, 100.0)                            # nothing on show yet
    drawn = session.chart_drawn(key, h, 100.0)
    assert not due(drawn, key, h, 130.0)                       # no new point: nothing to draw, however long
    h = run(10, 6)
    assert not due(drawn, key, h, 101.9) and due(drawn, key, h, 102.0)   # early on, every 2 s
    h = run(40, 6)
    assert not due(drawn, key, h, 104.9) and due(drawn, key, h, 105.0)   # after 40 s trained, every 40 s / 8...
    h = run(1000, 6)
    assert not due(drawn, key, h, 109.9) and due(drawn, key, h, 110.0)   # ...but never less than every 10 s
    h = run(10, 5, tests=1)                                    # a test check within the epoch waits too
    assert not due(drawn, key, h, 101.9) and due(drawn, key, h, 102.0)
    h = run(1000, 6, epochs=1)                                 # an epoch's result shows at once
    assert due(drawn, (*session.chart_key(h), True), h, 100.1)
    assert due(drawn, (*session.chart_key(run(10, 5)), False), run(10, 5), 100.1)  # so does a page toggle
    stopped = run(10, 5)
    stopped.state = "stopped"
    assert due(drawn, (*session.chart_key(stopped), True), stopped, 100.1)     # and a change of state


def test_progress_and_summary_text():
    h = history()
    fraction, text = session.progress(h)
    assert fraction == 1.0 and "Epoch 2/2" in text and "step 4/4" in text and "images/s" in text
    assert "ETA" not in text                                   # a finished run waits for nothing
    h.steps, h.state = h.steps[:4], "running"
    fraction, text = session.progress(h)
    assert fraction == 0.5 and "ETA 2 s" in text
    assert session.progress(History(TrainConfig(), state="waiting"))[1].startswith("Waiting for a free")
    s = session.summary(history())
    assert s["Best test accuracy"] == "42.0 %" and s["Training time"] == "4 s"


def test_predict_handles_odd_images_and_refuses_non_images():
    model = build_model("fast", 10)
    p = predictor.Predictor("m", model, tuple("abcdefghij"))
    for mode, size in (("RGBA", (40, 10)), ("L", (5, 300)), ("P", (64, 64))):
        r = predictor.predict(p, png(0, size, mode), k=3)
        assert r.small.shape == (3, 32, 32) and len(r.top) == 3
        assert sum(v for _, v in r.top) <= 1.0 + 1e-6
    with pytest.raises(ImageError):
        predictor.predict(p, b"GIF89a but not really", 3)


def test_session_run_is_one_run_and_saves_on_end(tmp_path):
    ds = tiny(64)
    lab = session.SessionRun()
    cfg = preset("demo", epochs=100, batch_size=32, precision="fp32")
    lab.start(cfg, ds, folder=tmp_path)
    with pytest.raises(RuntimeError, match="already training"):
        lab.start(cfg, ds, folder=tmp_path)
    deadline = time.monotonic() + 20
    while not lab.snapshot().steps and time.monotonic() < deadline:   # a run saves once it has trained
        time.sleep(0.02)
    lab.close()                       # what a tab closed for good comes to
    h = lab.snapshot()
    assert not lab.busy and h.state == "stopped" and h.checkpoint.startswith(str(tmp_path))
    assert predictor.predictor_from_runner(lab.runner).classes == ds.classes
    assert predictor.predictor_from_folder(h.checkpoint).classes == ds.classes
    lab.clear()
    assert lab.snapshot() is None


def test_torch_threads_share_the_cores_among_slots(monkeypatch):
    from cnnlib.runner import torch_threads
    monkeypatch.delenv("CNNLAB_TORCH_THREADS", raising=False)
    assert torch_threads(slots=1, cores=2) == 2
    assert torch_threads(slots=2, cores=16) == 8
    assert torch_threads(slots=3, cores=16) == 5
    assert torch_threads(slots=4, cores=1) == 1
    monkeypatch.setenv("CNNLAB_TORCH_THREADS", "3")
    assert torch_threads(slots=1, cores=2) == 3


def test_default_source_and_data_limit(tmp_path, monkeypatch):
    assert sources.default_source(tmp_path) == "builtin"
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")
    assert sources.default_source(tmp_path) == "cifar10"
    monkeypatch.setenv("CNNLAB_DATA_LIMIT", "100")
    ds = sources.load_source("builtin")
    assert len(ds.y_train) == 100 and len(ds.y_test) == 50


def test_chart_marks_when_the_tutorials_57_percent_was_first_reached():
    from cnnlib.train import Tested
    h = History(TrainConfig(), dataset="CIFAR-10")
    h.steps = [Step(0, 50, 100, 1.5, 0.3, 1000.0, 0.1, 4.0), Step(0, 100, 100, 1.2, 0.4, 1000.0, 0.1, 8.0)]
    h.tests = [Tested(0, 40, 1.4, 0.45, 3.0), Tested(0, 80, 1.1, 0.58, 6.5)]
    h.epochs = [EpochEnd(0, 1.3, 0.4, 1.0, 0.61, 8.0, 8.0)]
    assert plots.first_reach(h) == (0.8, 0.58, 6.5)
    fig = plots.training_chart(h)
    star = [t for t in fig.data if t.name == "57% reached"]
    assert len(star) == 1 and list(star[0].x) == [0.8] and "6.5 s" in star[0].text[0]
    assert not [t for t in plots.training_chart(h, reference=False).data if t.name == "57% reached"]
    h.dataset = "Shapes-10 (built in)"                   # 57 % means nothing on another data set
    assert not [t for t in plots.training_chart(h).data if t.name == "57% reached"]
    h.dataset = "CIFAR-10"
    h.tests, h.epochs = h.tests[:1], []
    assert plots.first_reach(h) is None
    assert not [t for t in plots.training_chart(h).data if t.name == "57% reached"]


def test_a_runs_training_time_is_one_figure_everywhere():
    from cnnlib.train import Finished
    h = History(TrainConfig(epochs=3))
    assert h.seconds == 0.0
    h.steps = [Step(0, 50, 100, 1.5, 0.3, 1000.0, 0.1, 4.0), Step(1, 20, 100, 1.2, 0.4, 1000.0, 0.1, 9.5)]
    h.epochs = [EpochEnd(0, 1.3, 0.4, 1.0, 0.5, 8.0, 8.0)]
    assert h.seconds == 9.5                               # stopped mid-epoch: the latest clock
    assert session.summary(h)["Training time"] == "10 s"
    h.finished = Finished(3, 0.5, 0.5, 30.2, ())
    assert h.seconds == 30.2 and session.summary(h)["Training time"] == "30 s"


def test_the_reference_switch_says_where_the_tutorials_curve_was_measured():
    h = History(TrainConfig(), dataset="CIFAR-10 (shared JPEG copy)")
    assert plots.on_cifar10(h) and plots.reference_label(h) == "Show the tutorial's test accuracy on CIFAR-10 (dashed)"
    h.dataset = "Shapes-10 (built in)"
    assert not plots.on_cifar10(h)
    assert plots.reference_label(h).endswith("it was measured on CIFAR-10, not on Shapes-10 (built in)")
