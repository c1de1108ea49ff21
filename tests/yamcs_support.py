"""What the tests that start a real Yamcs share: free ports, the one-line skip where Java
cannot start, and waiting on a condition."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from ilrs.errors import ExternalProgramError
from ilrs.ops.yamcs.server import find_java, find_yamcs_lib


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 free now (TCP, or UDP with ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def java_or_skip() -> None:
    """Skip (one line) where no Java runtime or Yamcs jars are, or Java cannot start."""
    try:
        java = find_java()
        find_yamcs_lib()
        subprocess.run([java, "-version"], check=True, capture_output=True, timeout=60)
    except (ExternalProgramError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"Yamcs cannot start here: {exc}")


def wait_for(predicate, timeout_s: float, what: str):
    """Poll ``predicate`` until it returns something true (a condition, not a sleep)."""
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        pause.wait(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
