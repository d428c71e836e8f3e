"""Plotly figures for the app, as pure functions of tensors and histories, and the pictures a page
shows of an image (enlarged with hard edges, a heat map laid over it): no Streamlit here, so tests
can call them directly and the pages only draw what they return. Each figure's words are in the
language `lang` ("en" or "es", cnnlib.words); pictures are uint8 numpy arrays (H, W, 3) that
`st.image` shows as they are."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch.nn import functional as F

from cnnlib.history import History, test_markers
from cnnlib.words import Message, say

# The tutorial's reported test accuracy after epochs 1..10, in percent: the dashed reference line.
TUTORIAL_TEST_ACC = (41, 46, 48, 50, 52, 53, 53, 56, 56, 57)

_PAD = 2  # pixels between tiles, as torchvision's make_grid


def grid_image(x: torch.Tensor, ncol: int = 8, pad: int = _PAD) -> torch.Tensor:
    """(N, 3, H, W) uint8 -> one (3, rows*(H+pad)+pad, ncol*(W+pad)+pad) uint8 image, tiles in
    reading order on a white background, as the tutorial shows a batch with torchvision's make_grid
    (not imported for this: torchvision costs the server 170 MB of memory)."""
    n, c, h, w = x.shape
    cols = max(1, min(ncol, n))
    rows = -(-n // cols)
    out = torch.full((c, rows * (h + pad) + pad, cols * (w + pad) + pad), 255, dtype=x.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        out[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = x[i]
    return out


def batch_grid(x: torch.Tensor, labels: Sequence[str], ncol: int = 8, height: int = 760) -> go.Figure:
    """A batch as an 8-column grid with each image's label written on it (and on hover)."""
    img = grid_image(x, ncol)
    h, w = x.shape[-2:]
    # one list of plain dicts, checked once: 64 add_annotation() calls took a second and a half
    notes = [dict(x=_PAD + k * (w + _PAD) + w / 2, y=_PAD + r * (h + _PAD) + h - 0.5, text=label, showarrow=False,
                  yanchor="bottom", font=dict(size=11, color="white"), bgcolor="rgba(0,0,0,0.55)", borderpad=1,
                  hovertext=label)
             for (r, k), label in ((divmod(i, ncol), label) for i, label in enumerate(labels))]
    return go.Figure(go.Image(z=img.permute(1, 2, 0).numpy(), hoverinfo="skip"),
                     layout=dict(annotations=notes, height=height, margin=dict(l=0, r=0, t=0, b=0),
                                 xaxis=dict(visible=False), yaxis=dict(visible=False)))


def class_balance(classes: Sequence[str], train: Sequence[int], test: Sequence[int], lang: str = "en") -> go.Figure:
    """Images per class in each split, as grouped bars."""
    fig = go.Figure([go.Bar(name=say("plots.train", lang), x=list(classes), y=list(train)),
                     go.Bar(name=say("plots.test", lang), x=list(classes), y=list(test))])
    fig.update_layout(barmode="group", height=320, margin=dict(l=10, r=10, t=30, b=10),
                      yaxis_title=say("plots.images", lang), title=say("plots.images_per_class", lang))
    return fig


TUTORIAL_FINAL = 0.57  # the tutorial's test accuracy after its ten epochs


def on_cifar10(h: History) -> bool:
    """Whether the run trains on CIFAR-10, where the tutorial's curve and its 57 % were measured."""
    return "CIFAR-10" in h.dataset


def reference_label(h: History) -> Message:
    """The words for the switch that shows the tutorial's curve, saying where it comes from."""
    return (Message("plots.reference_cifar10") if on_cifar10(h)
            else Message("plots.reference_other", data=h.dataset))


def first_reach(h: History, target: float = TUTORIAL_FINAL) -> tuple[float, float, float] | None:
    """(x in epochs, test accuracy, seconds of training) of the first test check, within or at
    the end of an epoch, that reached `target`; None if none has."""
    steps = h.steps[-1].steps if h.steps else 0
    points = [(t.epoch + t.step / steps, t.test_acc, t.elapsed) for t in h.tests if steps]
    points += [(e.epoch + 1, e.test_acc, e.elapsed) for e in h.epochs]
    return min((p for p in points if p[1] >= target), key=lambda p: p[2], default=None)


