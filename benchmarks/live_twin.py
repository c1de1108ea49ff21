"""Benchmark: the live twin's speed, in simulated seconds per wall-clock second.

The reference station with all five ILRS missions landed (from 2035-08-02), 1-minute steps,
advanced three ways: by whole simulated days (what a fast-forward does), by 1 simulated
minute per call (accelerated real time, one step per tick) and by 1 simulated hour per call
— each followed by a housekeeping read (what ops packs into a TM packet), as the command
center drives it. Geometry, faults and per-step inputs are computed lazily on the way, so
their cost is included. Peer: ``Twin.run`` over the same days (batch, 30-day blocks).
Run: ``.venv/bin/python benchmarks/live_twin.py [--days N]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core

import argparse
import datetime as dt
import time

from ilrs.station import Twin, load_scenario
from ilrs.station.live import LiveTwin

START = "2035-08-02"


def _scenario(start: str, stop: str):
    sc = load_scenario(None)
    return sc.model_copy(update={"period": sc.period.model_copy(update={
        "start": start, "stop": stop})})


def _rate(live: LiveTwin, seconds: float, total_s: float) -> tuple[float, float]:
    """Advance by ``seconds`` per call (and read housekeeping) for ``total_s``."""
    t0 = time.perf_counter()
    done = 0.0
    while done < total_s:
        live.advance(seconds)
        live.housekeeping()
        done += seconds
    wall = time.perf_counter() - t0
    return done / wall, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    day_s = 86400.0
    stop = (dt.date.fromisoformat(START) + dt.timedelta(days=args.days - 1)).isoformat()
    twin = Twin.from_scenario(_scenario(START, stop))
    LiveTwin.from_twin(twin).advance(2 * day_s)           # load the JIT caches first
    t0 = time.perf_counter()
    live = LiveTwin.from_twin(twin)
    setup = time.perf_counter() - t0
    print(f"live twin, reference scenario from {START}, steps of {live.step_s:g} s, one core")
    print(f"  set-up:                              {setup * 1e3:8.1f} ms")
    rate, wall = _rate(live, day_s, args.days * day_s)
    print(f"  1 simulated day per call:   {rate:14,.0f} simulated s per wall s "
          f"({wall / args.days * 1e3:.2f} ms per day of 1,440 steps)")
    rate, wall = _rate(live, 3600.0, 2 * day_s)
    print(f"  1 simulated hour per call:  {rate:14,.0f} simulated s per wall s "
          f"({wall / 48 * 1e3:.3f} ms per call)")
    rate, wall = _rate(live, 60.0, 0.5 * day_s)
    print(f"  1 step (60 s) per call:     {rate:14,.0f} simulated s per wall s "
          f"({wall / 720 * 1e6:.0f} us per call incl. housekeeping)")
    t0 = time.perf_counter()
    result = twin.run()
    wall = time.perf_counter() - t0
    print(f"  peer: Twin.run, same {args.days} days: {result.n_steps * result.step_s / wall:14,.0f}"
          f" simulated s per wall s ({wall * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
