"""Prediction (cnnlib.inference): preparing an uploaded image, top-k probabilities and a model's
answer for an upload.

    .venv/bin/python -m pytest tests/test_inference.py -q
"""
from __future__ import annotations

import io

import pytest
import torch
from PIL import Image
from smalldata import png
from torch import nn

from cnnlib.data import tta_views
from cnnlib.images import ImageError
from cnnlib.inference import MAX_UPLOAD_BYTES, Predictor, predict, prepare, probabilities, top_k
from cnnlib.models import build_model


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def halves(size=(40, 20), left=(255, 0, 0), right=(0, 0, 255)) -> Image.Image:
    """Left half one colour, right half another."""
    im = Image.new("RGB", size, right)
    im.paste(left, (0, 0, size[0] // 2, size[1]))
    return im


def test_a_plain_image_becomes_the_small_uint8_tensor():
    p = prepare(encode(halves((64, 64))))
    assert p.small.shape == (3, 32, 32) and p.small.dtype == torch.uint8
    assert p.original.mode == "RGB" and p.original.size == (64, 64)
    assert p.small[0, 16, 2] > 200 and p.small[2, 16, 2] < 50       # left is red
    assert p.small[2, 16, 29] > 200 and p.small[0, 16, 29] < 50      # right is blue
    assert prepare(encode(halves((64, 64))), size=16).small.shape == (3, 16, 16)


def test_exif_rotation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6                                   # "rotate 90 degrees clockwise to view"
    raw = encode(halves((80, 40)), "JPEG", exif=exif, quality=95)
    p = prepare(raw)
    assert p.original.size == p.size == (40, 80)       # upright: tall, not wide
    top, bottom = p.small[:, 2, 16].tolist(), p.small[:, 29, 16].tolist()
    assert top[0] > 180 and top[2] < 80                # the left (red) half is now on top
    assert bottom[2] > 180 and bottom[0] < 80


def test_transparency_is_composited_on_white():
    im = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 16, 32))
    p = prepare(encode(im))
    assert p.small[:, 16, 28].tolist() == [255, 255, 255]          # transparent -> white
    assert p.small[:, 16, 3].tolist() == [255, 0, 0]
    la = Image.new("LA", (32, 32), (0, 0))
    assert prepare(encode(la)).small.min() == 255


def test_grayscale_and_palette_images_become_rgb():
    p = prepare(encode(Image.new("L", (50, 30), 77)))
    assert p.small.shape == (3, 32, 32) and (p.small == 77).all()
    pal = Image.new("RGB", (32, 32), (10, 200, 30)).convert("P")
    assert prepare(encode(pal, "GIF")).small.shape == (3, 32, 32)
    assert prepare(encode(Image.new("1", (32, 32), 1))).small.min() == 255


def test_only_the_first_frame_of_an_animated_gif_counts():
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    raw = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(raw)).n_frames == 3
    p = prepare(raw)
    r, g, b = p.small.float().mean(dim=(1, 2)).tolist()
    assert r > 200 and g < 50 and b < 50


def test_a_large_image_is_cropped_to_a_square_and_shrunk():
    im = halves((3000, 1000), left=(0, 255, 0), right=(0, 255, 0))
    im.paste((255, 0, 0), (1000, 0, 2000, 1000))       # the central square is red
    p = prepare(encode(im, "JPEG"))
    assert p.size == (3000, 1000)                      # as uploaded; what is kept is a display copy
    assert p.original.size == (512, 171)
    assert p.small.shape == (3, 32, 32)
    r, g, _ = p.small.float().mean(dim=(1, 2)).tolist()
    assert r > 200 and g < 60                          # centre crop: only the red square is kept


def test_a_tiny_image_is_scaled_up():
    assert prepare(encode(Image.new("RGB", (3, 5), (1, 2, 3)))).small.shape == (3, 32, 32)


@pytest.mark.parametrize("raw", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
                                 b"%PDF-1.4 fake", encode(halves())[:60]])
