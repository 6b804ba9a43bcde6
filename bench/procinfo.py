"""Facts about this process and this machine, read from /proc and the standard library."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_kb() -> int:
    """Resident set size now (VmRSS), in KiB."""
    return _status_kb("VmRSS")


def peak_rss_kb() -> int:
    """Peak resident set size so far (VmHWM), in KiB."""
    return _status_kb("VmHWM")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count() or 0),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "OS": f"{platform.system()} {platform.release()}",
    }
