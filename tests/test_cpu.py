"""What the CPU is read as, and what cnnlib chooses by it: bf16 where it is fast, and the library that
multiplies large linear layers."""
import torch

from cnnlib import cpu

_HAS_DNN = cpu.has_onednn_linear()

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model name\t: AMD EPYC
flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni

processor\t: 1
vendor_id\t: SomethingElse
flags\t\t: fpu
"""


def test_the_first_processors_vendor_flags_and_family_are_read(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    vendor, flags, family = cpu._cpuinfo(str(path))
    assert vendor == "AuthenticAMD" and {"avx2", "avx512_bf16", "avx512_vnni"} <= flags and "fpu" in flags
    assert family == 26
    assert cpu._cpuinfo(str(tmp_path / "missing")) == ("", frozenset(), 0)      # not Linux: nothing known
    (tmp_path / "odd").write_bytes(b"vendor_id : \xff\xfe\ncpu family : 2x\nflags : a b\n")
    assert cpu._cpuinfo(str(tmp_path / "odd"))[1:] == ({"a", "b"}, 0)           # odd bytes do not stop it


def test_this_machines_cpu_is_read_as_a_name_a_set_of_flags_and_a_family():
    vendor, flags, family = cpu._cpuinfo()
    assert isinstance(vendor, str) and ":" not in vendor and "\n" not in vendor
    assert all(isinstance(f, str) and " " not in f for f in flags)
    assert isinstance(family, int) and family >= 0
    assert cpu.flags() == flags and cpu.vendor() == vendor


def test_bf16_is_fast_with_amx_or_on_amds_avx512_bf16_only(monkeypatch):
    for amx, vendor, flags, fast in [(True, "GenuineIntel", {"amx_tile"}, True),
                                     (False, "GenuineIntel", {"avx512_bf16"}, False),
                                     (False, "AuthenticAMD", {"avx512_bf16", "avx512f"}, True),
                                     (False, "AuthenticAMD", {"avx2"}, False), (False, "", set(), False)]:
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx, raising=False)
        monkeypatch.setattr(cpu, "_cpuinfo", lambda v=vendor, f=frozenset(flags): cpu.CpuInfo(v, f, 0))
        assert cpu.fast_bf16() is fast, (amx, vendor, flags)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")                 # a PyTorch that cannot tell
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: cpu.CpuInfo("GenuineIntel", frozenset({"amx_tile"}), 6))
    assert cpu.has_amx() is False and cpu.fast_bf16() is False


def test_only_amds_zen_4_is_read_as_halving_its_avx512_work(monkeypatch):
    """Zen 4 (family 25 with AVX-512) runs 512-bit instructions in two halves; Zen 3 (25, none), Zen 5 (26)
    and Intel's CPUs do not, and an unknown CPU is not assumed to."""
    for vendor, family, flags, halves in [("AuthenticAMD", 25, {"avx512f", "avx512_bf16"}, True),
                                          ("AuthenticAMD", 25, {"avx2"}, False),
                                          ("AuthenticAMD", 26, {"avx512f", "avx512_bf16"}, False),
                                          ("GenuineIntel", 6, {"avx512f", "amx_tile"}, False), ("", 0, set(), False)]:
        monkeypatch.setattr(cpu, "_cpuinfo", lambda v=vendor, f=frozenset(flags), n=family: cpu.CpuInfo(v, f, n))
        assert cpu.halves_avx512() is halves, (vendor, family, flags)


def test_large_linear_layers_multiply_by_onednn_only_on_cpus_not_intels(monkeypatch):
    """MKL takes its AVX2 code on a CPU not Intel's, where oneDNN took AVX-512's (BENCHMARKS.md §3):
    by vendor, with CNNLAB_MATMUL to choose by hand and MKL wherever oneDNN or the vendor is missing."""
    for vendor, env, expected in [("GenuineIntel", "", "mkl"), ("AuthenticAMD", "", "onednn"), ("", "", "mkl"),
                                  ("AuthenticAMD", "mkl", "mkl"), ("GenuineIntel", " ONEDNN ", "onednn"),
                                  ("AuthenticAMD", "cublas", "onednn")]:
        monkeypatch.setattr(cpu, "_cpuinfo", lambda v=vendor: cpu.CpuInfo(v, frozenset(), 0))
        monkeypatch.setenv("CNNLAB_MATMUL", env)
        cpu.matmul_library.cache_clear()
        assert cpu.matmul_library() == (expected if _HAS_DNN else "mkl"), (vendor, env)
    cpu.matmul_library.cache_clear()


def test_a_pytorch_whose_onednn_product_fails_or_differs_multiplies_by_mkl(monkeypatch):
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: cpu.CpuInfo("AuthenticAMD", frozenset(), 26))
    monkeypatch.delenv("CNNLAB_MATMUL", raising=False)

    def broken(*args):
        raise RuntimeError("mkldnn::_linear_pointwise: unknown attr")

    try:
        for op in (broken, lambda x, w, b, *rest: torch.zeros(len(x), len(w))):   # raises; computes something else
            monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", op, raising=False)
            cpu.has_onednn_linear.cache_clear()
            cpu.matmul_library.cache_clear()
            assert cpu.matmul_library() == "mkl"
    finally:
        monkeypatch.undo()
        cpu.has_onednn_linear.cache_clear()
        cpu.matmul_library.cache_clear()
