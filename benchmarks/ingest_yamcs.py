"""The peer of ``benchmarks/ingest.py``: the same packets through a real Yamcs 5.12.8.

Yamcs runs the instance ``ilrs yamcs init`` writes for the benchmark's mission database
(XTCE export), with the work our ground does switched on: the realtime processor decodes
every parameter, calibrates and checks the alarm ranges, ``XtceTmRecorder`` archives the
raw packets and the parameter archive's realtime filler stores the values column-wise. The
benchmark is the spacecraft: it listens, Yamcs' ``TcpTcTmDataLink`` connects, and the
packets are paced over that connection exactly as into our ground link. After a warm-up
(3 s of other packets: the JVM compiles its hot paths), the CPU time of the Java process
is taken from /proc while the measured packets go in, until the link has counted them all.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from ilrs.errors import ExternalProgramError
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.yamcs.instance import write_instance
from ilrs.ops.yamcs.server import YamcsProcess


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_in(link, count: int, timeout_s: float) -> int:
    """Poll Yamcs' link until it has received ``count`` packets (bounded); its count."""
    deadline = time.monotonic() + timeout_s
    while True:
        n = link.get_info().in_count
        if n >= count or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def run_yamcs(db: MissionDatabase, ticks: list, warm: list,
              pace: Callable[[socket.socket, list], tuple]) -> dict | None:  # fmt: skip
    """Ingest ``ticks`` (after ``warm``) in Yamcs; the figures, or None where it cannot run."""
    try:
        from yamcs.client import YamcsClient
    except ImportError:
        print("[yamcs] skipped: yamcs-client is not installed (pip install 'ilrs[yamcs]')")
        return None
    spacecraft = socket.create_server(("127.0.0.1", 0))
    with tempfile.TemporaryDirectory() as tmp:
        root = write_instance(Path(tmp), db, http_port=_free_port(),
                              twin_port=spacecraft.getsockname()[1])
        config_path = root / "etc" / "yamcs.ilrs.yaml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        for service in config["services"]:
            if service["class"].endswith("ParameterArchive"):
                service["args"] = {"realtimeFiller": {"enabled": True},
                                   "backFiller": {"enabled": False}}  # fmt: skip
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        try:
            yamcs = YamcsProcess(root).start()
        except ExternalProgramError as exc:
            print(f"[yamcs] skipped: {exc}")
            return None
        try:
            return _measure(yamcs, YamcsClient(yamcs.url.removeprefix("http://")),
                            spacecraft, db, ticks, warm, pace)  # fmt: skip
        except OSError as exc:
            raise SystemExit(f"[yamcs] failed: {exc}; Yamcs' log: {yamcs.log_tail()}") from None
        finally:
            yamcs.stop()
            spacecraft.close()


def _measure(yamcs: YamcsProcess, client, spacecraft: socket.socket, db: MissionDatabase,
             ticks: list, warm: list, pace) -> dict:  # fmt: skip
    spacecraft.settimeout(60)
    sock, _ = spacecraft.accept()  # Yamcs' link connects to the "spacecraft"
    link = client.get_link("ilrs", "twin")
    pid = yamcs._proc.pid
    n_warm = sum(len(t) for t in warm)
    pace(sock, warm)
    _wait_in(link, n_warm, 60)
    sent = sum(len(t) for t in ticks)
    cpu0, wall0 = _cpu_s(pid), time.perf_counter()
    paced, late, _ = pace(sock, ticks)
    got = _wait_in(link, n_warm + sent, 60) - n_warm
    wall = time.perf_counter() - wall0
    cpu = _cpu_s(pid) - cpu0
    sock.close()
    per_packet = len(db.containers[0].entries)
    samples = got * per_packet
    print(f"[yamcs] {sent} packets paced over {paced:.2f} s ({late} late ticks of "
          f"{len(ticks)}); all received {1000 * (wall - paced):.0f} ms after the last")
    print(f"[yamcs] sustained {samples / wall:,.0f} samples/s ({got / wall:,.0f} packets/s); "
          f"received {got}/{sent} packets")
    print(f"[yamcs] CPU while ingesting: Yamcs (Java) process {100 * cpu / wall:.0f} % of one "
          f"core")
    return {"samples": samples, "cpu_s": cpu, "wall_s": wall, "lost": sent - got}
