"""CNN Lab's library: data, models, the training engine, the background runner, checkpoints,
prediction and plots. The Streamlit pages only draw what this package computes.

The names below are imported when first used, not with the package: a process that needs one module
(the command line's help, a worker that decodes images) does not pay for PyTorch's import."""
from __future__ import annotations

import importlib

_HOMES = {"PRESETS": "config", "TrainConfig": "config", "preset": "config", "Dataset": "data",
          "DataError": "data", "load_dataset": "data", "ARCHITECTURES": "models", "TutorialCNN": "models",
          "build_model": "models", "summary": "models", "History": "history", "Runner": "runner", "Slots": "runner",
          "evaluate": "train", "fit": "train", "make_model": "train"}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"cnnlib.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'cnnlib' has no attribute {name!r}")
