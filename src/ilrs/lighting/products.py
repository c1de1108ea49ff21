"""Polar illumination products: maps of Sun and Earth visibility over a grid of the DEM.

The products, per point of a north-up grid of the DEMs' polar-stereographic plane (each
point on the ground plus a mast), over a period at a fixed step:

========================  ==================================================================
``sun_any_pct``           share of the time any part of the Sun is above the horizon, %
``sun_mean_pct``          mean visible fraction of the Sun's disk, % (the average
                          illumination of the LOLA GDRVIS products)
``longest_night_days``    longest run without any of the Sun, days
``earth_any_pct``         share of the time any part of the Earth is visible, %
``longest_blackout_days`` longest run without any of the Earth, days
``sun_and_earth_pct``     share of the time with some Sun and some Earth together, %
``psr``                   1 where the Sun is never seen over the period (permanent shadow)
``double_shadow``         1 where, in addition, no directly lit ground is seen (first order,
                          within the map; O'Brien & Byrne 2022)
========================  ==================================================================

How. The grid is cut into square tiles; each tile reads its DEM windows out to the horizon
range around it (its halo) and computes every point's horizon with the all-points kernel
(:func:`ilrs.terrain.allpoints.grid_horizons`), clamped to the band of elevations the Sun
and the Earth reach over the tile and period (outside it the value cannot change a
statistic), then the statistics over the epochs. Tiles run through
:func:`ilrs.scale.map_chunks` (inline, local Dask cluster, or a scheduler address) and each
finished tile is saved in ``work_dir``, so an interrupted run resumes where it stopped.
The Sun's and Earth's directions are computed per tile centre (across a 61 km tile the
Earth's direction moves by 0.01°). Double shadows need the whole lit map and run last.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ilrs.errors import InputError
from ilrs.lighting import _kernels as k
from ilrs.lighting import _screened as screened
from ilrs.lighting.maps import body_band, body_tracks, screen_groups
from ilrs.scale import map_chunks
from ilrs.sky import Epochs, Site, Sky
from ilrs.sky.site import MOON_RADIUS_M
from ilrs.terrain import TerrainStack, as_dems
from ilrs.terrain.allpoints import grid_horizons, grid_sites, ground_on_grid

__all__ = ["BODIES_OF", "PRODUCTS", "VARIABLES", "ProductGrid", "bodies_for", "polar_products"]

DAY_S = 86400.0
#: Product name (the CLI's ``--product``) → the variables it holds.
PRODUCTS = {
    "sun": ("sun_any_pct", "sun_mean_pct"),
    "night": ("longest_night_days",),
    "earth": ("earth_any_pct", "longest_blackout_days"),
    "sun-earth": ("sun_and_earth_pct",),
    "psr": ("psr",),
    "double-shadow": ("double_shadow",),
}
#: Product name → the bodies it needs (the others are neither tracked nor counted).
BODIES_OF = {
    "sun": ("sun",),
    "night": ("sun",),
    "earth": ("earth",),
    "sun-earth": ("sun", "earth"),
    "psr": ("sun",),
    "double-shadow": ("sun",),
}
#: Variable → (long name, units).
VARIABLES = {
    "sun_any_pct": ("Sun visible (any part), share of time", "percent"),
    "sun_mean_pct": ("mean visible fraction of the Sun's disk", "percent"),
    "longest_night_days": ("longest period without any Sun", "days"),
    "earth_any_pct": ("Earth visible (any part), share of time", "percent"),
    "longest_blackout_days": ("longest period without any Earth", "days"),
    "sun_and_earth_pct": ("Sun and Earth both visible, share of time", "percent"),
    "psr": ("permanently shadowed (never any Sun over the period)", "1"),
    "double_shadow": ("doubly shadowed, first order (no Sun, sees no lit ground)", "1"),
}
#: Range of the first-order double-shadow rays, m.
DOUBLE_SHADOW_RANGE_M = 30_000.0


@dataclass(frozen=True)
class ProductGrid:
    """Map axes of the product grid: ``x_m`` (columns, west→east) and ``y_m`` (rows,
    north→south) of the DEMs' polar-stereographic plane, metres."""

    x_m: np.ndarray
    y_m: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.y_m.size, self.x_m.size)

    @property
    def resolution_m(self) -> float:
        return float(abs(self.x_m[1] - self.x_m[0])) if self.x_m.size > 1 else 0.0

    @classmethod
    def of_dem(cls, dem, resolution_m: float | None = None) -> ProductGrid:
        """The DEM's own pixel centres (or a coarser regular grid across its extent)."""
        x0, y0, x1, y1 = dem.bounds_m
        step = float(resolution_m or dem.pixel_m)
        if not step >= dem.pixel_m:
            raise InputError("product resolution", step, f"≥ the DEM's {dem.pixel_m:g} m")
        n_x, n_y = int((x1 - x0) // step), int((y1 - y0) // step)
        x = x0 + (x1 - x0 - (n_x - 1) * step) / 2 + np.arange(n_x) * step
        y = y1 - (y1 - y0 - (n_y - 1) * step) / 2 - np.arange(n_y) * step
        return cls(x, y)

    @classmethod
    def square(cls, dem, lat_deg: float, lon_deg: float, size_km: float,
               resolution_m: float) -> ProductGrid:
        """A square of side ``size_km`` centred on a point, ``resolution_m`` apart."""
        if not (size_km > 0 and resolution_m > 0):
            raise InputError("product square", (size_km, resolution_m), "positive km and m")
        x0, y0 = dem.projection.xy_from_latlon(math.radians(lat_deg), math.radians(lon_deg))
        n = max(1, round(size_km * 1000.0 / resolution_m))
        offsets = (np.arange(n) - (n - 1) / 2.0) * resolution_m
        return cls(float(x0) + offsets, float(y0) - offsets)


def bodies_for(products) -> tuple[str, ...]:
    """The bodies (``"sun"``, ``"earth"``, in that order) the named products need.

    >>> bodies_for(["psr", "sun"])
    ('sun',)
    >>> bodies_for(["earth", "night"])
    ('sun', 'earth')
    """
    unknown = [p for p in products if p not in BODIES_OF]
    if unknown or not products:
        raise InputError("products", unknown[0] if unknown else products,
                         f"one or more of {', '.join(BODIES_OF)}")
    wanted = {b for p in products for b in BODIES_OF[p]}
    return tuple(b for b in ("sun", "earth") if b in wanted)


@functools.cache
def _sky() -> Sky:
    """One sky engine per process (a worker loads the kernels once, not per tile)."""
    return Sky()


def _tile(job: dict) -> dict[str, np.ndarray]:
    """One tile: horizons of all its points, then the statistics (module level so a Dask
    worker can unpickle it); saved to ``job['save']`` when given. The Sun's and Earth's
    tracks are computed here, from the tile centre, so a task carries no big arrays."""
    if "tracks" not in job:
        epochs = Epochs.from_range(job["start_utc"], job["stop_utc"], job["step_s"])
        tracks = body_tracks(Site("tile centre", *job["centre_deg"]), epochs, _sky())
        job = job | {"tracks": {b: tracks[b] for b in job["bodies"]}}
    dems = as_dems(job["dems"])
    x, y = job["x_m"], job["y_m"]
    lat, lon = grid_sites(dems[0].projection, x, y)
    corners = [Site("corner", float(lat[i, j]), float(lon[i, j]))
               for i in (0, -1) for j in (0, -1)]
    stack = TerrainStack.around(dems, corners, job["max_range_m"])  # the tile's halo
    ground = ground_on_grid(stack, x, y)
    hole = ~np.isfinite(ground)
    ground = np.where(hole, np.nanmean(ground) if (~hole).any() else 0.0, ground)
    enus_c = np.stack([c.enu for c in corners])
    band = body_band(enus_c, job["tracks"], job["n_azimuths"])
    horizons = grid_horizons(stack=stack, dems=None, x_m=x, y_m=y, mast_m=job["mast_m"],
                             n_azimuths=job["n_azimuths"], max_range_m=job["max_range_m"],
                             ground_m=ground, band_rad=band, exact=True)
    n = x.size * y.size
    enus = np.ascontiguousarray(horizons.enu.reshape(n, 3, 3))
    result = _statistics(horizons.elevation_rad.reshape(n, -1), enus, y.size, x.size,
                         abs(float(x[1] - x[0])) if x.size > 1 else 1.0, job["tracks"],
                         job["step_s"] / DAY_S)
    result["ground_height_m"] = ground.ravel()
    result = {name: np.where(hole.ravel(), np.nan, v).reshape(y.size, x.size)
              for name, v in result.items()}
    if job.get("save"):
        path = Path(job["save"])
        np.savez(path.with_suffix(".part.npz"), **result)
        path.with_suffix(".part.npz").replace(path)  # atomic: a file is a finished tile
    return result


def _statistics(horizons_rad, enus, ny, nx, spacing_m, tracks, step_days
                ) -> dict[str, np.ndarray]:
    """The statistics of the tracked bodies (``tracks``: the Sun, the Earth or both) for a
    tile's points; terrain shadows only, as the published maps and the site tool. The
    screened kernels give the plain kernels' results bit for bit
    (tests/test_lighting_screened.py)."""
    n = horizons_rad.shape[0]
    group, refs = screen_groups(ny, nx, spacing_m, enus)
    screens = {b: screened.tracks_for_groups(refs, t.unit_me, horizons_rad.shape[1])
               for b, t in tracks.items()}
    if len(tracks) == 2:
        out = np.empty((n, 6))
        sun, earth = tracks["sun"], tracks["earth"]
        (sun_t, sun_min), (earth_t, earth_min) = screens["sun"], screens["earth"]
        screened.sun_earth_stats(horizons_rad, enus, group, refs, sun_t, sun_min, sun.unit_me,
                                 sun.radius_rad, np.ones_like(sun.weight), earth_t, earth_min,
                                 earth.unit_me, earth.radius_rad, out, np.empty(n, np.int64))
        return {
            "sun_any_pct": 100.0 * out[:, k.SUN_ANY],
            "sun_mean_pct": 100.0 * out[:, k.SUN_MEAN],
            "longest_night_days": out[:, k.NIGHT_STEPS] * step_days,
            "earth_any_pct": 100.0 * out[:, k.EARTH_ANY],
            "longest_blackout_days": out[:, k.BLACKOUT_STEPS] * step_days,
            "sun_and_earth_pct": 100.0 * out[:, k.SUN_AND_EARTH],
        }
    (body, track), = tracks.items()  # one body: the single-body kernel, nothing else
    any_, mean, full, longest = np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64)
    t, t_min = screens[body]
    screened.map_disk_stats(horizons_rad, enus, group, refs, t, t_min, track.unit_me,
                            track.radius_rad, np.ones_like(track.weight), any_, mean, full,
                            longest, np.empty(n, np.int64))
    if body == "sun":
        return {"sun_any_pct": 100.0 * any_, "sun_mean_pct": 100.0 * mean,
                "longest_night_days": longest * step_days}
    return {"earth_any_pct": 100.0 * any_, "longest_blackout_days": longest * step_days}


