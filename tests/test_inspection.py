"""Tests for cnnlib.inspection: what the network sees (feature maps, filters, Grad-CAM).

    .venv/bin/python -m pytest tests/test_inspection.py -q

Data is built here: tiny random images, and for Grad-CAM a set whose class is decided by a
coloured patch in one quadrant of a noise image, learned in a few seconds by the tutorial's CNN.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnlib.config import TrainConfig
from cnnlib.data import Dataset
from cnnlib.inspection import (
    conv_layers,
    feature_maps,
    filter_tiles,
    first_conv,
    first_layer_fitted,
    grad_cam,
    grid,
    tile_maps,
)
from cnnlib.models import ARCHITECTURES, build_model, summary
from cnnlib.train import fit, make_model

MEAN, STD = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]   # as run.json stores them: plain lists


def images(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)


# --- what the network sees, for every architecture ---------------------------------------------

@pytest.fixture(scope="module", params=list(ARCHITECTURES))
def model(request) -> torch.nn.Module:
    torch.manual_seed(0)
    m = build_model(request.param, 10)
    m.train()   # the helpers must switch to eval and back
    return m


@pytest.mark.parametrize("norm", [False, True])
def test_feature_maps_match_summary(model, norm):
    image = images(1)[0]
    mean, std = (MEAN, STD) if norm else (None, None)
    maps = feature_maps(model, image, mean, std)
    convs = [(r.name, r.output_shape) for r in summary(model) if r.kind == "Conv2d"]
    assert [(k, tuple(v.shape)) for k, v in maps.items()] == convs
    assert list(maps) == [name for name, _ in conv_layers(model)]
    assert model.training
    for v in maps.values():
        assert v.dtype == torch.float32 and torch.isfinite(v).all()
    name, t = next(iter(maps.items()))
    img = tile_maps(t, scale=2)
    c, h, w = t.shape
    cols = int(np.ceil(np.sqrt(c)))
    rows = int(np.ceil(c / cols))
    assert img.dtype == np.uint8 and img.shape == (rows * 2 * h + rows - 1, cols * 2 * w + cols - 1)


def test_tile_maps_normalises_each_channel():
    maps = torch.stack([torch.arange(4.0).reshape(2, 2), 100 + torch.arange(4.0).reshape(2, 2) / 100,
                        torch.full((2, 2), 7.0)])
    img = tile_maps(maps, cols=3, pad=1)
    assert img.shape == (2, 8)
    assert img[:, 0:2].tolist() == [[0, 85], [170, 255]]
    assert img[:, 3:5].tolist() == [[0, 85], [170, 255]]      # a weak channel is stretched the same way
    assert img[:, 6:8].tolist() == [[0, 0], [0, 0]]           # a constant channel is black
    assert (img[:, 2] == 255).all() and (img[:, 5] == 255).all()   # white padding


def test_filter_tiles(model):
    conv = first_conv(model)[1]
    assert conv.in_channels == 3
    tiles = filter_tiles(model, scale=5)
    k = conv.kernel_size[0]
    assert tiles.shape == (conv.out_channels, 5 * k, 5 * k, 3) and tiles.dtype == np.uint8
    assert (tiles.reshape(conv.out_channels, -1).min(1) == 0).all()
    assert (tiles.reshape(conv.out_channels, -1).max(1) == 255).all()
    g = grid(tiles, cols=8, pad=2)
    rows = -(-conv.out_channels // 8)
    assert g.shape == (rows * 5 * k + (rows - 1) * 2, 8 * 5 * k + 7 * 2, 3)


@pytest.mark.parametrize("norm", [False, True])
def test_grad_cam_runs_everywhere(model, norm):
    image = images(1, seed=3)[0]
    mean, std = (MEAN, STD) if norm else (None, None)
    cam = grad_cam(model, image, mean=mean, std=std)
    assert cam.heatmap.shape == (32, 32) and cam.heatmap.dtype == torch.float32
    assert 0 <= float(cam.heatmap.min()) and float(cam.heatmap.max()) <= 1
    assert float(cam.heatmap.max()) in (0.0, pytest.approx(1.0))
    assert cam.target == int(cam.probabilities.argmax())
    assert cam.probabilities.shape == (10,) and float(cam.probabilities.sum()) == pytest.approx(1, abs=1e-5)
    assert cam.layer == conv_layers(model)[-1][0]
    assert grad_cam(model, image, target=7, mean=mean, std=std).target == 7
    assert model.training
    with pytest.raises(ValueError):
        grad_cam(model, image, target=10)


def test_a_first_layer_set_from_the_data_is_told_apart_from_a_learned_one():
    assert first_layer_fitted(build_model("speedrun")) and first_layer_fitted(build_model("quick"))
    assert not [n for n in ARCHITECTURES if n not in ("speedrun", "quick") and first_layer_fitted(build_model(n))]


# --- Grad-CAM finds the evidence --------------------------------------------------------------

def patch_images(n: int, seed: int, size: int = 16, patch: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Dim noise with one pure red, green or blue patch (the class) at a random place in a random
    quadrant. Returns images, classes and the patch's quadrant (0 top-left, 1 top-right, 2, 3)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 110, (n, 3, size, size), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 3, (n,), generator=g)
    quadrant = torch.randint(0, 4, (n,), generator=g)
    half = size // 2
    offsets = torch.randint(0, half - patch + 1, (n, 2), generator=g)
    for i in range(n):
        qy, qx = divmod(int(quadrant[i]), 2)
        top, left = qy * half + int(offsets[i, 0]), qx * half + int(offsets[i, 1])
        x[i, :, top:top + patch, left:left + patch] = 0
        x[i, int(y[i]), top:top + patch, left:left + patch] = 255
    return x, y, quadrant


def test_grad_cam_points_at_the_evidence():
    x, y, _ = patch_images(1000, seed=0)
    xt, yt, qt = patch_images(40, seed=1)
    data = Dataset("patches", ("red", "green", "blue"), x, y, xt, yt)
    cfg = TrainConfig(model="tutorial", epochs=1, batch_size=32, optimizer="adam", lr=2e-3,
                      conv_dropout=0.0, fc_dropout=0.0, report_every=10_000, seed=0)
    model = make_model(cfg, data)
    *_, done = fit(model, data, cfg)
    assert done.final_acc > 0.9
    fractions, hits = [], 0
    for i in range(len(yt)):
        cam = grad_cam(model, xt[i]).heatmap
        quarters = torch.stack([cam[:8, :8].sum(), cam[:8, 8:].sum(), cam[8:, :8].sum(), cam[8:, 8:].sum()])
        share = quarters / quarters.sum().clamp(min=1e-9)
        fractions.append(float(share[qt[i]]))
        hits += int(share.argmax() == qt[i])
    assert hits >= 0.95 * len(yt)               # the patch's quadrant holds the most weight...
    assert np.mean(fractions) > 0.5             # ...and over half of it on average
