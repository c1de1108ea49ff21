"""Benchmark: sustained telemetry ingest with limit checking into each archive backend,
in the manner of Yamcs perftest1 (1,000 packets/s carrying ~370,000 parameter samples/s).

A sender thread paces pre-built PUS-C housekeeping packets (``--apids`` elements, each
packet carrying ``--params`` parameters: float32 with limits, uint16 calibrated with
limits, int16 raw) at ``--rate`` packets/s over a real TCP loopback connection into the
ground link; the processor decodes, calibrates, limit-checks, raises alarms and archives
raw packets and parameter segments. Printed: sustained samples/s, CPU used by this
process (one core = 100 %) and, for PostgreSQL, by the server processes, losses, and the
time to query one parameter over one day (filled at that parameter's rate) downsampled
to 1,000 min/max buckets (median of 5).

With ``--backend yamcs`` (part of ``all``) the same packets go through a real Yamcs too
(``benchmarks/ingest_yamcs.py``), and the run ends with each ground side's samples per
CPU-second (the sender thread excluded) and the ratios to Yamcs'.

Run: ``.venv/bin/python benchmarks/ingest.py [--backend sqlite|postgresql|yamcs|all]
[--duration-s 10] [--rate 1000] [--params 370] [--db postgresql://…]``. Without
``--db``, PostgreSQL runs in a throwaway server from the Debian binaries.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ilrs.ops.archive import open_archive
from ilrs.ops.archive.pgtemp import TemporaryPostgres, find_pg_bin
from ilrs.ops.processing.processor import Processor
from ilrs.ops.tmtc.codec import ContainerPlan
from ilrs.ops.tmtc.link import GroundLink
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.mdb_build import mdb_from_elements
from ilrs.ops.tmtc.packets import TmPacket
from ilrs.ops.tmtc.timecodes import CucTime

S = 1_000_000_000
T0_NS = 1_893_456_000 * S  # 2030-01-01T00:00:00Z
TICK_S = 0.1


def build_mdb(n_apids: int, n_params: int) -> MissionDatabase:
    elements = []
    for a in range(n_apids):
        params = []
        for k in range(n_params):
            if k % 5 < 3:
                params.append({"name": f"p{k}", "type": "float32", "unit": "V",
                               "limits": {"yellow": {"low": 10, "high": 90},
                                          "red": {"low": 5, "high": 95}}})  # fmt: skip
            elif k % 5 == 3:
                params.append({"name": f"p{k}", "type": "uint16", "unit": "K",
                               "calibration": {"coefficients": [0.0, 0.01]},
                               "limits": {"yellow": {"high": 500.0}}})  # fmt: skip
            else:
                params.append({"name": f"p{k}", "type": "int16", "unit": "1"})
        elements.append({"id": f"e{a}", "owner": "cnsa", "parameters": params})
    return mdb_from_elements(elements)


def build_packets(db: MissionDatabase, rate: int, duration_s: float, seed: int = 1,
                  t0_ns: int = T0_NS) -> list:
    """Pre-packed packets, one list per tick, apids interleaved, values random walks; CUC
    time stamps, which both our ground and stock Yamcs read."""
    rng = np.random.default_rng(seed)
    n_ticks = round(duration_s / TICK_S)
    per_tick = int(rate * TICK_S)
    n_apids = len(db.containers)
    ticks: list[list[bytes]] = [[] for _ in range(n_ticks)]
    for c_index, c in enumerate(db.containers):
        plan = ContainerPlan(db, c)
        n = n_ticks * per_tick // n_apids
        rows = np.zeros(n, dtype=plan._dtype)
        for name, (dtype, _) in plan._dtype.fields.items():
            if dtype.kind == "f":
                rows[name] = 50 + np.cumsum(rng.normal(0, 0.5, n))  # drifts into limits
            elif dtype.kind == "u":
                rows[name] = rng.integers(20_000, 52_000, n)
            else:
                rows[name] = rng.integers(-1000, 1000, n)
        raw = rows.tobytes()
        size = plan.size
        for i in range(n):
            t_ns = t0_ns + int((i * n_apids + c_index) * S / rate)
            packet = TmPacket(apid=c.apid, service=3, subservice=25, seq_count=i & 0x3FFF,
                              time=CucTime.from_unix_s(t_ns / S),
                              data=raw[i * size : (i + 1) * size]).pack()  # fmt: skip
            ticks[min((i * n_apids + c_index) // per_tick, n_ticks - 1)].append(packet)
    return ticks


def server_cpu_s(data_dir: Path | None) -> float:
    """CPU seconds of a PostgreSQL postmaster and its children (from /proc)."""
    if data_dir is None or not (data_dir / "postmaster.pid").exists():
        return 0.0
    root = int((data_dir / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


def pace(sock: socket.socket, ticks: list) -> tuple[float, int, float]:
    """Send each tick's packets at its time (``TICK_S`` apart); (seconds taken, late ticks,
    CPU seconds of this sending thread — not the ground's work)."""
    wall0, sender0 = time.perf_counter(), time.thread_time()
    late = 0
    for k, tick in enumerate(ticks):  # bounded: one pass over the pre-built ticks
        sock.sendall(b"".join(tick))
        delay = wall0 + (k + 1) * TICK_S - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            late += 1
    return time.perf_counter() - wall0, late, time.thread_time() - sender0


