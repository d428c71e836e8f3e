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
    assert "cpu.fast_bf16() says " in text
