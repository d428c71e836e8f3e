"""What a process keeps in memory: glibc's allocator settings by what the process is for (`tune_malloc`),
handing freed memory back to the system (`release_memory`, and a `Tidier` while a server tests), and the
parts of PyTorch and of its libraries that a server without a GPU never uses (`skip_triton`,
`drop_unused_libraries`).

The figures behind each choice are in BENCHMARKS.md §6.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import sys

# glibc's allocator settings (mallopt), by what a process is for. "speed" keeps every freed buffer in
# the process: by default glibc hands buffers over 128 KB back to the kernel, which costs page faults
# at each step (a few per cent of an epoch here, BENCHMARKS.md §1), but a long-lived server keeping
# a gigabyte per thread's arena never gives memory back.
MALLOC = {
    "speed": {-1: 1 << 30, -3: 1 << 25},    # M_TRIM_THRESHOLD 1 GB, M_MMAP_THRESHOLD 32 MB (a command-line run)
    "default": {},                          # glibc's own: thresholds that grow with the buffers freed
    # glibc's own, but two arenas at most (M_ARENA_MAX): a server's every page run is a new thread, and
    # each new thread that runs PyTorch work (a test, Grad-CAM) starts a team of OpenMP threads with
    # arenas of their own, each keeping what it freed: 600 MB more in one test of the tutorial's CNN
    "server": {-8: 2},
}

# The settings of a server that trains: glibc's own, with two arenas at most. Keeping every freed buffer
# ("speed", as the command line does) bought no measurable speed in a training thread here (0.97-0.98x
# of it with glibc's own, within the noise) and kept twice the memory after each run; without the cap
# on arenas, the threads of the pages' tests kept hundreds of MB. What runs, pages and tests free is
# handed back besides (release_memory, Tidier).
SERVER = "server"

# A server's test hands freed memory back whenever the process has grown by this much since it last did
# (`Tidier`): a test's batches otherwise leave their freed buffers in glibc's heaps (BENCHMARKS.md §6)
TIDY_ABOVE = 64 * 2**20    # bytes of resident memory

_tidies = False   # whether a Tidier trims: set by tune_malloc(SERVER)

MADV_PAGEOUT = 21   # Linux 5.4's madvise: reclaim these pages now (clean file pages are simply dropped)
# PyTorch's CUDA build's libraries (and NVIDIA's), by file name: loaded at `import torch` whether or
# not there is a GPU
_CUDA_LIBRARY = re.compile(r"^lib(torch_cuda|c10_cuda|caffe2_nvrtc|cu\w*|nvrtc\w*|nvJitLink\w*|nvshmem\w*|nccl\w*"
                           r"|nvToolsExt\w*|nvperf\w*)[.-]")


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, loaded once (release_memory runs every few seconds on a server); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


def tune_malloc(mode: str = "speed") -> None:
    """Apply the allocator settings MALLOC[mode] to this process (glibc only; elsewhere nothing). With
    SERVER, tests hand their freed memory back as they go (`Tidier`)."""
    global _tidies
    _tidies = mode == SERVER
    libc = _libc()
    if libc is None:
        return
    with contextlib.suppress(AttributeError):
        for option, value in MALLOC[mode].items():
            libc.mallopt(option, value)


def release_memory() -> None:
    """Hand the memory that freed buffers left in this process's heaps back to the system (glibc's
    malloc_trim): after a run, a test of the whole test set or a data set's loading, on a server."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)


def resident() -> int:
    """This process's resident memory (RSS), in bytes; 0 where /proc cannot tell."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Tidier:
    """For a long piece of work in steps (a test's batches), on a server (tune_malloc(SERVER)): called
    after each step, it hands freed memory back (release_memory) whenever the process has grown by
    TIDY_ABOVE since it was made or last did. A read of /proc a step; elsewhere (the command line,
    a bench of the engine) nothing."""

    def __init__(self):
        self.on = _tidies
        self.mark = resident() if self.on else 0

    def __call__(self) -> None:
        if self.on and resident() > self.mark + TIDY_ABOVE:
            release_memory()
            self.mark = resident()


def skip_triton() -> None:
    """Keep this process from importing Triton, a compiler of GPU kernels that PyTorch's CUDA build
    carries: the first optimizer imports torch._dynamo, which imports Triton if it is installed, and
    that alone keeps 80 MB resident (BENCHMARKS.md §6). CNN Lab never compiles, so a server does not
    need it; PyTorch then answers "no Triton" (an import that fails) and goes on as without it."""
    sys.modules.setdefault("triton", None)


def file_mappings() -> list[tuple[int, int, str, str]]:
    """(start, end, permissions, path) of each of this process's memory mappings of a file (a library,
    mostly); [] where there is no /proc (not Linux)."""
    try:
        with open("/proc/self/maps") as f:
            lines = f.readlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue                                   # anonymous memory, [heap], [stack], [vdso], ...
        start, end = (int(v, 16) for v in parts[0].split("-"))
        found.append((start, end, parts[1], parts[5].rstrip("\n")))
    return found


def cuda_library_mappings() -> list[tuple[int, int, str]]:
    """(start, end, path) of each of this process's memory mappings of a CUDA library; [] where there
    are none (PyTorch's CPU-only build) or no /proc (not Linux)."""
    return [(start, end, path) for start, end, _, path in file_mappings()
            if _CUDA_LIBRARY.match(path.rsplit("/", 1)[-1])]


def read_only_mappings() -> list[tuple[int, int, str]]:
    """(start, end, path) of each of this process's read-only mappings of a regular file: the libraries'
    code and constants, which the kernel can always read again from their files."""
    regular: dict[str, bool] = {}
    found = []
    for start, end, perms, path in file_mappings():
        if perms[0] != "r" or "w" in perms:
            continue
        if path not in regular:
            regular[path] = os.path.isfile(path)       # not a device, a deleted file or a memfd
        if regular[path]:
            found.append((start, end, path))
    return found


def drop_unused_libraries() -> int:
    """Where PyTorch runs on the CPU (no GPU), hand back to the kernel (madvise MADV_PAGEOUT) the pages
    of libraries that the start read but work does not use: every page of the CUDA build's CUDA libraries
    (`import torch` reads about 150 MB of them, which a CPU never runs), and the pages of every library's
    code and constants that the imports ran once (PyTorch registering its operators: some 70 MB). They
    stay mapped: a page that work needs is read in again from its file, once. Clean file pages only,
    and a page that another process maps too (a second server) stays. Call it once, after the imports.
    Returns how many mappings were handed back (0 with a GPU, or a kernel before Linux 5.4)."""
    import torch

    libc = _libc()
    if libc is None or torch.cuda.is_available():
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    done = 0
    # every mapping of the CUDA libraries (their data too: a CPU never reads it), the others' read-only ones
    cuda = [(start, end) for start, end, _ in cuda_library_mappings()] if torch.version.cuda else []
    for start, end in dict.fromkeys(cuda + [(start, end) for start, end, _ in read_only_mappings()]):
        if libc.madvise(start, end - start, MADV_PAGEOUT) != 0:
            return done                 # EINVAL: a kernel without MADV_PAGEOUT; nothing else to try
        done += 1
    return done
