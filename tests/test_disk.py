"""No work lost to the disk or a crash: writers of one file at once (sessions uploading the same
zip), kept uploads (a refused one deleted at once, the rest within CNNLAB_UPLOADS_MB, least
recently used first, never one in use), a full disk reported as such with nothing left behind,
and what a save killed halfway leaves, cleaned up.

    .venv/bin/python -m pytest tests/test_disk.py -q

The full disk is faked (tests/fulldisk.py); for a real one, mount a 1 MB tmpfs as root.
"""
from __future__ import annotations

import errno
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
import torch
from fulldisk import fill
from smalldata import png, tiny_dataset

import cnnlib.data as data_mod
from cnnlib import files
from cnnlib.checkpoints import PARTIAL, bundle, bundle_bytes, load_bundle, load_run, run_meta, save_bundle_to, save_run
from cnnlib.config import TrainConfig
from cnnlib.data import DataError, cached, load_cifar10
from cnnlib.files import STALE_SECONDS, DiskFull, atomic_write, remove_leftovers
from cnnlib.history import History
from cnnlib.models import build_model
from cnnlib.runs import clean_up, history_meta, list_runs, rename_run, save_history
from cnnlib.sources import add_upload, load_source, mark_used, save_upload, trim_uploads, uploads_dir, uploads_limit
from cnnlib.train import EpochEnd, Finished

ROOT = Path(__file__).resolve().parents[1]
CFG = TrainConfig(model="fast", conv_dropout=0.0, fc_dropout=0.0)
CLASSES = tuple("abcdefghij")


def history() -> History:
    return History(CFG, state="finished", epochs=[EpochEnd(0, 1.5, 0.4, 1.4, 0.45, 2.0, 2.0)],
                   finished=Finished(1, 0.45, 0.45, 2.0), dataset="tiny", classes=CLASSES)


