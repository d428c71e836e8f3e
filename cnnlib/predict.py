"""What a trained network says about images: preprocessing an upload and top-k probabilities."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

from cnnlib.data import to_float
from cnnlib.images import (
    DISPLAY_SIDE,
    ImageError,
    decode,
    display_copy,
    to_tensor_uint8,
)
from cnnlib.train import view_logits
from cnnlib.words import Message

MAX_UPLOAD_BYTES = 20 * 1024 ** 2   # one uploaded image, bytes


@dataclass
class Prepared:
    original: Image.Image        # upright RGB, at most DISPLAY_SIDE pixels a side: what a page shows
    size: tuple[int, int]        # the upright width and height as uploaded
    small: torch.Tensor          # (3, S, S) uint8: what the network sees


def prepare(data: bytes, size: int = 32) -> Prepared:
    """Bytes of an uploaded file -> a display copy, the size as uploaded and the small image the
    network sees; the full decode is dropped here. Raises ImageError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(Message("images.file_too_big", mb=len(data) / 2**20, limit=MAX_UPLOAD_BYTES / 2**20))
    im, uploaded = decode(data, min_side=max(size, DISPLAY_SIDE))
    return Prepared(display_copy(im), uploaded, to_tensor_uint8(im, size))


@torch.inference_mode()
def probabilities(model: nn.Module, x: torch.Tensor, mean: list[float] | None = None,
                  std: list[float] | None = None, tta: str = "none") -> torch.Tensor:
    """(N, 3, S, S) uint8 -> (N, classes) softmax probabilities, in eval mode, from the logits
    averaged over the `tta` views (TrainConfig.tta), as the engine's evaluate() tests a run."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    m = torch.tensor(mean) if mean is not None else None
    s = torch.tensor(std) if std is not None else None
    p = view_logits(model, to_float(x.to(device), m, s), tta).softmax(1).cpu()
    model.train(was)
    return p


def top_k(model: nn.Module, x: torch.Tensor, classes: tuple[str, ...], k: int = 3,
          mean: list[float] | None = None, std: list[float] | None = None,
          tta: str = "none") -> list[list[tuple[str, float]]]:
    """For each image, the k most likely classes with their probabilities, most likely first."""
    p = probabilities(model, x, mean, std, tta)
    vals, idx = p.topk(min(k, p.shape[1]), dim=1)
    return [[(classes[i], float(v)) for v, i in zip(vr, ir)] for vr, ir in zip(vals.tolist(), idx.tolist())]
