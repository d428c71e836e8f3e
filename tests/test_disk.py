"""Writers of one file at once (sessions uploading the same zip) and a full disk met while a file
is written: said as such (files.DiskFull), with nothing left behind.

    .venv/bin/python -m pytest tests/test_disk.py -q

The full disk is faked (tests/fulldisk.py); for a real one, mount a 1 MB tmpfs as root.
"""
from __future__ import annotations

import errno
import io
import os
import threading
from pathlib import Path

import pytest
from fulldisk import fill
from smalldata import tiny_dataset

import cnnlib.data as data_mod
from cnnlib.data import DataError, cached, load_cifar10
from cnnlib.files import atomic_write
from cnnlib.sources import save_upload


def everything(folder: Path) -> list[str]:
    """Every file and folder under `folder`, hidden ones included, as relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def at_once(n: int, work) -> list:
    """work(i) in n threads started together; their results, or the exceptions they raised."""
    start, out = threading.Barrier(n), [None] * n

    def run(i):
        start.wait()
        try:
            out[i] = work(i)
        except Exception as e:  # noqa: BLE001 - the test looks at what each raised
            out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


# --- writers of one file at once ---------------------------------------------------------------------

def test_writers_of_one_file_at_once_never_collide_and_readers_see_a_whole_file(tmp_path):
    path, size = tmp_path / "shared.bin", 2 * 2**20
    path.write_bytes(bytes(size))
    seen, done = [], threading.Event()

    def read():
        while not done.is_set():
            data = path.read_bytes()
            seen.append(len(data) == size and data.count(data[:1]) == size)

    reader = threading.Thread(target=read)
    reader.start()
    results = at_once(6, lambda i: atomic_write(path, bytes([i + 1]) * size))
    done.set()
    reader.join()
    assert results == [None] * 6, results
    data = path.read_bytes()
    assert len(data) == size and data[0] in range(1, 7) and data.count(data[:1]) == size   # one writer's, whole
    assert seen and all(seen), "a reader saw a half-written file"
    assert [p.name for p in tmp_path.iterdir()] == ["shared.bin"]                 # no temporary file left


def test_sessions_saving_the_same_upload_at_once_all_get_it(tmp_path):
    """Three sessions uploading one zip at once: one got 'not a readable .zip', two a raw
    FileNotFoundError on the temporary file they shared."""
    data = os.urandom(4 * 2**20)
    paths = at_once(4, lambda i: save_upload(data, "class set.zip", tmp_path))
    assert not [p for p in paths if isinstance(p, Exception)], paths
    assert len(set(paths)) == 1 and Path(paths[0]).read_bytes() == data
    assert everything(tmp_path / "uploads") == [Path(paths[0]).name]


# --- a full disk ---------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["OSError", "RuntimeError"])
def test_a_data_set_cache_that_cannot_be_written_costs_only_time(tmp_path, monkeypatch, how):
    """torch.save into a real full file raises RuntimeError (its own writer), not OSError."""
    if how == "OSError":
        fill(monkeypatch)
    else:
        def fails(*a, **kw):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")
        monkeypatch.setattr(data_mod.torch, "save", fails)
    ds = cached(tmp_path / "cache" / "set.pt", tiny_dataset)
    assert len(ds.y_train) == 64
    assert everything(tmp_path / "cache") == []


def test_a_download_that_fills_the_disk_says_so_and_leaves_nothing(tmp_path, monkeypatch):
    response = io.BytesIO(bytes(3 * 2**20))
    response.headers = {"Content-Length": str(3 * 2**20)}
    monkeypatch.setattr(data_mod.urllib.request, "urlopen", lambda url, timeout: response)
    fill(monkeypatch)
    with pytest.raises(DataError, match="The server's disk is full: CIFAR-10 could not be saved"):
        load_cifar10(tmp_path, download=True)
    assert everything(tmp_path) == []


def test_cifar10_that_fills_the_disk_as_it_is_unpacked_says_so_and_frees_what_it_unpacked(tmp_path, monkeypatch):
    from torchvision import datasets

    class UnpackedUntilFull:
        filename, base_folder = "cifar-10-python.tar.gz", "cifar-10-batches-py"

        def __init__(self, root, train, download):
            (Path(root) / self.base_folder).mkdir(exist_ok=True)
            (Path(root) / self.base_folder / "data_batch_1").write_bytes(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(datasets, "CIFAR10", UnpackedUntilFull)
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"x")           # downloaded already
    with pytest.raises(DataError, match="disk is full: the unpacked CIFAR-10 could not be saved"):
        load_cifar10(tmp_path, download=True)
    assert everything(tmp_path) == ["cifar-10-python.tar.gz"]


# --- what a killed save leaves ---------------------------------------------------------------------