def everything(folder: Path) -> list[str]:
    """Every file and folder under `folder`, hidden ones included, as relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def image_zip(colors=((220, 0, 0), (0, 0, 220)), n: int = 4) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, color in enumerate(colors):
            for i in range(n):
                z.writestr(f"class{k}/{i}.png", png(color))
    return buf.getvalue()


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
    assert everything(uploads_dir(tmp_path)) == [Path(paths[0]).name]


def test_sessions_adding_the_same_zip_at_once_all_load_it(tmp_path):
    data = image_zip()
    results = at_once(3, lambda i: add_upload(data, "set.zip", lambda p: data_mod.load_dataset(p, tmp_path),
                                              root=tmp_path))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({path for path, _ in results}) == 1 and all(len(ds.classes) == 2 for _, ds in results)


# --- kept uploads ------------------------------------------------------------------------------------

def load(root):
    return lambda path: data_mod.load_dataset(path, root)


@pytest.mark.parametrize("data", [b"not a zip", image_zip(colors=((220, 0, 0),))], ids=["junk", "one class"])
def test_an_upload_that_cannot_be_used_is_deleted_at_once(tmp_path, data):
    with pytest.raises(DataError):
        add_upload(data, "refused.zip", load(tmp_path), root=tmp_path)
    assert everything(uploads_dir(tmp_path)) == []


def test_a_zip_bomb_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "MAX_ARCHIVE_BYTES", 100)   # the real limit is 2 GB unpacked
    with pytest.raises(DataError, match="unpacks to"):
        add_upload(image_zip(), "bomb.zip", load(tmp_path), root=tmp_path)
    assert everything(uploads_dir(tmp_path)) == []


def kept(root: Path, names: dict[str, int], used: dict[str, float] | None = None) -> dict[str, Path]:
    """Uploads of the given sizes (MB), last used `used[name]` seconds ago."""
    out = {}
    for name, mb in names.items():
        path = Path(save_upload(os.urandom(mb * 2**20), f"{name}.zip", root))
        if used:
            t = time.time() - used[name]
            os.utime(path, (t, t))
        out[name] = path
    return out


def test_uploads_beyond_the_limit_go_least_recently_used_first_but_never_one_in_use(tmp_path):
    up = kept(tmp_path, {"a": 1, "b": 1, "c": 1, "d": 1}, used={"a": 400, "b": 300, "c": 200, "d": 100})
    cache = tmp_path / "cache" / f"{up['c'].stem}-{'0' * 16}.pt"        # c's decoded copy counts too
    cache.parent.mkdir()
    cache.write_bytes(bytes(2**20))
    deleted = trim_uploads(in_use={str(up["a"])}, root=tmp_path, limit=int(2.5 * 2**20))
    assert deleted == [up["b"], up["c"]]                                 # a is oldest but in use
    assert sorted(p.name for p in uploads_dir(tmp_path).iterdir()) == [up["a"].name, up["d"].name]
    assert not cache.exists()
    assert trim_uploads(in_use={str(up["a"]), str(up["d"])}, root=tmp_path, limit=0) == []


def test_adding_an_upload_trims_the_others_to_the_servers_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLAB_UPLOADS_MB", "0")
    first, _ = add_upload(image_zip(), "first.zip", load(tmp_path), root=tmp_path)
    second, _ = add_upload(image_zip(n=5), "second.zip", load(tmp_path), in_use=[first], root=tmp_path)
    assert Path(first).exists() and Path(second).exists()                # each in use when the other came
    third, _ = add_upload(image_zip(n=6), "third.zip", load(tmp_path), root=tmp_path)
    assert [p.name for p in uploads_dir(tmp_path).iterdir()] == [Path(third).name]
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(("first", "second"))]


def test_an_upload_being_added_is_never_trimmed_by_another_session(tmp_path):
    def load_while_another_session_trims(path):
        other = threading.Thread(target=trim_uploads, kwargs={"root": tmp_path, "limit": 0})
        other.start()
        other.join()
        return data_mod.load_dataset(path, tmp_path)
    path, ds = add_upload(image_zip(), "mine.zip", load_while_another_session_trims, root=tmp_path)
    assert Path(path).exists() and len(ds.classes) == 2


def test_the_uploads_limit_is_a_setting(monkeypatch):
    monkeypatch.delenv("CNNLAB_UPLOADS_MB", raising=False)
    assert uploads_limit() == 500 * 2**20
    monkeypatch.setenv("CNNLAB_UPLOADS_MB", "40")
    assert uploads_limit() == 40 * 2**20


def test_using_an_upload_marks_it_used_without_changing_its_cache_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNLAB_DATA_LIMIT", raising=False)
    path = save_upload(image_zip(), "set.zip", tmp_path)
    load_source(path, tmp_path)
    before = os.stat(path)
    os.utime(path, ns=(before.st_mtime_ns - 10**12, before.st_mtime_ns))  # last used 1,000 s ago
    load_source(path, tmp_path)
    after = os.stat(path)
    assert after.st_mtime_ns == before.st_mtime_ns and after.st_atime > time.time() - 60
    assert len(list((tmp_path / "cache").iterdir())) == 1                # the decoded copy was reused
    mark_used(tmp_path / "gone.zip")                                      # a vanished upload: no error


# --- a full disk ---------------------------------------------------------------------------------

def trained_like_model() -> torch.nn.Module:
    torch.manual_seed(0)
    m = build_model("fast")
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return m.eval()


FULL_RUN = {
    errno.ENOSPC: "is full: this run could not be saved. Download the run below to keep it; ask the teacher to "
                  "free space on the server.",
    errno.EDQUOT: "is over its quota: this run could not be saved.",
    errno.EROFS: "is read-only: this run could not be saved. Download the run below to keep it; ask the teacher "
                 "to make it writable.",
}


@pytest.mark.parametrize("code, words", FULL_RUN.items(), ids=["full", "quota", "read-only"])
def test_a_full_disk_when_a_run_is_saved_is_said_and_leaves_nothing(tmp_path, monkeypatch, code, words):
    """A finished run on a full disk ended as 'Training failed: OSError', with an empty folder."""
    runs = tmp_path / "runs"
    runs.mkdir()
    fill(monkeypatch, code)
    with pytest.raises(DiskFull) as e:
        save_history(runs, trained_like_model(), history())
    assert str(e.value).startswith(f"The server's disk {words}")
    assert e.value.errno == code and isinstance(e.value, OSError)
    assert everything(runs) == []


def test_a_disk_that_fills_when_a_run_is_flushed_is_said_too(tmp_path, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_space)       # delayed allocation: writes pass, the flush fails
    with pytest.raises(DiskFull, match="this run could not be saved"):
        save_history(tmp_path, trained_like_model(), history())
    assert everything(tmp_path) == []


def test_a_run_that_could_not_be_saved_can_still_be_downloaded(tmp_path, monkeypatch):
    model, h = trained_like_model(), history()
    saved = save_history(tmp_path, model, h, name="kept")
    fill(monkeypatch)
    data = bundle_bytes(model, history_meta(h, name="kept"))                # needs no disk
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(io.BytesIO(bundle(saved))) as on_disk:
        assert z.namelist() == on_disk.namelist() == ["run.json", "weights.pt"]
        assert z.read("weights.pt") == on_disk.read("weights.pt")
    run = load_bundle(data)
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(run.model(x), model(x))
    assert run.meta["name"] == "kept" and run.meta["state"] == "finished"


def test_a_full_disk_when_an_upload_is_saved_is_said_and_leaves_nothing(tmp_path, monkeypatch):
    fill(monkeypatch)
    with pytest.raises(DiskFull, match="disk is full: the upload could not be saved"):
        add_upload(image_zip(), "set.zip", load(tmp_path), root=tmp_path)
    assert everything(uploads_dir(tmp_path)) == []


def test_a_full_disk_when_a_run_is_renamed_is_said_and_changes_nothing(tmp_path, monkeypatch):
    folder = save_run(tmp_path / "run", trained_like_model(), run_meta(CFG, CLASSES, name="old"))
    fill(monkeypatch)
    with pytest.raises(DiskFull, match="the new name could not be saved"):
        rename_run(folder, "new")
    assert json.loads((folder / "run.json").read_text())["name"] == "old"
    assert everything(folder) == ["run.json", "weights.pt"]


def test_a_full_disk_when_a_run_file_is_added_is_said_and_leaves_nothing(tmp_path, monkeypatch):
    data = bundle(save_run(tmp_path / "run", trained_like_model(), run_meta(CFG, CLASSES)))
    fill(monkeypatch)
    with pytest.raises(DiskFull, match="the run could not be saved"):
        save_bundle_to(tmp_path / "runs", data, "run.zip")
    assert everything(tmp_path / "runs") == []


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

def dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_clean_up_removes_what_killed_saves_left_and_nothing_else(tmp_path):
    meta = run_meta(CFG, CLASSES, name="complete")
    run = save_run(tmp_path / "complete", trained_like_model(), meta)
    old = time.time() - STALE_SECONDS - 60

    def make(name: str, mtime: float | None = None, files=("weights.pt", "run.json")) -> Path:
        p = tmp_path / name
        p.mkdir()
        for f in files:
            (p / f).write_bytes(b"x")
        if mtime:
            os.utime(p, (mtime, mtime))
        return p

    gone = [make(f"{PARTIAL}a-{dead_pid()}-0a1b2c3d"),                  # its process was killed
            make(f"{PARTIAL}b-{os.getpid()}-0a1b2c3d", mtime=files._STARTED - 30),   # ours by id, from before we began
            make(f"{PARTIAL}c-1-0a1b2c3d", mtime=old),                  # a live process's, untouched for too long
            make("legacy-weights-only", files=("weights.pt",)),          # an older version's killed save
            make("legacy-empty", files=())]
    (run / f".run.json.{dead_pid()}-1-0a1b2c3d.tmp").write_bytes(b"{")   # a killed rename
    (run / f".weights.pt.{dead_pid()}.tmp").write_bytes(b"x")            # an older version's temporary name
    (tmp_path / f".x.{dead_pid()}.tmp").write_bytes(b"x")
    stays = [make(f"{PARTIAL}d-{os.getpid()}-0a1b2c3d"),                 # a save going on in this process
             make(f"{PARTIAL}e-1-0a1b2c3d"),                             # ... or in another live one
             make("json-only", files=("run.json",)),                     # listed (as broken), deletable
             run]
    removed = clean_up(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in stays)
    assert set(gone) <= set(removed) and everything(run) == ["run.json", "weights.pt"]
    assert [p for p, _ in list_runs(tmp_path)] == [run]                  # a partial folder is never listed
    assert clean_up(tmp_path) == [] and remove_leftovers(tmp_path / "none") == []


SAVER = """
import os, sys
import torch
from cnnlib.config import TrainConfig
from cnnlib.models import build_model
from cnnlib.history import History
from cnnlib.runs import rename_run, save_history
from cnnlib.train import EpochEnd
torch.set_num_threads(1)
model = build_model("tutorial")
h = History(TrainConfig(), state="stopped", epochs=[EpochEnd(0, 1.5, .4, 1.4, .45, 2., 2.)], dataset="tiny",
            classes=tuple("abcdefghij"))
