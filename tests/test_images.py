"""Reading image files (cnnlib.images, through cnnlib.inference): the size checked
before decoding, only a small copy kept, 16- and 32-bit images scaled, TIFF read, and messages that
never show a Python object.

    .venv/bin/python -m pytest tests/test_images.py -q
"""
from __future__ import annotations

import gc
import io
import os
import resource
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from smalldata import flat_png

from cnnlib import data, images
from cnnlib.images import DISPLAY_SIDE, MAX_PIXELS, UPLOAD_TYPES, ImageError, ImageTooLarge, decode, open_image
from cnnlib.inference import Predictor, predict, prepare
from cnnlib.memory import release_memory
from cnnlib.models import build_model

ROOT = Path(__file__).resolve().parents[1]


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory) -> bytes:
    """A 11,000 x 11,000 PNG of a few hundred kB, as a student uploaded it (made once, kept on disk)."""
    path = tmp_path_factory.mktemp("images") / "huge.png"
    path.write_bytes(flat_png(11_000, 11_000))
    return path.read_bytes()


def tiny_predictor() -> Predictor:
    torch.manual_seed(0)
    return Predictor("tiny", build_model("small", 2).eval(), ("a", "b"))


# --- size ---------------------------------------------------------------------------------------------

def test_an_11000_pixel_png_is_refused_before_it_is_decoded(huge_png):
    assert len(huge_png) < 600_000
    gc.collect()
    before, peak = rss(), peak_rss()
    with pytest.raises(ImageTooLarge) as e:
        predict(tiny_predictor(), huge_png)
    message = str(e.value)
    assert "11,000×11,000 pixels (121 million)" in message and "limit is 40 million" in message
    assert "<_io." not in message and "object at" not in message
    gc.collect()
    assert rss() - before < 300 * 2**20 and peak_rss() - peak < 300 * 2**20


def test_a_prediction_keeps_only_a_small_copy_of_a_large_image():
    raw = flat_png(6_000, 4_000, (30, 160, 60))            # 24 million pixels: read, then shrunk
    p = tiny_predictor()
    predict(p, flat_png(64, 64))                             # warm up: the first forward pass allocates
    gc.collect()
    release_memory()                 # as the app does after a prediction (its allocator keeps freed buffers)
    before = rss()
    kept = [predict(p, raw) for _ in range(3)]               # as a session's cache keeps them
    gc.collect()
    release_memory()
    for result in kept:
        assert result.size == (6_000, 4_000) and max(result.original.size) <= DISPLAY_SIDE
        assert result.original.width == 512 and abs(result.original.height - 341) <= 1
        assert result.small.shape == (3, 32, 32)
        assert result.small[:, 16, 16].tolist() == [30, 160, 60]
    assert rss() - before < 60 * 2**20                       # three full decodes would keep 216 MB


def test_a_large_jpeg_is_decoded_at_a_smaller_scale():
    raw = encode(Image.new("L", (8_000, 6_000), 100), "JPEG")   # 48 million pixels: over the limit
    with pytest.raises(ImageTooLarge, match="8,000×6,000 pixels"):
        decode(raw)                                          # all of it is never decoded
    im, size = decode(raw, min_side=512)                     # 1/8 scale: 1000 x 750
    assert size == (8_000, 6_000) and im.size == (1_000, 750) and im.mode == "RGB"
    p = prepare(raw)
    assert p.size == (8_000, 6_000) and p.original.size == (512, 384) and round(float(p.small.float().mean())) == 100


def test_a_small_image_is_kept_as_it_is():
    p = prepare(flat_png(300, 200, (1, 2, 3)))
    assert p.size == p.original.size == (300, 200)


