"""What a long-lived server keeps in memory: a fresh process set up as the app sets itself up
(cnnlib.memory.skip_triton, the server's allocator settings) makes Shapes-10 and trains runs one after
the other, as a class does, and reads its own resident memory (RSS) between them.

    .venv/bin/python -m pytest tests/test_memory.py -q

Seen before: two fast-cpu runs on Shapes-10 took a server to 2.5 GB (the set was drawn all at once,
and the allocator kept every freed buffer of every thread for good).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import gc, json, sys
from cnnlib.memory import SERVER, skip_triton, tune_malloc
from cnnlib.runner import Runner
skip_triton()
tune_malloc(SERVER)
import torch
torch.set_num_threads(1)
from cnnlib.config import preset
from cnnlib.sources import load_source

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

out = {"imports": rss()}
data = load_source("builtin", sys.argv[1])    # all of Shapes-10, drawn here (no cache yet): 74 MB of images
gc.collect()
out["data"] = rss()
runs = []
for _ in range(3):
    r = Runner(preset("fast-cpu", eval_every=0, max_train=3000, max_test=500), data)
    r.start()
    r._thread.join()
    assert r.snapshot().state == "finished", r.snapshot().message
    del r
    gc.collect()
    runs.append(rss())
out["runs"] = runs
out["imported"] = [m for m in ("torch._dynamo", "pandas", "torchvision") if m in sys.modules]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_server_gives_memory_back_between_runs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("CNNLAB_DATA_LIMIT", None)
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    mb = json.loads(r.stdout.strip().splitlines()[-1])
    data, runs = mb["data"] - mb["imports"], [m - mb["data"] for m in mb["runs"]]
    assert data < 140, f"making Shapes-10 kept {data:.0f} MB (its images are 74 MB)"
    # what a server never needs: the compiler's front end (torch.optim's step imports it), pandas, torchvision
    assert mb["imported"] == [], f"imported {mb['imported']}"
    assert runs[0] < 120, f"the first run kept {runs[0]:.0f} MB"        # oneDNN's kernels and the like, once
    assert max(runs[1:]) - runs[0] < 25, f"later runs kept more each: {runs}"


def resident_mb(mappings) -> float:
    """How much of these (start, end, ...) mappings of this process is resident (smaps' Rss), in MiB."""
    starts, total, counted = {m[0] for m in mappings}, 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                counted = int(head[0].split("-")[0], 16) in starts
            elif counted and head[0] == "Rss:":
                total += int(head[1])
    return total / 1024


def read_pages(mappings) -> None:
    """Read a byte of every page of these (start, end, ...) mappings that is readable (so they are resident)."""
    import ctypes

    with open("/proc/self/maps") as f:
        readable = {int(line.split("-")[0], 16) for line in f if line.split()[1].startswith("r")}
    for start, end, *_ in mappings:
        if start in readable:
            for page in range(start, end, 4096):
                ctypes.string_at(page, 1)


def test_a_server_without_a_gpu_hands_back_the_library_pages_it_does_not_use():
    # In this process, as in a server: a page is handed back only where no other process maps it (a test
    # in a child process would share each page with this one, which imported torch too)
    from cnnlib import memory

    cuda = memory.cuda_library_mappings()
    code = [m for m in memory.read_only_mappings() if "libtorch_cpu" in m[2]]   # PyTorch's CPU kernels
    read_pages(cuda + code)                     # resident, whatever an earlier test (the app's) did
    before = resident_mb(cuda), resident_mb(code)
    dropped = memory.drop_unused_libraries()
    after = resident_mb(cuda), resident_mb(code)
    x = torch.nn.functional.conv2d(torch.randn(64, 3, 32, 32), torch.randn(8, 3, 3, 3)).relu().sum()
    later = resident_mb(cuda), resident_mb(code)
    assert torch.isfinite(x)                    # the CPU's kernels still run, read in again where needed
    if torch.cuda.is_available():               # a GPU uses them: nothing is handed back
        assert dropped == 0
        return
    assert dropped > 0 and before[1] > 50, (dropped, before)
    assert after[1] < before[1] / 4 and later[1] < before[1] / 2, (before, after, later)
    if torch.version.cuda:                      # PyPI's build on Linux, as on this machine
        assert before[0] > 50 and after[0] < before[0] / 4 and later[0] < before[0] / 4, (before, after, later)
    else:                                       # the CPU-only build (Community Cloud): no CUDA library
        assert cuda == []


def test_a_servers_test_hands_memory_back_whenever_it_has_grown(monkeypatch):
    from cnnlib import memory
    from cnnlib.models import build_model
    from cnnlib.train import evaluate

    mb, grown, trims = 2**20, [0], []
    monkeypatch.setattr(memory, "_tidies", memory._tidies)       # put back whatever this process had
    monkeypatch.setattr(memory, "_libc", lambda: None)           # no mallopt in the test's own process
    monkeypatch.setattr(memory, "resident", lambda: 500 * mb + grown[0])
    monkeypatch.setattr(memory, "release_memory", lambda: (trims.append(grown[0] // mb), grown.__setitem__(0, 0)))
    model = build_model("small", 10, 0.0, 0.0, 16)
    model.register_forward_hook(lambda *a: grown.__setitem__(0, grown[0] + 20 * mb))   # each batch keeps 20 MB more
    x, y = torch.randint(0, 256, (10 * 8 + 3, 3, 16, 16), dtype=torch.uint8), torch.randint(0, 10, (83,))
    memory.tune_malloc("speed")                                  # the command line: keeps what it frees
    evaluate(model, x, y, batch_size=8)
    assert trims == []
    memory.tune_malloc(memory.SERVER)
    grown[0] = 0
    evaluate(model, x, y, batch_size=8)                          # 11 batches, 20 MB each: over 64 MB at the 4th
    assert memory.TIDY_ABOVE == 64 * mb and trims == [80, 80]


PEAKS = r"""
import ctypes, json, torch
from cnnlib.memory import SERVER, tune_malloc
tune_malloc(SERVER)
torch.set_num_threads(2)
from cnnlib.adversarial import accuracy_vs_epsilon
from cnnlib.data import Dataset
from cnnlib.models import build_model
from cnnlib.train import evaluate

def current_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def peak_above_now(work):    # how far above today's RSS `work` took this process's at its peak (VmHWM), MiB
    ctypes.CDLL("libc.so.6").malloc_trim(0)    # what earlier work left in the heaps goes first
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = current_mb()
    work()
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024 - start

g = torch.Generator().manual_seed(0)
x = torch.randint(0, 256, (20_000, 3, 32, 32), dtype=torch.uint8, generator=g)    # 61 MB of images
y = torch.randint(0, 10, (20_000,), generator=g)
ds = Dataset("noise", tuple("abcdefghij"), x, y, x[:500], y[:500])
model = build_model("tutorial", 10, 0.3, 0.5, 32).eval()
model(torch.zeros(2, 3, 32, 32))
out = {}
out["mean_std"] = peak_above_now(ds.mean_std)
big = torch.randint(0, 256, (200, 3, 256, 256), dtype=torch.uint8, generator=g)     # 39 MB; 630 MB as float64, squared
large = Dataset("large", tuple("ab"), big, y[:200] % 2, big[:10], y[:10] % 2)
out["mean_std_large"] = peak_above_now(large.mean_std)
out["attack"] = peak_above_now(lambda: accuracy_vs_epsilon(model, ds.x_test, ds.y_test))
out["test"] = max(peak_above_now(lambda: evaluate(model, x[:10_000], y[:10_000])) for _ in range(5))
print(json.dumps(out))
"""


@pytest.mark.slow
def test_the_statistics_the_attacks_and_the_tests_take_little_memory_beyond_their_batch():
    # Seen before: a data set's mean and std took 250 MB at their peak (chunks of 5,000 images as
    # float64, squared); Inspect's attack on 500 test images 250-350 MB (250 at a time); a test of the
    # tutorial's CNN on 10,000 images 250-690 MB, as glibc carved each batch's kept answers out of the
    # buffers the batch had freed (a server's settings: two arenas, glibc's own thresholds)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", PEAKS], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    mb = json.loads(r.stdout.strip().splitlines()[-1])
    assert mb["mean_std"] < 100, f"the mean and std of 20,000 images took {mb['mean_std']:.0f} MB more at their peak"
    assert mb["mean_std_large"] < 100, f"200 images of 256 pixels: {mb['mean_std_large']:.0f} MB more at the peak"
    assert mb["attack"] < 160, f"the attack on 500 images took {mb['attack']:.0f} MB more at its peak"
    assert mb["test"] < 200, f"a test of 10,000 images took {mb['test']:.0f} MB more at its peak"
