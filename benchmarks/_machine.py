"""The first line of a benchmark's output: when, on how many cores, at what load (the
machine is shared: absolute times are only comparable at similar load)."""

from __future__ import annotations

import datetime as dt
import os


def stamp(script: str) -> str:
    """``script``'s header line: date and time (UTC), cores, 1-minute load average."""
    return (f"{script}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f} (a shared machine: absolute times are inflated "
            "by other jobs)")