def _run_key(dems, grid, start_utc, stop_utc, step_s, mast_m, n_azimuths, max_range_m,
             bodies) -> str:
    """Names the tile folder: the inputs and the code that computes a tile (so a changed
    kernel never resumes from tiles an older one wrote)."""
    from ilrs.lighting import _kernels as lighting_kernels
    from ilrs.lighting import _screened as lighting_screened
    from ilrs.terrain import _kernels, _sweep, allpoints

    code = "".join(Path(m.__file__).read_text()
                   for m in (_kernels, _sweep, allpoints, lighting_kernels, lighting_screened))
    text = json.dumps([[str(p) for p in dems], grid.x_m.tolist(), grid.y_m.tolist(), start_utc,
                       stop_utc, step_s, mast_m, n_azimuths, max_range_m, list(bodies),
                       hashlib.sha256((code + Path(__file__).read_text()).encode()).hexdigest()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def polar_products(
    dems,
    grid: ProductGrid,
    start_utc: str,
    stop_utc: str,
    step_s: float = 6 * 3600.0,
    *,
    mast_m: float = 2.0,
    n_azimuths: int = 720,
    max_range_m: float = 300_000.0,
    tile_px: int = 64,
    scheduler=None,
    work_dir=None,
    progress: bool = True,
    double_shadow: bool = True,
    sky: Sky | None = None,
    bodies=("sun", "earth"),
    on_tile=None,
) -> xr.Dataset:
    """Every product of the module doc over ``grid``, as one Dataset over ``(y, x)``.

    ``dems``: paths, finest first (workers re-open them). ``work_dir``: where finished
    tiles are kept; a rerun with the same inputs and ``work_dir`` computes only the
    missing tiles. ``scheduler`` as for :func:`ilrs.scale.map_chunks`. ``sky``: a sky
    engine of your own (its tracks are then computed here and shipped with each tile);
    by default each worker uses the default kernels. ``bodies``: the Sun, the Earth or
    both (:func:`bodies_for` the products wanted); only their variables are computed (the
    horizons are then clamped to where those bodies go, and the other is never counted).
    ``on_tile(i, result)`` hears each tile as it finishes (an exception it raises stops the
    run; finished tiles stay in ``work_dir``).
    """
    if not bodies or set(bodies) - {"sun", "earth"}:
        raise InputError("bodies", bodies, "'sun', 'earth' or both")
    bodies = tuple(b for b in ("sun", "earth") if b in bodies)
    paths = [str(d.path) for d in as_dems(dems)]
    if int(tile_px) != tile_px or tile_px < 2:
        raise InputError("tile_px", tile_px, "an integer ≥ 2")
    epochs = Epochs.from_range(start_utc, stop_utc, step_s)
    projection = as_dems(paths[:1])[0].projection
    save_dir = None
    if work_dir is not None:
        key = _run_key(paths, grid, start_utc, stop_utc, step_s, mast_m, n_azimuths,
                       max_range_m, bodies)
        save_dir = Path(work_dir) / f"tiles-{key}"
        save_dir.mkdir(parents=True, exist_ok=True)
    ny, nx = grid.shape
    slices, jobs, results = [], [], {}
    for r0 in range(0, ny, tile_px):
        for c0 in range(0, nx, tile_px):
            sl = (slice(r0, r0 + tile_px), slice(c0, c0 + tile_px))
            slices.append(sl)
            save = save_dir / f"tile-{r0}-{c0}.npz" if save_dir else None
            if save is not None and save.exists():
                with np.load(save) as done:
                    results[len(slices) - 1] = {name: done[name] for name in done.files}
                continue
            x, y = grid.x_m[sl[1]], grid.y_m[sl[0]]
            lat, lon = projection.latlon_from_xy(np.mean(x), np.mean(y))
            centre = (float(np.degrees(lat)), float(np.degrees(lon)))
            job = {"dems": paths, "x_m": x, "y_m": y, "mast_m": mast_m,
                   "n_azimuths": n_azimuths, "max_range_m": max_range_m, "step_s": step_s,
                   "save": save, "start_utc": start_utc, "stop_utc": stop_utc,
                   "centre_deg": centre, "bodies": bodies}
            if sky is not None:  # a caller's own sky engine: tracks computed here
                tracks = body_tracks(Site("tile centre", *centre), epochs, sky)
                job["tracks"] = {b: tracks[b] for b in bodies}
            jobs.append((len(slices) - 1, job))
    if jobs:
        done = map_chunks(_tile, [job for _, job in jobs], scheduler=scheduler,
                          progress=progress, description=f"product tiles ({len(slices)} in all)",
                          on_result=on_tile)
        results.update({index: r for (index, _), r in zip(jobs, done, strict=True)})
    names = list(results[0])
    data = {name: np.full(grid.shape, np.nan) for name in names}
    for index, sl in enumerate(slices):
        for name in names:
            data[name][sl] = results[index][name]
    if "sun" in bodies:
        data["psr"] = np.where(np.isnan(data["sun_any_pct"]), np.nan,
                               (data["sun_any_pct"] == 0.0).astype(float))
    if double_shadow and "sun" in bodies:
        data["double_shadow"] = _double_shadow(data, grid, mast_m)
    lat, lon = grid_sites(projection, grid.x_m, grid.y_m)
    ds = xr.Dataset(
        {name: (("y", "x"), values) for name, values in data.items()}
        | {"lat_deg": (("y", "x"), lat), "lon_deg": (("y", "x"), lon)},
        coords={"x": grid.x_m, "y": grid.y_m},
        attrs={
            "crs": projection.proj4, "start_utc": start_utc, "stop_utc": stop_utc,
            "step_s": step_s, "epochs": len(epochs), "mast_m": mast_m,
            "resolution_m": grid.resolution_m, "n_azimuths": n_azimuths,
            "max_range_m": max_range_m, "dems": "; ".join(paths), "bodies": " ".join(bodies),
            "synthetic": int(any(d.synthetic for d in as_dems(paths))),
            "method": "ilrs all-points horizons (ilrs.terrain.allpoints), flat-horizon disk "
                      "segment rule per epoch (Mazarico et al. 2011); terrain shadows only "
                      "(eclipses not counted, as in the published maps)",
        },
    )
    for name in ds.data_vars:
        if name in VARIABLES:
            ds[name].attrs.update(long_name=VARIABLES[name][0], units=VARIABLES[name][1])
    ds["ground_height_m"].attrs.update(long_name="ground height above 1737.4 km", units="m")
    return ds


def _double_shadow(data: dict, grid: ProductGrid, mast_m: float) -> np.ndarray:
    heights = np.ascontiguousarray(data["ground_height_m"])
    lit = np.ascontiguousarray(np.nan_to_num(data["sun_any_pct"]) > 0.0)
    rows, cols = np.nonzero(data["psr"] == 1.0)
    clear = np.zeros(rows.size, np.bool_)
    if rows.size:
        k.doubly_shadowed(heights, lit, rows.astype(np.int64), cols.astype(np.int64),
                          grid.resolution_m, MOON_RADIUS_M, mast_m, 360,
                          DOUBLE_SHADOW_RANGE_M, clear)
    out = np.where(np.isnan(data["psr"]), np.nan, 0.0)
    out[rows[clear], cols[clear]] = 1.0
    return out
