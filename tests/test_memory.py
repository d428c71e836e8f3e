"""What a long-lived server keeps in memory: a fresh process set up as the app sets itself up
(cnnlib.runner.skip_triton, the server's allocator settings) makes Shapes-10 and trains runs one after
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

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import gc, json, sys
from cnnlib.runner import SERVER_MALLOC, Runner, skip_triton
from cnnlib.train import tune_malloc
skip_triton()
tune_malloc(SERVER_MALLOC)
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
