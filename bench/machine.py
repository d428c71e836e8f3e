"""What machine a bench ran on, for the line printed beside every figure: the CPU's model name and the
machine's cores. No PyTorch here: the benches that drive browsers import it too."""
from __future__ import annotations

import os
import re
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name and the machine's cores, from /proc/cpuinfo (a bench that keeps itself and its
    browsers off the server's core, --split, still names the machine, not its own share of it)."""
    try:
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    except OSError:
        names = []
    return f"{names[0].strip() if names else 'unknown CPU'}, {os.cpu_count()} cores"
