"""What a benchmark prints beside its figures: the machine and how busy it was."""

from __future__ import annotations

import os
from pathlib import Path


def hardware() -> str:
    """ "2 cores, Intel(R) Xeon(R) …": the CPU count and model (from /proc/cpuinfo)."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}"


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages, "1.23 0.98 0.75" ("?" where unreadable)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
