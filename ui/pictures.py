"""Pictures that travel inside the page (a PNG data URL) instead of as Streamlit media files.

Streamlit serves a picture from its media store under a URL that lives only until the next rerun of
the session ends. Move a slider quickly and the browser is still asking for the pictures of a rerun
that has been superseded: they are gone, so it gets a 404 and shows a broken image for a moment.
Inspect and Evaluate redraw their pictures on every move of a slider or a click on a cell, and their
pictures are small (tens of kilobytes), so they are sent with the page and cannot go missing.
"""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

MAX_PIXELS = 2_000_000                 # pixels: above this a picture goes through the media store after all


def inline(image: np.ndarray) -> str | np.ndarray:
    """A uint8 (H, W, 3) or (H, W) array as a PNG data URL for st.image. Anything else (a picture over
    MAX_PIXELS, whose data URL would slow every rerun that sends it; floats, which st.image scales
    itself) is handed back as it is."""
    if image.dtype != np.uint8 or image.shape[0] * image.shape[1] > MAX_PIXELS:
        return image
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
