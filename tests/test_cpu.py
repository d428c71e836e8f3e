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


def test_the_first_processors_vendor_and_flags_are_read(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    vendor, flags = cpu._cpuinfo(str(path))
    assert vendor == "AuthenticAMD" and {"avx2", "avx512_bf16", "avx512_vnni"} <= flags and "fpu" in flags
    assert cpu._cpuinfo(str(tmp_path / "missing")) == ("", frozenset())         # not Linux: nothing known
    (tmp_path / "odd").write_bytes(b"vendor_id : \xff\xfe\nflags : a b\n")
    assert cpu._cpuinfo(str(tmp_path / "odd"))[1] == {"a", "b"}                  # odd bytes do not stop it


def test_this_machines_cpu_is_read_as_a_name_and_a_set_of_flags():
    vendor, flags = cpu._cpuinfo()
    assert isinstance(vendor, str) and ":" not in vendor and "\n" not in vendor
    assert all(isinstance(f, str) and " " not in f for f in flags)


def test_bf16_is_fast_with_amx_or_on_amds_avx512_bf16_only(monkeypatch):
    for amx, vendor, flags, fast in [(True, "GenuineIntel", {"amx_tile"}, True),
                                     (False, "GenuineIntel", {"avx512_bf16"}, False),
                                     (False, "AuthenticAMD", {"avx512_bf16", "avx512f"}, True),
                                     (False, "AuthenticAMD", {"avx2"}, False), (False, "", set(), False)]:
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx, raising=False)
        monkeypatch.setattr(cpu, "_cpuinfo", lambda v=vendor, f=frozenset(flags): (v, f))
        assert cpu.fast_bf16() is fast, (amx, vendor, flags)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")                 # a PyTorch that cannot tell
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: ("GenuineIntel", frozenset({"amx_tile"})))
    assert cpu.has_amx() is False and cpu.fast_bf16() is False


def test_large_linear_layers_multiply_by_onednn_only_on_cpus_not_intels(monkeypatch):
    """MKL takes its AVX2 code on a CPU not Intel's, where oneDNN took AVX-512's (BENCHMARKS.md §3):
    by vendor, with CNNLAB_MATMUL to choose by hand and MKL wherever oneDNN or the vendor is missing."""
    for vendor, env, expected in [("GenuineIntel", "", "mkl"), ("AuthenticAMD", "", "onednn"), ("", "", "mkl"),
                                  ("AuthenticAMD", "mkl", "mkl"), ("GenuineIntel", " ONEDNN ", "onednn"),
                                  ("AuthenticAMD", "cublas", "onednn")]:
        monkeypatch.setattr(cpu, "_cpuinfo", lambda v=vendor: (v, frozenset()))
        monkeypatch.setenv("CNNLAB_MATMUL", env)
        cpu.matmul_library.cache_clear()
        assert cpu.matmul_library() == (expected if _HAS_DNN else "mkl"), (vendor, env)
    cpu.matmul_library.cache_clear()


def test_a_pytorch_whose_onednn_product_fails_or_differs_multiplies_by_mkl(monkeypatch):
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: ("AuthenticAMD", frozenset()))
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
