"""Regenerate ``data/connecting_ridge_horizon.csv`` from the real DEMs in ../shared.

Run ``python -m ilrs.terrain.make_reference_horizon [--shared DIR] [--out FILE]``. The
profile is the exact quarter-pixel horizon (``exact=True``) of the reference point seen
from 2 m and 10 m above the ground, through the 10 m PGDA Site01 patch, the 240 m
LDEM_75S_120M grid and its 1.8 km far field, out to 300 km.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from ilrs.terrain.dem import Dem, site_on_dem
from ilrs.terrain.horizon import horizon_profiles
from ilrs.terrain.reference import (
    REFERENCE_LAT_DEG,
    REFERENCE_LON_DEG,
    REFERENCE_MASTS_M,
    reference_horizon_path,
)
from ilrs.terrain.stack import TerrainStack

#: The shared files, finest first, with the citation SOURCE.md gives for each.
SOURCES = (
    (
        "pgda_site01_connecting_ridge_10m.tif",
        "NASA GSFC PGDA 'High-Resolution LOLA Topography for Lunar South Pole Sites', Site01 "
        "(Barker et al. 2021, PSS 203, 105119), 5 m product baked to 10 m",
    ),
    (
        "ldem75s120m_southpole_240m.tif",
        "LRO LOLA GDR LDEM_75S_120M (LRO-L-LOLA-4-GDR-V1.0; Smith et al. 2010, Neumann), "
        "resampled to 240 m",
    ),
    (
        "ldem75s120m_southpole_far_1787m.tif",
        "LRO LOLA GDR LDEM_75S_120M, resampled to 1786.875 m (real data within ~330 km)",
    ),
)
MAX_RANGE_M = 300_000.0
N_AZIMUTHS = 720
DEFAULT_SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "lunar-dem"


def make(shared: Path, out: Path) -> Path:
    """Compute the reference horizons from ``shared`` and write the CSV to ``out``."""
    dems = [Dem(shared / name) for name, _ in SOURCES]
    sites = [
        site_on_dem(
            dems,
            REFERENCE_LAT_DEG,
            REFERENCE_LON_DEG,
            mast_m=m,
            name="Connecting Ridge reference point",
        )
        for m in REFERENCE_MASTS_M
    ]
    stack = TerrainStack.around(dems, sites, MAX_RANGE_M)
    profiles = horizon_profiles(None, sites, N_AZIMUTHS, MAX_RANGE_M, stack=stack, exact=True)
    ground_m = sites[0].height_m
    site_line = {
        "name": sites[0].name,
        "lat_deg": REFERENCE_LAT_DEG,
        "lon_deg": REFERENCE_LON_DEG,
        "height_m": round(ground_m, 3),
        "mast_m": 0.0,
    }
    lines = [
        "Horizon of the ILRS reference site (a Connecting-Ridge point) — derived data",
        f"point: {REFERENCE_LAT_DEG}° lat, {REFERENCE_LON_DEG}° E (map x, y = -11308, -12259 m)",
        f"ground: {ground_m:.2f} m above the 1737.4 km sphere (bilinear in the 10 m Site01 "
        "patch); eye 2 m and 10 m above it (one column each)",
        "azimuth: bin centres j*0.5 deg from local north through east (ilrs.sky.Site frame); "
        "elevation in degrees, Moon's curvature included, out to 300 km; exact quarter-pixel "
        "ray march (ilrs.terrain, exact=True)",
        "sources (finest first; see ../shared/data/lunar-dem/SOURCE.md): heights are LOLA data "
        "re-encoded by MoonDAO (github.com/Official-MoonDao/MoonDAO, 16-bit PNG height "
        "fields) and decoded to float32 GeoTIFF in the LOLA polar stereographic projection",
    ]
    for name, citation in SOURCES:
        digest = hashlib.sha256((shared / name).read_bytes()).hexdigest()
        lines.append(f"source: {name} sha256={digest} — {citation}")
    lines += [
        "regenerate: python -m ilrs.terrain.make_reference_horizon "
        "--shared ../shared/data/lunar-dem",
        f"site: {json.dumps(site_line)}",
    ]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for line in lines:
            f.write(f"# {line}\n")
        f.write(
            "azimuth_deg,"
            + ",".join(f"elevation_deg_mast_{m:g}m" for m in REFERENCE_MASTS_M)
            + "\n"
        )
        for j in range(N_AZIMUTHS):
            values = ",".join(f"{p.elevation_deg[j]:.5f}" for p in profiles)
            f.write(f"{profiles[0].azimuth_deg[j]:.1f},{values}\n")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="directory with the shared LOLA GeoTIFFs",
    )
    parser.add_argument("--out", type=Path, default=reference_horizon_path())
    args = parser.parse_args(argv)
    print(f"wrote {make(args.shared, args.out)}")


if __name__ == "__main__":
    main()
