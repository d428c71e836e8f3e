"""Shared fixtures for the cnnlib tests: a tiny in-memory data set, made in the test process.

    .venv/bin/python -m pytest tests -q            # everything
    .venv/bin/python -m pytest tests -q -m "not slow"
"""
from __future__ import annotations

import pytest
import torch
from smalldata import tiny_dataset

from cnnlib.data import Dataset

# One thread: on a small shared CPU, two OpenMP threads contending with other processes spin and
# make tiny steps ten times slower; one thread is also bit-for-bit repeatable.
torch.set_num_threads(1)


@pytest.fixture
def tiny() -> Dataset:
    return tiny_dataset()


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same global RNG state, so results never depend on test order."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _no_shipped_cifar10(monkeypatch, tmp_path_factory):
    """Tests see no CIFAR-10 unless they make one (or name the shipped copy, cnnlib.cifar10_pack.PACK,
    themselves): decoding the shipped copy takes seconds, and most tests want a few tiny images."""
    monkeypatch.setenv("CNNLAB_CIFAR10_PACK", str(tmp_path_factory.getbasetemp() / "no-cifar10-pack.npz"))