def run(url: str, db: MissionDatabase, ticks: list, data_dir: Path | None, query_hz: float,
        label: str) -> dict:  # fmt: skip
    archive = open_archive(url)
    processor = Processor(mdb=db, archive=archive)
    sent = sum(len(t) for t in ticks)
    with GroundLink(lambda raws, t: processor.ingest(raws, reception_ns=t),
                    apids=[a.apid for a in db.apids]) as ground:  # fmt: skip
        sock = socket.create_connection(ground.address)
        ground.connected.wait(5)
        cpu0, srv0, wall0 = time.process_time(), server_cpu_s(data_dir), time.perf_counter()
        paced, late, sender = pace(sock, ticks)
        sock.close()
        deadline = time.perf_counter() + 60
        while processor.stats.packets + processor.stats.malformed < sent:
            if time.perf_counter() > deadline:  # bounded wait for the backlog
                break
            time.sleep(0.005)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        srv = server_cpu_s(data_dir) - srv0
        f0, fc0 = time.perf_counter(), time.process_time()
        archive.flush()  # close the open segments (a periodic cost, shown on its own)
        flush_s, flush_cpu = time.perf_counter() - f0, time.process_time() - fc0
    stored = archive.count_packets()
    samples = processor.stats.samples
    print(f"[{label}] {sent} packets paced over {paced:.2f} s ({late} late ticks of "
          f"{len(ticks)}); all processed {1000 * (wall - paced):.0f} ms after the last")
    print(f"[{label}] sustained {samples / wall:,.0f} samples/s ({sent / wall:,.0f} packets/s);"
          f" archived {stored}/{sent} packets, {samples:,} samples; lost {sent - stored}, "
          f"dropped {ground.stats.bytes_dropped} bytes, malformed {processor.stats.malformed}")
    line = (f"[{label}] CPU while ingesting: ilrs process {100 * cpu / wall:.0f} % of one core "
            f"(the sender thread {100 * sender / wall:.0f} % of it)")
    if data_dir is not None:
        line += f", PostgreSQL server {100 * srv / wall:.0f} %"
    print(line + f"; closing {len(db.parameters)} open segments took {flush_s:.2f} s "
          f"({flush_cpu:.2f} s CPU)")

    name = db.containers[0].entries[0].parameter
    day_start = T0_NS + 2 * 86_400 * S  # a day of its own, after the live data
    step_ns = int(S / query_hz)
    n_day = int(86_400 * query_hz)
    chunk = 3_600 * int(query_hz)
    rng = np.random.default_rng(2)
    t_fill = time.perf_counter()
    for i in range(0, n_day, chunk):  # bounded: 24 chunks
        t = day_start + np.arange(i, min(i + chunk, n_day), dtype=np.int64) * step_ns
        archive.write_samples(name, t, 50 + rng.normal(0, 5, t.size))
    archive.flush()
    t_fill = time.perf_counter() - t_fill
    times = []
    for _ in range(5):
        q0 = time.perf_counter()
        d = archive.downsample(name, day_start, day_start + 86_400 * S, 1000)
        times.append(time.perf_counter() - q0)
    print(f"[{label}] query {name} over one day ({n_day:,} samples at {query_hz:g} Hz, filled "
          f"in {t_fill:.1f} s) → {d.time_ns.size} buckets: median "
          f"{1000 * statistics.median(times):.0f} ms (first {1000 * times[0]:.0f} ms)")
    archive.close()
    return {"samples": samples, "cpu_s": cpu - sender + srv, "wall_s": wall,
            "lost": sent - stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "yamcs", "all"],
                        default="all")
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=1000, help="packets per second")
    parser.add_argument("--params", type=int, default=370, help="parameters per packet")
    parser.add_argument("--apids", type=int, default=10)
    parser.add_argument("--query-hz", type=float, default=None,
                        help="rate of the day-long query series (default: its live rate)")
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: throwaway)")
    args = parser.parse_args()
    db = build_mdb(args.apids, args.params)
    ticks = build_packets(db, args.rate, args.duration_s)
    query_hz = args.query_hz or args.rate / args.apids
    print(f"load: {args.rate} packets/s × {args.params} parameters = "
          f"{args.rate * args.params:,} samples/s for {args.duration_s:g} s, "
          f"{len(ticks[0][0])} bytes per packet")
    results = {}
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as tmp:
            results["ilrs, SQLite"] = run(str(Path(tmp) / "bench.db"), db, ticks, None,
                                          query_hz, "sqlite")  # fmt: skip
    if args.backend in ("postgresql", "all"):
        if args.db:
            results["ilrs, PostgreSQL"] = run(args.db, db, ticks, None, query_hz, "postgresql")
        elif find_pg_bin() is None:
            print("[postgresql] skipped: no server binaries (apt-get install postgresql)")
        else:
            server = TemporaryPostgres()
            with server as url:
                results["ilrs, PostgreSQL"] = run(url, db, ticks, server.data, query_hz,
                                                  "postgresql")  # fmt: skip
    if args.backend in ("yamcs", "all"):
        from ingest_yamcs import run_yamcs

        warm = build_packets(db, args.rate, 3.0, seed=2, t0_ns=T0_NS - 3600 * S)
        peer = run_yamcs(db, ticks, warm, pace)
        if peer is not None:
            results["Yamcs 5.12.8"] = peer
    if results:
        print("per core (samples ingested per CPU-second of the ground side, the sender "
              "excluded; the same packets, the same run):")
        for name, r in results.items():
            print(f"  {name:<18} {r['samples'] / r['cpu_s']:>12,.0f} samples per CPU-s "
                  f"({100 * r['cpu_s'] / r['wall_s']:.0f} % of one core, "
                  f"{r['samples'] / r['wall_s']:,.0f} samples/s, lost {r['lost']})")
        peer = results.get("Yamcs 5.12.8")
        for name, r in results.items():
            if peer is not None and r is not peer:
                ratio = (r["samples"] / r["cpu_s"]) / (peer["samples"] / peer["cpu_s"])
                print(f"  {name} / Yamcs: {ratio:.2f}× per core")


if __name__ == "__main__":
    main()
