"""cnnlib.plots: the figures, and the pictures a page shows of an image, without Streamlit.

    .venv/bin/python -m pytest tests/test_plots.py -q
"""
import numpy as np
import pytest
import torch
from smalldata import finished_history as history

from cnnlib import plots, train
from cnnlib.config import TrainConfig
from cnnlib.data import Dataset, make_shapes10
from cnnlib.history import History
from cnnlib.train import EpochEnd, Step


def tiny(n=80) -> Dataset:
    x, y = make_shapes10(n, seed=1)
    return Dataset("tiny", tuple("abcdefghij"), x, y, x[:20], y[:20])


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
    assert list(plots.training_chart(h).data[2].marker.symbol) == ["circle", "circle"]   # full tests: filled


def test_the_chart_draws_quick_tests_of_a_sample_as_open_markers_and_says_so():
    h = history()
    h.epochs = [EpochEnd(0, 1.3, 0.4, 1.0, 0.81, 8.0, 8.0, 2000), EpochEnd(1, 1.2, 0.5, 0.9, 0.85, 8.0, 16.0)]
    h.tests = [train.Tested(0, 2, 1.8, 0.6, 3.0, 2000), train.Tested(1, 2, 1.7, 0.82, 11.0, 2000)]
    test, within = plots.training_chart(h).data[2:4]
    assert list(test.marker.symbol) == ["circle-open", "circle"] and list(test.y) == pytest.approx([81, 85])
    assert list(within.marker.symbol) == ["circle-open"] * 2                 # the checks within epochs too
    assert test.name == "test accuracy (○: a quick test of 2,000 images; ●: all of them)"
    assert "prueba rápida con 2\u202f000 imágenes" in plots.training_chart(h, lang="es").data[2].name


def test_top_k_bar_and_class_balance():
    fig = plots.top_k_bar([("cat", 0.7), ("dog", 0.2), ("frog", 0.1)])
    assert list(fig.data[0].y) == ["frog", "dog", "cat"] and fig.data[0].x[-1] == pytest.approx(70)
    fig = plots.class_balance("ab", [3, 4], [1, 2])
    assert [list(t.y) for t in fig.data] == [[3, 4], [1, 2]]


def test_what_the_network_sees_is_enlarged_with_hard_edges():  # Predict's "what the network sees"
    x = torch.zeros(3, 2, 2, dtype=torch.uint8)
    x[:, 0, 0] = 255
    im = plots.upscale(x, scale=4)
    assert im.shape == (8, 8, 3) and tuple(im[3, 3]) == (255, 255, 255) and tuple(im[4, 4]) == (0, 0, 0)


def test_overlay():
    image = torch.randint(0, 256, (3, 16, 16), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    heat = torch.rand(16, 16)
    out = plots.overlay(image, heat, alpha=0.4, scale=4)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert (plots.overlay(image, heat, alpha=0.0, scale=4)[::4, ::4] == image.permute(1, 2, 0).numpy()).all()


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


def test_the_reference_switch_says_where_the_tutorials_curve_was_measured():
    h = History(TrainConfig(), dataset="CIFAR-10 (shared JPEG copy)")
    assert plots.on_cifar10(h) and plots.reference_label(h) == "Show the tutorial's test accuracy on CIFAR-10 (dashed)"
    h.dataset = "Shapes-10 (built in)"
    assert not plots.on_cifar10(h)
    assert plots.reference_label(h).endswith("it was measured on CIFAR-10, not on Shapes-10 (built in)")
