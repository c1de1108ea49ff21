"""The command line as a new user meets it: start-up, a day of sky, serve, the reference run.

Prints, with the date and the machine's load (the machine is shared: compare the ratios):

- ``ilrs --help``: wall time and peak RSS (median of 5; goals < 0.3 s, < 80 MiB), beside
  ``python -c pass`` in the same run (the floor any Python command pays);
- ``ilrs sky … --format csv`` for one day at 1-minute steps, warm (goal < 1 s);
- ``ilrs serve``: first answer of ``/api/status`` (goal < 2 s) and ``ready`` (goal < 15 s
  warm), from the process start;
- ``ilrs run`` (the reference scenario), warm (goal < 12 s), with the twin's own timings.

Run: ``.venv/bin/python benchmarks/cli.py [--skip-run] [--skip-serve]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ILRS = [sys.executable, "-m", "ilrs.cli"]
SKY_DAY = ["sky", "--lat", "-89.45", "--lon", "222.69", "--start", "2030-01-01T00:00:00",
           "--stop", "2030-01-02T00:00:00", "--step", "60", "--body", "sun", "--format", "csv"]


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Wall time (s), peak RSS (MiB) and CPU time (user + system, s) of one process,
    measured by the parent. On a busy machine the CPU time is the steadier figure; the
    RSS is an upper bound (it counts the parent's pages at the fork)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    # ru_maxrss is KiB on Linux
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def median_of(argv: list[str], n: int) -> tuple[float, float, float]:
    runs = [timed(argv) for _ in range(n)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def line(name: str, value: str, goal: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{name:<44} {value:<48} goal {goal}{mark}")


def bench_help() -> None:
    floor_s, floor_mib, floor_cpu = median_of([sys.executable, "-c", "pass"], 5)
    help_s, help_mib, help_cpu = median_of([*ILRS, "--help"], 5)
    line("python -c pass (the floor)", f"{floor_s:.3f} s (CPU {floor_cpu:.3f} s), "
         f"{floor_mib:.0f} MiB", "—", None)
    line("ilrs --help", f"{help_s:.3f} s (CPU {help_cpu:.3f} s), {help_mib:.0f} MiB; "
         f"{help_s / floor_s:.1f}× the floor", "< 0.3 s, < 80 MiB",
         help_s < 0.3 and help_mib < 80)


def bench_sky() -> None:
    timed([*ILRS, *SKY_DAY])  # warm: kernels compiled and cached
    wall, mib, cpu = median_of([*ILRS, *SKY_DAY], 3)
    line("ilrs sky … --format csv (1 day, 1-min)", f"{wall:.2f} s (CPU {cpu:.2f} s), "
         f"{mib:.0f} MiB", "< 1 s warm", wall < 1.0)


def _status(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/api/status", timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


def bench_serve(epoch: str) -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "XDG_DATA_HOME": data, "PYTHONUNBUFFERED": "1"}
        t0 = time.perf_counter()
        proc = subprocess.Popen([*ILRS, "serve", "--port", "0", "--speed", "60", "--epoch",
                                 epoch], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=env, cwd=data)
        first: dict = {}

        def read_url() -> None:
            for text in proc.stdout:
                if text.startswith("listening on"):
                    first["url"] = text.split()[2]
                    break

        reader = threading.Thread(target=read_url, daemon=True)
        reader.start()
        reader.join(timeout=60)
        try:
            url = first["url"]
            answered = ready = None
            deadline = time.perf_counter() + 600
            while time.perf_counter() < deadline:
                status = _status(url)
                now = time.perf_counter() - t0
                if status is not None and answered is None:
                    answered = now
                if status is not None and status["state"] in ("ready", "failed"):
                    ready = now if status["state"] == "ready" else None
                    break
                time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    line("ilrs serve: /api/status answers", f"{answered:.2f} s", "< 2 s", answered < 2.0)
    line(f"ilrs serve: ready (twin run to {epoch[:10]})",
         "failed" if ready is None else f"{ready:.1f} s", "< 15 s warm",
         ready is not None and ready < 15.0)


def bench_run() -> None:
    with tempfile.TemporaryDirectory() as out:
        argv = [*ILRS, "run", "--out", out]
        timed(argv)  # warm
        wall, mib, cpu = timed(argv)
        kpis = json.loads((Path(out) / "kpis.json").read_text())
    line("ilrs run (reference, warm)", f"{wall:.1f} s (CPU {cpu:.1f} s), {mib:.0f} MiB",
         "< 12 s warm", wall < 12.0)
    print(f"  {kpis['steps']:,} steps {kpis['start_utc'][:10]} … {kpis['stop_utc'][:10]}")
    # where the time goes, in process (the same Twin.run the command makes)
    code = ("import json, time; from ilrs.station import Twin, load_scenario; "
            "from ilrs.report import write_twin_report; import tempfile; "
            "t0 = time.perf_counter(); tw = Twin.from_scenario(load_scenario(None)); "
            "t1 = time.perf_counter(); r = tw.run(); t2 = time.perf_counter(); "
            "write_twin_report(r, tempfile.mkdtemp()); t3 = time.perf_counter(); "
            "print(json.dumps({'build': t1 - t0, 'run': t2 - t1, 'report': t3 - t2, "
            "**{'run.' + k: v for k, v in r.timings_s.items() if k != 'report'}}))")
    parts = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True).stdout.splitlines()[-1])
    print("  in process: " + ", ".join(f"{k} {v:.1f} s" for k, v in parts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-run", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--epoch", default="2036-01-01T00:00:00",
                        help="ilrs serve --epoch (default: the command's default)")
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"benchmarks/cli.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
          f"CPUs, load average {load}")
    bench_help()
    bench_sky()
    if not args.skip_serve:
        bench_serve(args.epoch)
    if not args.skip_run:
        bench_run()


if __name__ == "__main__":
    main()