save_history(sys.argv[1] + "-warm", model, h)          # the first save's lazy imports, before any fork
for line in sys.stdin:                                 # one child per line, saving and renaming runs until killed
    pid = os.fork()
    if pid == 0:
        n = 0
        while True:
            rename_run(save_history(sys.argv[1], model, h, name="saved in a loop"), f"renamed {n}")
            n += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
"""


@pytest.mark.slow
def test_a_save_killed_at_any_moment_leaves_only_whole_runs_after_clean_up(tmp_path):
    folder = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(folder)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    rng, leftovers = random.Random(0), 0
    try:
        for _ in range(10):
            saver.stdin.write("save\n")
            saver.stdin.flush()
            child = int(saver.stdout.readline())
            time.sleep(rng.uniform(0.05, 0.4))
            os.kill(child, signal.SIGKILL)                 # kill -9, in the middle of whatever it does
            time.sleep(0.05)
            assert not [p for p, _ in list_runs(folder) if p.name.startswith(".")]
            leftovers += sum(p.name.startswith(".") for p in folder.rglob("*"))
    finally:
        saver.stdin.close()
        saver.wait(30)
    assert saver.returncode == 0
    assert leftovers, "no kill landed during a save: the test proved nothing"
    clean_up(folder)
    listed = [p for p, _ in list_runs(folder)]
    assert listed and sorted(folder.iterdir()) == sorted(listed)          # nothing the app cannot show
    for run in listed:
        assert everything(run) == ["run.json", "weights.pt"]
        assert load_run(run).meta["name"].startswith(("saved in a loop", "renamed"))
