"""CNN Lab's library: data, models, the training engine, the background runner, checkpoints,
prediction and plots. The Streamlit pages only draw what this package computes."""
from cnnlib.config import PRESETS, TrainConfig, preset
from cnnlib.data import Dataset, DataError, load_dataset
from cnnlib.models import ARCHITECTURES, TutorialCNN, build_model, summary
from cnnlib.runner import History, Runner, Slots
from cnnlib.train import evaluate, fit, make_model

__all__ = ["PRESETS", "TrainConfig", "preset", "Dataset", "DataError", "load_dataset", "ARCHITECTURES",
           "TutorialCNN", "build_model", "summary", "History", "Runner", "Slots", "evaluate", "fit", "make_model"]
