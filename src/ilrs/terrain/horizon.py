"""Horizon profiles: the elevation angle of the terrain horizon in every azimuth from a site.

Azimuth bin ``j`` of ``n`` is the ray at azimuth ``j · 2π / n`` measured from local north
through east in the site's east-north-up frame (:class:`ilrs.sky.site.Site`; at the exact
pole north is the 0° meridian), the same frame in which :mod:`ilrs.sky` gives the Sun's
azimuth. The observer stands at ``site.radius_m`` (sphere + ground + mast). The horizon is
the highest elevation angle, Moon's curvature included, of any terrain sample along the ray
out to ``max_range_m`` (see :mod:`ilrs.terrain._kernels`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain import _kernels as kern
from ilrs.terrain.stack import TerrainStack

__all__ = [
    "HorizonProfile",
    "azimuths_rad",
    "horizon_elevations",
    "horizon_profile",
    "horizon_profiles",
]

#: How far below the DEM ground an observer may stand before it is an input error, m.
_BELOW_GROUND_TOLERANCE_M = 1.0
#: Fast mode: march every 2nd point of the quarter-pixel lattice, steps growing as
#: STEP_GROWTH × distance far away, then re-march the full lattice around the best sample.
#: Against the exact quarter-pixel march this errs by ~0.01° at most on the real DEMs
#: (``benchmarks/horizon.py``); ``exact=True`` gives that march itself.
STEP_GROWTH = 0.002
FAST_STRIDE = 2.0
#: The sparse first pass (every 16th lattice point) that seeds each azimuth chunk.
SPARSE_STRIDE = 16.0


def azimuths_rad(n_azimuths: int) -> np.ndarray:
    """Centres of ``n`` equal azimuth bins, ``j · 2π / n``, radians.

    >>> np.degrees(azimuths_rad(4)).tolist()
    [0.0, 90.0, 180.0, 270.0]
    """
    if int(n_azimuths) != n_azimuths or n_azimuths < 1:
        raise InputError("n_azimuths", n_azimuths, "a positive integer")
    return np.arange(int(n_azimuths)) * (2.0 * math.pi / int(n_azimuths))


@dataclass(frozen=True)
class HorizonProfile:
    """Horizon elevation (rad) per azimuth (rad, from north through east) seen from a site.

    ``reach_m`` is, per azimuth, how far along the ray terrain data existed (``max_range_m``
    when the DEMs covered the whole ray). ``provenance`` holds free-text lines (sources).

    >>> p = HorizonProfile(azimuths_rad(4), np.radians([1.0, 2.0, 3.0, 2.0]))
    >>> round(float(np.degrees(p.elevation_at(math.radians(45.0)))), 9)
    1.5
    """

    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    site: Site | None = None
    reach_m: np.ndarray | None = None
    provenance: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        az = np.asarray(self.azimuth_rad, dtype=float)
        el = np.asarray(self.elevation_rad, dtype=float)
        if az.ndim != 1 or az.shape != el.shape or az.size == 0:
            raise InputError("horizon profile", (az.shape, el.shape), "two equal 1-D arrays")
        if np.any(np.diff(az) <= 0) or az[0] < 0 or az[-1] >= 2 * math.pi:
            raise InputError(
                "horizon azimuths",
                "unsorted or outside [0, 360°)",
                "increasing azimuths in [0, 360°)",
            )
        if not np.all(np.isfinite(el)) or np.any(np.abs(el) > math.pi / 2):
            raise InputError("horizon elevations", "non-finite or beyond ±90°", "finite angles")
        object.__setattr__(self, "azimuth_rad", az)
        object.__setattr__(self, "elevation_rad", el)

    @property
    def azimuth_deg(self) -> np.ndarray:
        return np.degrees(self.azimuth_rad)

    @property
    def elevation_deg(self) -> np.ndarray:
        return np.degrees(self.elevation_rad)

    def elevation_at(self, azimuth_rad) -> np.ndarray:
        """Horizon elevation (rad) at any azimuths, linear between bins, periodic in 2π."""
        az = np.mod(np.asarray(azimuth_rad, dtype=float), 2 * math.pi)
        return np.interp(az, self.azimuth_rad, self.elevation_rad, period=2 * math.pi)

    # -- files -----------------------------------------------------------------------------
    def _header(self) -> list[str]:
        lines = list(self.provenance)
        if self.site is not None:
            s = self.site
            lines.append(f"site: {json.dumps(_site_dict(s))}")
        return lines

    def to_csv(self, path) -> Path:
        """Write ``azimuth_deg,elevation_deg[,reach_m]`` with ``#`` provenance lines."""
        path = Path(path)
        with path.open("w") as f:
            for line in self._header():
                f.write(f"# {line}\n")
            f.write(
                "azimuth_deg,elevation_deg"
                + (",reach_m" if self.reach_m is not None else "")
                + "\n"
            )
            for j in range(self.azimuth_rad.size):
                row = f"{self.azimuth_deg[j]:.6f},{self.elevation_deg[j]:.6f}"
                if self.reach_m is not None:
                    row += f",{self.reach_m[j]:.1f}"
                f.write(row + "\n")
        return path

    @classmethod
    def from_csv(cls, path, column: str = "elevation_deg") -> HorizonProfile:
        """Read a CSV with ``azimuth_deg`` and ``column`` (degrees); ``#`` lines are kept as
        provenance, and a ``# site: {json}`` line gives the site."""
        path = Path(path)
        comments, rows, header = [], [], None
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                comments.append(line.lstrip("#").strip())
            elif header is None:
                header = [h.strip() for h in line.split(",")]
            else:
                rows.append(line.split(","))
        if header is None or "azimuth_deg" not in header or column not in header:
            raise InputError(
                f"horizon file {path}", header, f"a header with azimuth_deg and {column}"
            )
        try:
            table = np.array(rows, dtype=float)
        except ValueError as exc:
            raise InputError(f"horizon file {path}", str(exc), "numbers in every row") from None
        reach = table[:, header.index("reach_m")] if "reach_m" in header else None
        return cls._from_columns(
            table[:, header.index("azimuth_deg")], table[:, header.index(column)], reach, comments
        )

    @classmethod
    def _from_columns(cls, az_deg, el_deg, reach, comments) -> HorizonProfile:
        site, provenance = None, []
        for line in comments:
            if line.startswith("site:"):
                site = Site(**json.loads(line[5:]))
            else:
                provenance.append(line)
        # other tools' conventions: azimuths in -180..180 or a closing 360° row; any order
        az = np.mod(np.asarray(az_deg, dtype=float), 360.0)
        order = np.argsort(az, kind="stable")
        keep = order[np.concatenate([[True], np.diff(az[order]) > 0])]
        return cls(
            np.radians(az[keep]),
            np.radians(np.asarray(el_deg, dtype=float)[keep]),
            site,
            None if reach is None else np.asarray(reach, float)[keep],
            tuple(provenance),
        )

    def to_parquet(self, path) -> Path:
        """Write as Parquet (same columns as the CSV; provenance in the schema metadata)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {"azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg}
        if self.reach_m is not None:
            columns["reach_m"] = self.reach_m
        table = pa.table(columns).replace_schema_metadata(
            {"ilrs.horizon": json.dumps(self._header())}
        )
        pq.write_table(table, path)
        return Path(path)

    @classmethod
    def from_parquet(cls, path, column: str = "elevation_deg") -> HorizonProfile:
        """Read a Parquet file with ``azimuth_deg`` and ``column`` (degrees)."""
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if "azimuth_deg" not in table.column_names or column not in table.column_names:
            raise InputError(
                f"horizon file {path}", table.column_names, f"columns azimuth_deg and {column}"
            )
        meta = table.schema.metadata or {}
        comments = json.loads(meta.get(b"ilrs.horizon", b"[]"))
        reach = table["reach_m"].to_numpy() if "reach_m" in table.column_names else None
        return cls._from_columns(
            table["azimuth_deg"].to_numpy(), table[column].to_numpy(), reach, comments
        )

    @classmethod
    def load(cls, path, column: str = "elevation_deg") -> HorizonProfile:
        """Read a CSV or Parquet profile (by extension)."""
        if Path(path).suffix.lower() in (".parquet", ".pq"):
            return cls.from_parquet(path, column)
        return cls.from_csv(path, column)


def _site_dict(s: Site) -> dict:
    return {
        "name": s.name,
        "lat_deg": s.lat_deg,
        "lon_deg": s.lon_deg,
        "height_m": round(s.height_m, 3),
        "mast_m": s.mast_m,
    }


def horizon_elevations(
    dem,
    sites: Sequence[Site],
    n_azimuths: int = 720,
    max_range_m: float = 300_000.0,
    *,
    stack: TerrainStack | None = None,
    exact: bool = False,
) -> tuple[np.ndarray, np.ndarray, TerrainStack]:
    """Horizon elevation (rad) and data reach (m), both ``(n_sites, n_azimuths)``, for many
    sites at once (compiled, parallel over sites × azimuths), and the stack used.

    Azimuth bin ``j`` is :func:`azimuths_rad` ``(n_azimuths)[j]``. ``dem``, ``stack`` and
    ``exact`` are as for :func:`horizon_profiles`; this is its array form, for maps.
    """
    sites = list(sites)
    if not (max_range_m > 0 and math.isfinite(max_range_m)):
        raise InputError("max_range_m", max_range_m, "a positive distance in metres")
    az = azimuths_rad(n_azimuths)
    if not sites:
        return np.empty((0, az.size)), np.empty((0, az.size)), stack
    if stack is None:
        stack = TerrainStack.around(dem, sites, max_range_m)
    elif stack.max_range_m < max_range_m:
        raise InputError("max_range_m", max_range_m, f"≤ the stack's {stack.max_range_m:g} m")
    for site in sites:
        ground_m = stack.ground_height(site)
        if site.height_m + site.mast_m < ground_m - _BELOW_GROUND_TOLERANCE_M:
            raise InputError(
                f"site {site.name!r} height",
                site.height_m,
                f"the ground height there ({ground_m:.1f} m) or more; "
                "use site_on_dem() to stand a site on the DEM",
            )
    growth, strides = (
        (0.0, (SPARSE_STRIDE, 1.0)) if exact else (STEP_GROWTH, (SPARSE_STRIDE, FAST_STRIDE))
    )
    up, north, east = stack.site_vectors(sites)
    r_obs = np.array([s.radius_m for s in sites])
    first = np.array([stack.first_step_m(s) for s in sites])
    elevation = np.empty((len(sites), az.size))
    reach = np.empty((len(sites), az.size))
    kern.horizons(
        up, north, east, r_obs, az, MOON_RADIUS_M, float(max_range_m), first, float(growth),
        stack.proj, stack.meta, stack.levels, stack.heights, stack.maxes, elevation, reach,
        np.asarray(strides, dtype=np.float64), stack.top_m,
    )  # fmt: skip
    return elevation, reach, stack


def horizon_profiles(
    dem,
    sites: Sequence[Site],
    n_azimuths: int = 720,
    max_range_m: float = 300_000.0,
    *,
    stack: TerrainStack | None = None,
    exact: bool = False,
) -> list[HorizonProfile]:
    """Horizon profiles of many sites at once (compiled, parallel over sites × azimuths).

    ``dem`` is a :class:`~ilrs.terrain.dem.Dem`, a path, or a list of them, finest first;
    a prepared ``stack`` (:meth:`TerrainStack.around`) may be given instead to reuse the
    windows in memory. Each site's ``height_m`` must be its ground height (see
    :func:`~ilrs.terrain.dem.site_on_dem`); ``mast_m`` is added on top. ``exact=True``
    returns exactly the quarter-pixel ray march (about 1.3× slower); the default fast
    mode stays within ~0.01° of it.
    """
    sites = list(sites)
    elevation, reach, stack = horizon_elevations(
        dem, sites, n_azimuths, max_range_m, stack=stack, exact=exact
    )
    if not sites:
        return []
    holes = sum(stack.unfilled_px)
    provenance = tuple(
        [f"computed by ilrs.terrain.horizon_profile out to {max_range_m / 1000:g} km"]
        + [f"layer: {s}" for s in stack.sources]
        + ([f"nodata: {holes} pixels no DEM could fill (skipped)"] if holes else [])
        + (["SYNTHETIC terrain, not real lunar data"] if stack.synthetic else [])
    )
    az = azimuths_rad(n_azimuths)
    return [
        HorizonProfile(az, elevation[i], sites[i], reach[i], provenance) for i in range(len(sites))
    ]


def horizon_profile(
    dem, site: Site, n_azimuths: int = 720, max_range_m: float = 300_000.0, **kwargs
) -> HorizonProfile:
    """Horizon profile of one site; see :func:`horizon_profiles`."""
    return horizon_profiles(dem, [site], n_azimuths, max_range_m, **kwargs)[0]
