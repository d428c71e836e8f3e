"""CIFAR-10 in the box (cnnlib.cifar10_pack): the compact JPEG copy that ships with CNN Lab, decoded
without a network, and how the data layer and the app offer it.

    .venv/bin/python -m pytest tests/test_cifar10_pack.py -q
"""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from cnnlib import cifar10_pack
from cnnlib.data import CIFAR10_CLASSES, cifar10_status, load_cifar10
from cnnlib.sources import default_source


def jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, "JPEG", quality=75)
    return buf.getvalue()


def make_pack(path, split=(0, 1, 0, 1, 0, 0), labels=(3, 1, 4, 1, 5, 9)) -> list[bytes]:
    """A pack of a few JPEG files in the shipped format: one header shared by all, then each file's rest."""
    files = [jpeg(i) for i in range(len(split))]
    n = 0
    while all(f[n] == files[0][n] for f in files):           # the bytes every file starts with
        n += 1
    rest = [f[n:] for f in files]
    np.savez(path, header=np.frombuffer(files[0][:n], np.uint8), payload=np.frombuffer(b"".join(rest), np.uint8),
             lengths=np.array([len(r) for r in rest], np.uint16), labels=np.array(labels, np.uint8),
             split=np.array(split, np.uint8), classes=np.array(CIFAR10_CLASSES))
    return files


def decoded(data: bytes) -> torch.Tensor:
    return torch.from_numpy(np.array(Image.open(io.BytesIO(data)).convert("RGB"))).permute(2, 0, 1)


def test_the_pack_decodes_to_each_files_own_pixels_split_by_split(tmp_path):
    files = make_pack(tmp_path / "pack.npz")
    classes, xtr, ytr, xte, yte = cifar10_pack.load(tmp_path / "pack.npz")
    assert classes == CIFAR10_CLASSES
    assert xtr.shape == (4, 3, 32, 32) and xte.shape == (2, 3, 32, 32) and xtr.dtype == torch.uint8
    assert ytr.tolist() == [3, 4, 5, 9] and yte.tolist() == [1, 1] and ytr.dtype == torch.int64
    for x, i in zip([*xtr, *xte], [0, 2, 4, 5, 1, 3]):       # each split in its own order
        assert torch.equal(x, decoded(files[i]))
    assert xtr.is_contiguous() and xte.is_contiguous()


def test_worker_processes_decode_the_same_pixels_as_one_process(tmp_path):
    """The pack is split between fresh Python processes on a big pack; each part lands in its slice."""
    make_pack(tmp_path / "pack.npz", split=(0, 1) * 5, labels=tuple(range(10)))
    path = tmp_path / "pack.npz"
    with np.load(path) as z:
        order = np.argsort(z["split"], kind="stable")
    alone = cifar10_pack._decode(str(path), order)
    parts = np.array_split(np.arange(10), 3)
    images = np.zeros((10, 3, 32, 32), np.uint8)
    cifar10_pack._decode_in_processes(path, parts, images)
    assert np.array_equal(images, alone)


def test_without_worker_processes_the_pack_decodes_in_this_one(tmp_path, monkeypatch):
    make_pack(tmp_path / "pack.npz", split=(0, 1) * 5, labels=tuple(range(10)))

    def no_processes(*args, **kwargs):
        raise OSError("Resource temporarily unavailable")
    monkeypatch.setattr(cifar10_pack.subprocess, "Popen", no_processes)
    monkeypatch.setattr(cifar10_pack, "_SPLIT_FROM", 2)       # split even this small pack
    classes, xtr, ytr, xte, yte = cifar10_pack.load(tmp_path / "pack.npz", workers=2)
    assert xtr.shape == (5, 3, 32, 32) and ytr.tolist() == [0, 2, 4, 6, 8] and xte.shape == (5, 3, 32, 32)
    assert xtr.float().std() > 10                             # real pixels, not the empty buffer


def test_a_worker_that_dies_is_reported_not_taken_as_pixels(tmp_path, monkeypatch):
    make_pack(tmp_path / "pack.npz", split=(0, 1) * 5, labels=tuple(range(10)))
    monkeypatch.setattr(cifar10_pack, "_WORKER", "import sys; sys.stdout.buffer.write(b'x' * 10); sys.exit(3)")
    with pytest.raises(cifar10_pack.subprocess.SubprocessError):
        cifar10_pack._decode_in_processes(tmp_path / "pack.npz", np.array_split(np.arange(10), 2),
                                          np.zeros((10, 3, 32, 32), np.uint8))


def test_cifar10_without_a_network_is_the_compact_copy_cached_once(tmp_path, monkeypatch):
    make_pack(tmp_path / "pack.npz")
    monkeypatch.setenv("CNNLAB_CIFAR10_PACK", str(tmp_path / "pack.npz"))
    root = tmp_path / "data"
    assert cifar10_status(root) == "compact" and default_source(root) == "cifar10"
    ds = load_cifar10(root, download=True)                    # the copy in the box, not a download
    assert ds.name == "CIFAR-10 (compact copy)" and len(ds.y_train) == 4
    assert (root / "cifar10-compact-uint8.pt").exists()
    monkeypatch.setattr(cifar10_pack, "load", lambda *a: pytest.fail("decoded again"))
    again = load_cifar10(root)
    assert torch.equal(again.x_train, ds.x_train) and again.name == ds.name
    (root / "cifar-10-python.tar.gz").write_bytes(b"")       # the original files, put there by the teacher
    assert cifar10_status(root) == "ready"


def test_the_app_opens_on_the_compact_copy_and_says_so(tmp_path, monkeypatch):
    import test_app
    make_pack(tmp_path / "pack.npz")
    monkeypatch.setenv("CNNLAB_CIFAR10_PACK", str(tmp_path / "pack.npz"))
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNLAB_PRETRAINED", str(tmp_path / "none"))
    at = test_app.app()
    assert at.sidebar.radio(key="_source").value == "cifar10"
    assert "compact copy that ships with CNN Lab" in at.success[0].value
    assert any("about 3 points lower" in c.value for c in at.caption)
    assert at.button(key="download").label == "Download CIFAR-10"     # the original files, on request
    at.switch_page("pages/data.py").run()
    assert not at.exception and "CIFAR-10 (compact copy)" in at.caption[0].value


@pytest.mark.slow
def test_the_shipped_copy_is_all_of_cifar10():
    classes, xtr, ytr, xte, yte = cifar10_pack.load(cifar10_pack.PACK)
    assert classes == CIFAR10_CLASSES
    assert xtr.shape == (50_000, 3, 32, 32) and xte.shape == (10_000, 3, 32, 32)
    assert torch.bincount(ytr).tolist() == [5000] * 10 and torch.bincount(yte).tolist() == [1000] * 10
    assert cifar10_pack.PACK.stat().st_size < 25 * 2**20
    assert 100 < xtr.float().mean() < 140                     # real photographs, not blank
