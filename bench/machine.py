"""What machine a bench ran on, for the line printed beside every figure: the CPU's model name and the
machine's cores. No PyTorch here: the benches that drive browsers import it too."""
from __future__ import annotations

import os
import re
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name, its family where the name alone does not tell (a virtual machine's "AMD EPYC"
    is a Zen 4 in family 25, a Zen 5 in 26) and the machine's cores, from /proc/cpuinfo (a bench that keeps
    itself and its browsers off the server's core, --split, still names the machine, not its own share of it)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    names = re.findall(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
    families = re.findall(r"^cpu family\s*:\s*(\d+)", info, re.MULTILINE)
    family = f" (cpu family {families[0]})" if families else ""
    return f"{names[0].strip() if names else 'unknown CPU'}{family}, {os.cpu_count()} cores"
