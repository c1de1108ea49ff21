"""What the tests that start a real Yamcs share: free ports, the one-line skip where Java
cannot start, a command sent from Yamcs and verified there (and ``wait_for``, the ops
tests' wait on a condition)."""

from __future__ import annotations

import socket
import subprocess

import pytest

from ilrs.errors import ExternalProgramError
from ilrs.ops.tmtc.xtce_names import xtce_name
from ilrs.ops.yamcs.server import find_java, find_yamcs_lib
from test_ops_support import wait_for

__all__ = ["PAYLOAD", "free_port", "java_or_skip", "power_off_from_yamcs", "wait_for"]


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


#: Russia's payload (ILRS-2) in the built-in roadmap: on at the start, commanded off.
PAYLOAD = "payload.lunar_physics_station"


def power_off_from_yamcs(processor, *, timeout_s: float = 90.0) -> None:
    """Send the payload's ``power_off`` from Yamcs once it draws power: every PUS-1 verifier
    OK and the command complete, then its power at 0 in Yamcs' telemetry."""
    power = f"/ILRS/{xtce_name(PAYLOAD)}_power_w"
    wait_for(lambda: (v := processor.get_parameter_value(power)) and v.eng_value > 0, 60,
             "the payload on")
    conn = processor.create_command_connection()
    try:
        command = conn.issue(f"/ILRS/{xtce_name(PAYLOAD)}_power_off")
        for stage in ("Verifier_Accepted", "Verifier_Started", "Verifier_Completed"):
            ack = command.await_acknowledgment(stage, timeout=timeout_s)
            assert ack.status == "OK", (stage, ack.status, ack.message)
        command.await_complete(timeout=timeout_s)
        assert command.is_success(), command.error
    finally:
        conn.cancel()
    wait_for(lambda: processor.get_parameter_value(power).eng_value == 0.0, 60,
             "the payload's power at 0 in Yamcs")
