"""What this machine's CPU is, and what it runs fastest: its vendor, family and instruction-set flags (read
once from /proc/cpuinfo), whether its bf16 matrix work beats fp32 (`fast_bf16`, which precision "auto" and
the recipes of `cpu-5min` and `cpu-15min` follow) and at what width (`halves_avx512`, which `cpu-15min`'s
recipe follows too), and which library multiplies large fp32 matrices fastest on it
(`matmul_library`, which `models.Linear` follows). The figures behind each rule are in BENCHMARKS.md §3.
"""
from __future__ import annotations

import functools
import os
from typing import NamedTuple

import torch


class CpuInfo(NamedTuple):
    vendor: str                # as the CPU names itself: "GenuineIntel", "AuthenticAMD"; "" where unknown
    flags: frozenset[str]      # its instruction-set flags: "avx512f", "avx512_bf16", "amx_tile", ...
    family: int                # its "cpu family" number (AMD: 25 Zen 3 and 4, 26 Zen 5); 0 where unknown


@functools.cache
def _cpuinfo(path: str = "/proc/cpuinfo") -> CpuInfo:
    """The first processor's vendor, flags and family in Linux's `path`; ("", {}, 0) where it cannot be read."""
    vendor, flags, family = "", frozenset(), 0
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "vendor_id" and not vendor:
                    vendor = value.strip()
                elif key == "flags" and not flags:
                    flags = frozenset(value.split())
                elif key == "cpu family" and not family:
                    family = int(value) if value.strip().isdigit() else 0
                elif not line.strip() and (vendor or flags):
                    break                                    # the first processor's block is over
    except OSError:
        pass
    return CpuInfo(vendor, flags, family)


def vendor() -> str:
    """The CPU's vendor as the CPU names itself ("GenuineIntel", "AuthenticAMD"); "" where unknown."""
    return _cpuinfo().vendor


def flags() -> frozenset[str]:
    """The CPU's instruction-set flags as Linux lists them ("avx512f", "avx512_bf16", …); empty where unknown."""
    return _cpuinfo().flags


def has_amx() -> bool:
    """Whether the CPU has AMX, the bf16 matrix units of Intel's Xeons since their 4th generation. False
    where PyTorch cannot tell."""
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def fast_bf16() -> bool:
    """Whether bf16 autocast trains the batch-norm networks faster than fp32 on this CPU: with AMX
    (1.8-2.5x on an Intel Xeon), and on AMD's CPUs with AVX-512 bf16 (1.6-1.8x on an AMD EPYC, Zen 5,
    1.5-1.7x on a Zen 4; bench/bench_precision.py), whose bf16 dot products oneDNN uses. Not on Intel's
    CPUs with AVX-512 bf16 but no AMX, where bf16 convolutions ran slower than fp32 ones, nor on a CPU
    with neither."""
    return has_amx() or (vendor() == "AuthenticAMD" and "avx512_bf16" in flags())


def halves_avx512() -> bool:
    """Whether the CPU runs each 512-bit AVX-512 instruction as two 256-bit halves: AMD's Zen 4 (family 25, the
    first of AMD's with AVX-512; Zen 3, the same family, has none). bf16 is still fast there (1.5-1.7x fp32),
    but gpu-speedrun's network trained at 0.58x the speed of a Zen 5's (432 against 745 images/s in bf16 on
    the AMD EPYCs of 2026-12-02), so `cpu-15min` trains on smaller images for longer (BENCHMARKS.md §3)."""
    info = _cpuinfo()
    return info.vendor == "AuthenticAMD" and info.family == 25 and "avx512f" in info.flags


def onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """x @ weight.T + bias in fp32 by oneDNN's matrix product (any strides; no reduced precision)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


@functools.cache
def has_onednn_linear() -> bool:
    """Whether this PyTorch has oneDNN's fp32 linear product (a private operator, so it is tried once on
    a small product and compared with the plain one rather than trusted by name)."""
    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
        return False
    try:
        with torch.no_grad():
            x, w, b = torch.linspace(-1, 1, 24).view(3, 8), torch.linspace(1, -1, 40).view(5, 8), torch.ones(5)
            out = onednn_linear(x, w, b)
            return out.shape == (3, 5) and torch.allclose(out, torch.addmm(b, x, w.t()), atol=1e-5)
    except Exception:                                          # any failure: MKL's product, always there
        return False


@functools.cache
def matmul_library() -> str:
    """Which library multiplies the large fp32 linear layers on this CPU: "onednn" or "mkl". MKL runs its
    AVX2 code on a CPU that is not Intel's: on the AMD EPYC (Zen 5, AVX-512) of 2026-12-02 it reached
    180 GFLOP/s on 2 cores where oneDNN, which picks its kernels by instruction set, reached 410, and the
    tutorial's fc3 ran 2-2.5x faster by oneDNN. On Intel's CPUs MKL is kept, as measured there.
    CNNLAB_MATMUL=mkl or =onednn chooses by hand (for benchmarks); MKL wherever oneDNN is missing."""
    chosen = os.environ.get("CNNLAB_MATMUL", "").strip().lower()
    if chosen not in ("mkl", "onednn"):
        chosen = "mkl" if vendor() in ("GenuineIntel", "") else "onednn"
    return "onednn" if chosen == "onednn" and has_onednn_linear() else "mkl"
