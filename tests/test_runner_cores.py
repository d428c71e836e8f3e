"""cnnlib.runner's core-count policy: the intra-op threads each training gets, the usable cores shared
among the runs allowed at once. (The thread and the Slots are tests/test_runner.py's.)

    .venv/bin/python -m pytest tests/test_runner_cores.py -q
"""


def test_torch_threads_share_the_cores_among_slots(monkeypatch):
    from cnnlib.runner import torch_threads
    monkeypatch.delenv("CNNLAB_TORCH_THREADS", raising=False)
    assert torch_threads(slots=1, cores=2) == 2
    assert torch_threads(slots=2, cores=16) == 8
    assert torch_threads(slots=3, cores=16) == 5
    assert torch_threads(slots=4, cores=1) == 1
    monkeypatch.setenv("CNNLAB_TORCH_THREADS", "3")
    assert torch_threads(slots=1, cores=2) == 3
