"""How a network looks at a batch whenever it is tested or asked (the engine's tests, an evaluation, a
prediction): its float logits averaged over the batch's test-time views (TrainConfig.tta; the views are
`data.tta_views`), in the memory layout every network here runs in (`LAYOUT`, which training uses too).
The engine (cnnlib.train) and inference (cnnlib.inference) both import it from here, so that a
prediction and the run's own tests agree, and neither module imports the other for it.
"""
from __future__ import annotations

import torch
from torch import nn

from cnnlib.data import tta_views

# Images and activations are laid out channels-last (NHWC): cuDNN and oneDNN run every network here
# fastest that way, the tutorial's CNN on a CPU included (its max-pool is 9x faster; BENCHMARKS.md §1).
LAYOUT = torch.channels_last


def view_logits(model: nn.Module, x: torch.Tensor, tta: str = "none") -> torch.Tensor:
    """The model's float logits for a float batch, averaged over its `tta` views (TrainConfig.tta):
    how every test, evaluation and prediction of a run sees an image."""
    views = tta_views(x, tta)
    return sum(model(v.contiguous(memory_format=LAYOUT)).float() for v in views) / len(views)