# --- modes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode, fmt, value, want", [
    ("I;16", "PNG", 32768, 128), ("I;16", "PNG", 65535, 255), ("I;16", "PNG", 4096, 16),
    ("I;16", "TIFF", 32768, 128), ("I;16B", "TIFF", 32768, 128),
    ("I", "TIFF", 32768, 128), ("I", "TIFF", 100, 100),       # 16-bit values, or 8-bit ones, in 32 bits
    ("F", "TIFF", 0.5, 128), ("F", "TIFF", 100.0, 100),      # floats 0..1, or 0..255
])
def test_16_and_32_bit_images_are_scaled_not_clipped(mode, fmt, value, want):
    """A 16-bit mid-grey PNG came out almost white: Pillow's own conversion clips at 255."""
    raw = encode(Image.new(mode, (40, 30), value), fmt)
    p = prepare(raw)
    assert want - 1 <= int(p.small.min()) <= int(p.small.max()) <= want + 1, (mode, fmt, p.small.unique())


def test_a_16_bit_gradient_keeps_its_order():
    a = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    small = prepare(encode(Image.fromarray(a), "PNG")).small[0, 16].tolist()
    assert small == sorted(small) and small[0] < 10 and small[-1] > 245


def test_tiff_is_read_and_offered_by_every_uploader():
    im = Image.new("RGB", (50, 40), (10, 200, 30))
    for raw in (encode(im, "TIFF"), encode(im, "TIFF", compression="tiff_lzw"), encode(im, "PPM")):
        assert prepare(raw).small[:, 5, 5].tolist() == [10, 200, 30]
    assert {"tif", "tiff", "png", "jpg", "jpeg", "webp", "bmp", "gif"} <= set(UPLOAD_TYPES)
    assert data.IMAGE_SUFFIXES is images.IMAGE_SUFFIXES          # the pages and image folders share one list
    for page in ("predict", "inspect"):
        assert "type=UPLOAD_TYPES" in (ROOT / "pages" / f"{page}.py").read_text()
    assert "TIFF" in (ROOT / "README.md").read_text().split("**Predict**")[1].split("\n- ")[0]


def test_a_format_cnn_lab_does_not_read_is_refused_before_decoding():
    for fmt in ("ICO", "PCX", "TGA"):
        with pytest.raises(ImageError, match=r"PIL could not identify its format\). Use a PNG, JPEG"):
            prepare(encode(Image.new("RGB", (16, 16)), fmt))


def test_a_missing_path_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        open_image(str(tmp_path / "none.png"))


# --- messages -----------------------------------------------------------------------------------------

GOOD = [encode(Image.new("RGB", (20, 12), (90, 10, 200)), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF",
                                                                            "WEBP", "PPM")]
GOOD += [encode(Image.new("RGBA", (9, 9), (1, 2, 3, 4)), "PNG"), encode(Image.new("I;16", (9, 5), 300), "PNG")]


@pytest.mark.parametrize("raw", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, b"%PDF-1.4", b"GIF89a",
                                 b"BM" + b"\xff" * 60, GOOD[0][:60], GOOD[1][:300], GOOD[4][:100]])
def test_no_message_shows_a_python_object(raw):
    """PIL's own text ("cannot identify image file <_io.BytesIO object at 0x…>") reached the page."""
    with pytest.raises(ImageError) as e:
        prepare(raw)
    assert "<_io." not in str(e.value) and "object at" not in str(e.value)
    assert str(e.value).startswith("not a readable image (")


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(which=st.integers(0, len(GOOD) - 1), cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                          max_size=6), keep=st.integers(0, 10_000))
def test_damaged_images_give_an_image_error_or_an_image(which, cuts, keep):
    """Any file with a few bytes changed, or cut short: an ImageError with a clean message, or an image."""
    raw = bytearray(GOOD[which])
    for at, value in cuts:
        raw[at % len(raw)] = value
    raw = bytes(raw[:max(1, keep % (len(raw) + 1))])
    try:
        p = prepare(raw)
    except ImageError as e:
        assert "<_io." not in str(e) and "object at" not in str(e)
    else:
        assert p.small.shape == (3, 32, 32) and max(p.original.size) <= DISPLAY_SIDE


def test_the_limits_fit_the_pages():
    assert MAX_PIXELS == 40_000_000 and DISPLAY_SIDE == 512
