"""Benchmark: apparent Sun and Earth az/el for one site, one year at 1-minute steps.

Times ilrs against Skyfield 1.55 (``skyfield.planetarylib`` with the same DE421 SPK and
Moon PA kernels) doing the same work in the same run, and prints both and the ratio.
Run: ``make bench`` or ``.venv/bin/python benchmarks/sky.py [--epochs N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ilrs.sky import Epochs, Site, Sky
from ilrs.sky.kernels import default_kernel_paths


def time_ilrs(site: Site, start: str, stop: str) -> tuple[float, int, np.ndarray]:
    sky = Sky()
    warm = Epochs.from_range(start, "2030-01-01T01:00:00", 60)
    sky.topocentric_many(("sun", "earth"), site, warm)  # compile / load the JIT cache first
    t0 = time.perf_counter()
    epochs = Epochs.from_range(start, stop, 60.0)
    seen = sky.topocentric_many(("sun", "earth"), site, epochs)
    sun, earth = seen["sun"], seen["earth"]
    elapsed = time.perf_counter() - t0
    return elapsed, len(epochs), np.stack([sun.elevation_deg, earth.elevation_deg])


def time_skyfield(site: Site, n_epochs: int) -> tuple[float, np.ndarray]:
    from skyfield.api import PlanetaryConstants, load, load_file

    paths = default_kernel_paths()
    ts = load.timescale(builtin=True)  # Skyfield's bundled leap-second / ΔT files: offline
    eph = load_file(str(paths["spk"]))
    pc = PlanetaryConstants()
    with open(paths["fk"], "rb") as fk:
        pc.read_text(fk)
    pck = open(paths["pck"], "rb")  # noqa: SIM115 (Skyfield keeps reading it)
    pc.read_binary(pck)
    pc.variables["BODY301_RADII"] = [1737.4, 1737.4, 1737.4]  # the ilrs reference sphere, km
    frame = pc.build_frame_named("MOON_ME_DE421")
    place = eph["moon"] + pc.build_latlon_degrees(frame, site.lat_deg, site.lon_deg,
                                                  site.height_m)
    t0 = time.perf_counter()
    minutes = np.arange(n_epochs)
    t = ts.utc(2030, 1, 1, 0, minutes)
    out = []
    for body in ("sun", "earth"):
        alt, _, _ = place.at(t).observe(eph[body]).apparent().altaz()
        out.append(alt.degrees)
    return time.perf_counter() - t0, np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stop", default="2030-12-31T23:59:00", help="last instant, UTC")
    parser.add_argument("--skyfield-epochs", type=int, default=0,
                        help="epochs for Skyfield (default: the same as ilrs)")
    args = parser.parse_args()
    site = Site("Connecting Ridge", -89.45, 222.69)
    ours_s, n, ours = time_ilrs(site, "2030-01-01T00:00:00", args.stop)
    n_sf = args.skyfield_epochs or n
    theirs_s, theirs = time_skyfield(site, n_sf)
    theirs_per_epoch = theirs_s / n_sf
    print(f"epochs: {n} (1-minute steps), bodies: Sun and Earth, apparent")
    print(f"ilrs:     {ours_s:8.3f} s  ({ours_s / n / 2 * 1e9:7.1f} ns per epoch per body)")
    print(f"skyfield: {theirs_per_epoch * n:8.3f} s  ({theirs_per_epoch / 2 * 1e9:7.1f} ns per "
          f"epoch per body{'' if n_sf == n else f', timed on {n_sf} epochs'})")
    print(f"ratio:    {theirs_per_epoch * n / ours_s:8.1f}x faster than Skyfield 1.55")
    print(f"max |elevation difference| ilrs - Skyfield: "
          f"{np.abs(ours[:, :n_sf] - theirs).max() * 3600:.3g} arcsec")


if __name__ == "__main__":
    main()