def training_chart(h: History, reference: bool = True, lang: str = "en") -> go.Figure:
    """Training loss every few steps (top) and train/test accuracy per epoch (bottom), against
    epochs; optionally the tutorial's test-accuracy curve, dashed, and on CIFAR-10 a star where the
    run first reached the tutorial's 57 %; live changes as vertical lines."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(say("plots.training_loss_title", lang), say("plots.accuracy_title", lang)))
    # the long curves as float32 arrays: Streamlit sends an array in a third of the time of a list
    # (plotly writes it as one base64 block), which every follower of a run pays on every redraw
    fig.add_trace(go.Scatter(name=say("plots.training_loss", lang),
                             x=_floats(s.epoch + s.step / s.steps for s in h.steps), y=_floats(s.loss for s in h.steps),
                             mode="lines"), row=1, col=1)
    ep = [e.epoch + 1 for e in h.epochs]
    fig.add_trace(go.Scatter(name=say("plots.train_accuracy", lang), x=ep, y=[100 * e.train_acc for e in h.epochs],
                             mode="lines+markers"), row=2, col=1)
    # a quick test of a sample (TrainConfig.test_sample) is an open marker: its figure moves a point or so
    sampled = max((e.sampled for e in h.epochs), default=0)
    fig.add_trace(go.Scatter(name=say("plots.test_accuracy_sampled", lang, n=sampled) if sampled
                             else say("plots.test_accuracy", lang), x=ep, y=[100 * e.test_acc for e in h.epochs],
                             mode="lines+markers",
                             marker=dict(symbol=test_markers(h.epochs))),
                  row=2, col=1)
    steps = h.steps[-1].steps if h.steps else 0
    if h.tests and steps:  # test-set checks within epochs (eval_every)
        fig.add_trace(go.Scatter(name=say("plots.test_within_epoch", lang),
                                 x=_floats(t.epoch + t.step / steps for t in h.tests),
                                 y=_floats(100 * t.test_acc for t in h.tests), mode="markers",
                                 marker=dict(size=5, color="#ff7f0e",
                                             symbol=test_markers(h.tests))),
                      row=2, col=1)
    if reference:
        fig.add_trace(go.Scatter(name=say("plots.tutorial", lang), x=list(range(1, len(TUTORIAL_TEST_ACC) + 1)),
                                 y=list(TUTORIAL_TEST_ACC), mode="lines", line=dict(dash="dash", color="gray")),
                      row=2, col=1)
    # the star compares with the tutorial's CIFAR-10 result: only beside its curve, only on CIFAR-10
    if reference and on_cifar10(h) and (hit := first_reach(h)):
        fig.add_trace(go.Scatter(name=say("plots.reached", lang, target=TUTORIAL_FINAL), x=[hit[0]], y=[100 * hit[1]],
                                 mode="markers+text",
                                 marker=dict(symbol="star", size=14, color="gold", line=dict(color="black", width=1)),
                                 text=[say("plots.reached_after", lang, target=TUTORIAL_FINAL, seconds=hit[2])],
                                 textposition="bottom right"), row=2, col=1)
    for c in h.changes:
        x = c.epoch + (c.step / steps if steps else 0)
        fig.add_vline(x=x, line=dict(dash="dot", color="purple"), row="all", col=1)
        fig.add_annotation(x=x, y=1, yref="paper", text=say("plots.change", lang, lr=c.lr, momentum=c.momentum),
                           showarrow=False, xanchor="left", font=dict(size=10, color="purple"))
    fig.update_xaxes(title_text=say("plots.epoch", lang), row=2, col=1, rangemode="tozero")
    fig.update_yaxes(range=[0, 100], row=2, col=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15))
    return fig


def _floats(values) -> np.ndarray:
    return np.fromiter(values, dtype=np.float32)


def top_k_bar(pairs: Sequence[tuple[str, float]], lang: str = "en") -> go.Figure:
    """The top-k (class, probability) pairs as horizontal bars in percent, most likely on top."""
    pairs = list(pairs)[::-1]
    fig = go.Figure(go.Bar(x=[100 * p for _, p in pairs], y=[c for c, _ in pairs], orientation="h",
                           text=[say("percent", lang, value=100 * p) for _, p in pairs], textposition="auto"))
    fig.update_layout(height=60 + 32 * len(pairs), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(range=[0, 100], title=say("plots.probability", lang)))
    return fig


# --- pictures: images enlarged and coloured for a page ----------------------------------------

# a perceptual blue -> cyan -> green -> yellow -> red ramp (anchors of "turbo"), value 0..1
_RAMP = np.array([[48, 18, 59], [70, 130, 248], [26, 228, 182], [164, 252, 60],
                  [251, 185, 56], [228, 70, 10], [122, 4, 3]], dtype=np.float64)


def colorize(heatmap: torch.Tensor | np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 colours, blue (0) to red (1)."""
    v = np.clip(np.asarray(heatmap, dtype=np.float64), 0, 1) * (len(_RAMP) - 1)
    i = np.minimum(v.astype(int), len(_RAMP) - 2)
    t = (v - i)[..., None]
    return np.round(_RAMP[i] * (1 - t) + _RAMP[i + 1] * t).astype(np.uint8)


def upscale(image: torch.Tensor, scale: int = 8) -> np.ndarray:
    """uint8 (3, H, W) tensor -> (H*scale, W*scale, 3) uint8 array, nearest neighbour (pixels stay sharp)."""
    x = image.detach().cpu().permute(1, 2, 0).numpy()
    return x.repeat(scale, axis=0).repeat(scale, axis=1)


def overlay(image: torch.Tensor, heatmap: torch.Tensor, alpha: float = 0.5, scale: int = 8) -> np.ndarray:
    """Blend a (H, W) heatmap in [0, 1] onto the uint8 (3, H, W) image, both enlarged `scale` times
    (the image nearest, the heatmap bilinear): (H*scale, W*scale, 3) uint8 RGB."""
    h, w = image.shape[-2:]
    hm = F.interpolate(heatmap.detach().float().cpu()[None, None], size=(h * scale, w * scale),
                       mode="bilinear", align_corners=False)[0, 0].clamp(0, 1)
    blend = (1 - alpha) * upscale(image, scale).astype(np.float64) + alpha * colorize(hm.numpy())
    return np.clip(np.round(blend), 0, 255).astype(np.uint8)
