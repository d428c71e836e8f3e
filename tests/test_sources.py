"""cnnlib.sources: the app's data sources, which one is the default, the data limit, and browsing a
data set's batches as the Data page shows them.

    .venv/bin/python -m pytest tests/test_sources.py -q
"""
import torch

from cnnlib import sources
from cnnlib.data import Dataset, make_shapes10


def tiny(n=80) -> Dataset:
    x, y = make_shapes10(n, seed=1)
    return Dataset("tiny", tuple("abcdefghij"), x, y, x[:20], y[:20])


def test_browse_filters_pages_shuffles_and_augments():
    ds = tiny(200)
    b = sources.browse(ds, "train", "c", 0, None, "flip+crop", size=8)
    assert set(b.labels) == {"c"} and b.x.shape == b.augmented.shape == (8, 3, 32, 32)
    assert not torch.equal(b.x, b.augmented)
    assert sources.browse(ds, "train", None, 10_000, size=64).number == 10_000 % 4  # wraps around
    assert sources.browse(ds, "test", size=64).batches == 1
    a, s = sources.browse(ds, shuffle_seed=None, size=8), sources.browse(ds, shuffle_seed=3, size=8)
    assert not torch.equal(a.x, s.x)


def test_default_source_and_data_limit(tmp_path, monkeypatch):
    assert sources.default_source(tmp_path) == "builtin"
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")
    assert sources.default_source(tmp_path) == "cifar10"
    monkeypatch.setenv("CNNLAB_DATA_LIMIT", "100")
    ds = sources.load_source("builtin")
    assert len(ds.y_train) == 100 and len(ds.y_test) == 50
