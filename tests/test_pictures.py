"""ui.pictures: small pictures as PNG data URLs that decode to the very pixels given."""
import base64
import io

import numpy as np
from PIL import Image

from ui import pictures


def decode(url: str) -> np.ndarray:
    head, data = url.split(",", 1)
    assert head == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(data))) as im:
        return np.asarray(im)


def test_a_colour_picture_comes_back_pixel_for_pixel():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(40, 24, 3), dtype=np.uint8)
    assert np.array_equal(decode(pictures.inline(image)), image)


def test_a_grey_picture_and_a_strided_view_come_back_pixel_for_pixel():
    grey = np.arange(30 * 20, dtype=np.uint8).reshape(30, 20)
    assert np.array_equal(decode(pictures.inline(grey)), grey)
    view = np.zeros((16, 16, 3), np.uint8)
    view[..., 0] = 200
    flipped = view[:, ::-1]                              # not contiguous in memory
    assert np.array_equal(decode(pictures.inline(flipped)), flipped)


def test_floats_are_handed_back_for_st_image_to_scale():
    floats = np.full((8, 8, 3), 0.5, np.float32)
    assert pictures.inline(floats) is floats


def test_a_picture_over_the_limit_is_handed_back_for_the_media_store(monkeypatch):
    monkeypatch.setattr(pictures, "MAX_PIXELS", 99)
    big = np.zeros((10, 10, 3), np.uint8)
    assert pictures.inline(big) is big
    assert pictures.inline(big[:9, :11]).startswith("data:image/png;base64,")