def test_a_non_image_gives_image_error(raw):
    with pytest.raises(ImageError, match="not a readable image"):
        prepare(raw)


def test_an_oversized_upload_gives_image_error():
    with pytest.raises(ImageError, match="limit"):
        prepare(b"\0" * (MAX_UPLOAD_BYTES + 1))


class Fixed(nn.Module):
    """Returns the same logits for every image, and remembers its input."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(torch.tensor(logits))
        self.seen = None

    def forward(self, x):
        self.seen = x
        return self.logits.expand(len(x), -1)


def test_top_k_is_ordered_and_the_probabilities_sum_to_one():
    model = Fixed([0.0, 3.0, 1.0, 2.0]).train()
    x = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    classes = ("a", "b", "c", "d")
    top = top_k(model, x, classes, k=3)
    assert len(top) == 2
    assert [c for c, _ in top[0]] == ["b", "d", "c"]
    probs = [p for _, p in top[0]]
    assert probs == sorted(probs, reverse=True)
    everything = top_k(model, x, classes, k=10)[0]     # k above the class count: all of them
    assert len(everything) == 4 and sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-6)
    assert everything[0][1] == pytest.approx(torch.tensor([0.0, 3.0, 1.0, 2.0]).softmax(0)[1].item())
    assert model.training, "top_k must restore training mode"


def test_probabilities_use_the_normalisation_given():
    model = Fixed([0.0, 0.0])
    x = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    p = probabilities(model, x, mean=[0.5] * 3, std=[0.25] * 3)
    assert p.shape == (1, 2) and torch.allclose(p.sum(1), torch.ones(1))
    assert torch.allclose(model.seen, torch.full((1, 3, 2, 2), 2.0))
    probabilities(model, x)
    assert torch.allclose(model.seen, torch.ones(1, 3, 2, 2))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    bomb = encode(Image.new("1", (12_000, 12_000), 0))   # 144 M pixels in a few kB of PNG
    assert len(bomb) < MAX_UPLOAD_BYTES
    with pytest.raises(ImageError, match="12,000×12,000 pixels .* the limit is 40 million"):
        prepare(bomb)


class LeftRight(nn.Module):
    """Two logits: the mean of the image's left half and of its right half (a mirror swaps them)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        w = x.shape[3] // 2
        return torch.stack([x[..., :w].mean((1, 2, 3)), x[..., w:].mean((1, 2, 3))], 1) * self.scale


def test_probabilities_average_the_logits_over_the_runs_test_time_views():
    x = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    x[..., :16] = 255                                    # a bright left half
    one = probabilities(LeftRight(), x)
    assert one[0, 0] > 0.99                              # one view: "left" for sure
    both = probabilities(LeftRight(), x, tta="flip")     # the mirror says "right" as surely: an even split
    assert torch.allclose(both, torch.tensor([[0.5, 0.5]]))
    six = probabilities(LeftRight(), x, tta="flip+shift")
    model = LeftRight()
    views = [model(v) for v in tta_views(x.float() / 255, "flip+shift")]
    assert torch.allclose(six, (sum(views) / 6).softmax(1))
    buf = io.BytesIO()
    Image.fromarray(x[0].permute(1, 2, 0).numpy()).save(buf, format="PNG")
    pred = predict(Predictor("mirror-tested", model, ("left", "right"), tta="flip"), buf.getvalue(), k=2)
    assert [p for _, p in pred.top] == pytest.approx([0.5, 0.5])   # Predict uses the run's views


def test_predict_handles_odd_images_and_refuses_non_images():
    model = build_model("fast", 10)
    p = Predictor("m", model, tuple("abcdefghij"))
    for mode, size in (("RGBA", (40, 10)), ("L", (5, 300)), ("P", (64, 64))):
        r = predict(p, png(0, size, mode), k=3)
        assert r.small.shape == (3, 32, 32) and len(r.top) == 3
        assert sum(v for _, v in r.top) <= 1.0 + 1e-6
    with pytest.raises(ImageError):
        predict(p, b"GIF89a but not really", 3)
