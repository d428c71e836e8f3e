"""The benchmark scripts behind BENCHMARKS.md still run: a few steps of each side, not a measurement."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_train_runs_its_three_sides_and_reports_the_ratio_and_the_ceiling():
    out = subprocess.run([sys.executable, "bench/bench_train.py", "--rounds", "1", "--max-steps", "2",
                          "--data", "builtin", "--also", "mkl"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "cnnlib's linear layers by " in text and "ceiling: fp32 matrix products at" in text
    assert "round 1 tutorial" in text and "round 1 cnnlib " in text and "round 1 cnnlib-mkl" in text
    assert "ratio cnnlib/tutorial = " in text and "cnnlib with MKL's products:" in text
    assert "target (issue #19):" in text


@pytest.mark.slow
def test_bench_precision_times_each_cpu_network_both_ways_and_names_the_cpu():
    out = subprocess.run([sys.executable, "bench/bench_precision.py", "--rounds", "1", "--steps", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "CPU: " in text and "cpu.fast_bf16(): " in text
    for network in ("speedrun (cpu-15min:bf16), 32 px", "speedrun (cpu-15min:bf16), 24 px", "fast (cpu-5min)",
                    "quick (fast-cpu)"):
        line = next(x for x in text.splitlines() if x.startswith(network))
        fp32, bf16, ratio = line[len(network):].split()[:3]
        assert float(fp32.replace(",", "")) > 0 and float(bf16.replace(",", "")) > 0 and ratio.endswith("x")
    assert "cpu.fast_bf16() says " in text and ("(right)" in text or "(WRONG for this CPU" in text)


def test_bench_apps_thread_watch_keeps_an_ended_threads_time_and_the_share_leaves_out_the_busiest():
    """What bench_app reads of the server: every thread's CPU time, an ended thread's (the training thread
    ends with the run) kept at its last reading; and the others' time per second of the busiest's."""
    import os
    import threading
    import time
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_app
    assert bench_app.serving_share({1: 10.0, 2: 1.0}, {1: 30.0, 2: 2.0, 3: 1.0}) == 2.0 / 20.0
    assert bench_app.serving_share({}, {}) == 0.0
    watch = bench_app.ThreadWatch(os.getpid())
    go, seen = threading.Event(), threading.Event()

    def work():
        go.wait()
        sum(range(3 * 10**6))                    # some CPU time of its own
        seen.wait()
    busy = threading.Thread(target=work)
    try:
        before = watch()
        busy.start()
        go.set()
        deadline = time.monotonic() + 30
        while watch().get(busy.native_id, 0.0) == 0.0 and time.monotonic() < deadline:   # read while it runs
            time.sleep(0.01)
        last = watch()[busy.native_id]
        seen.set()
        busy.join()
        after = watch()                          # the thread has ended: its last reading stays
    finally:
        seen.set()
        watch.stop()
    assert str(busy.native_id) not in os.listdir(f"/proc/{os.getpid()}/task")
    assert after[busy.native_id] >= last > 0.0
    assert all(after[tid] >= before[tid] for tid in before)
