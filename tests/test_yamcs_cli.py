"""The README's two commands, as a user runs them: ``ilrs twin --port P`` and ``ilrs yamcs
run DIR --port P`` in their own processes; Yamcs connects to the twin and receives its
telemetry; Ctrl-C stops both cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from yamcs_support import free_port, java_or_skip, wait_for

yamcs_client = pytest.importorskip("yamcs.client", reason="yamcs-client is not installed")


def _ilrs(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ilrs.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})  # fmt: skip


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_the_two_commands_fly_the_twin_from_yamcs(tmp_path):
    java_or_skip()
    port, http = free_port(), free_port()
    twin = _ilrs("twin", "--port", str(port), "--speed", "600")
    yamcs = _ilrs("yamcs", "run", str(tmp_path / "ilrs-yamcs"), "--port", str(port),
                  "--http-port", str(http))
    said: list[str] = []

    def read() -> None:
        for text in iter(yamcs.stdout.readline, ""):
            said.append(text)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        client = yamcs_client.YamcsClient(f"127.0.0.1:{http}")

        def received() -> bool:
            if twin.poll() is not None or yamcs.poll() is not None:
                raise AssertionError("a command exited early")
            try:
                return client.get_link("ilrs", "twin").get_info().in_count > 0
            except Exception:  # Yamcs not answering yet
                return False

        wait_for(received, 240, "Yamcs receiving the twin's telemetry")
        processor = client.get_processor("ilrs", "realtime")
        value = wait_for(lambda: processor.get_parameter_value("/ILRS/station_time_utc_s"),
                         60, "the twin's clock in Yamcs")
        assert value.eng_value > 2.0e9  # the twin's UTC in 2036
        client.close()
        # the command may still be polling Yamcs' API when Yamcs already serves the link:
        # stop it only once it has said where Yamcs runs
        wait_for(lambda: "Yamcs at http://127.0.0.1:" in "".join(said), 120,
                 "ilrs yamcs run saying where Yamcs runs")
    finally:
        _stop(yamcs)
        reader.join(timeout=60)
        yamcs_out, twin_out = "".join(said), _stop(twin)
    assert yamcs.returncode == 0, yamcs_out[-2000:]
    assert twin.returncode == 0, twin_out[-2000:]
    assert "Yamcs at http://127.0.0.1:" in yamcs_out
    assert f"twin listening on tcp 127.0.0.1:{port}" in twin_out
    assert (tmp_path / "ilrs-yamcs" / "mdb" / "ilrs.xml").is_file()
