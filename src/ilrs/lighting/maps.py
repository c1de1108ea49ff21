"""Lighting maps: the illumination statistics of every point of a region of a DEM.

The region is a square of the DEM's own polar-stereographic grid around a centre point, at
a chosen resolution; each point stands on the DEM ground plus a mast. Work is cut into
square tiles of points; each tile computes its horizons (:mod:`ilrs.terrain`) and its
statistics and returns only the small per-point results, so memory stays bounded by the
tile size. Tiles run through :func:`ilrs.scale.map_chunks`: in this process, on a local
Dask cluster (default) or on a real one (``scheduler="tcp://…"``).

The Sun's and the Earth's directions are computed once for the region's centre: across
10 km the Sun's direction changes by 0.01″ and the Earth's by 5″, far below a horizon bin.
Per point and epoch the disk is measured against a locally flat horizon (the segment
rule of Mazarico et al. 2011); the single-site tool uses the finer strip integration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ilrs.errors import InputError
from ilrs.lighting import _kernels as k
from ilrs.lighting import _screened as screened
from ilrs.scale import map_chunks
from ilrs.sky import Epochs, Site, Sky
from ilrs.sky.topocentric import eclipse_hidden_fraction
from ilrs.terrain import Dem, as_dems, horizon_elevations
from ilrs.terrain.allpoints import grid_horizons

DAY_S = 86400.0


@dataclass(frozen=True)
class MapSpec:
    """A square region: centre (degrees), side (km), point spacing (m), mast height (m)."""

    center_lat_deg: float
    center_lon_deg: float
    size_km: float
    resolution_m: float
    mast_m: float = 2.0
    n_azimuths: int = 720
    max_range_m: float = 300_000.0

    def __post_init__(self):
        if not -90.0 <= self.center_lat_deg <= 90.0:
            raise InputError("map centre latitude", self.center_lat_deg, "degrees in [-90, 90]")
        if not (self.size_km > 0 and self.resolution_m > 0):
            raise InputError("map size/resolution", (self.size_km, self.resolution_m),
                             "positive numbers (km, m)")
        if self.size_km * 1000.0 / self.resolution_m > 4000:
            raise InputError("map points per side", self.size_km * 1000 / self.resolution_m,
                             "at most 4000 (use a coarser resolution or a smaller region)")


@dataclass(frozen=True)
class Track:
    """A far body's unit direction in the Moon ME frame (N, 3), angular radius (N,) and a
    weight (N,) multiplying what the terrain leaves visible."""

    unit_me: np.ndarray
    radius_rad: np.ndarray
    weight: np.ndarray


def body_tracks(site: Site, epochs: Epochs, sky: Sky | None = None) -> dict[str, Track]:
    """The Sun (weighted by the eclipse) and the Earth seen from ``site``, for a map."""
    sky = sky or Sky()
    seen = sky.topocentric_many(("sun", "earth"), site, epochs)
    hidden = eclipse_hidden_fraction(seen["sun"], seen["earth"])
    tracks = {}
    for name, weight in (("sun", 1.0 - hidden), ("earth", np.ones(len(epochs)))):
        v = seen[name].vector_km
        tracks[name] = Track(np.ascontiguousarray(v / np.linalg.norm(v, axis=1)[:, None]),
                             seen[name].angular_radius_rad, np.ascontiguousarray(weight))
    return tracks


def map_axes(dem: Dem, spec: MapSpec) -> tuple[np.ndarray, np.ndarray]:
    """Map x (west→east columns) and y (north→south rows) of the points, metres."""
    x0, y0 = dem.projection.xy_from_latlon(math.radians(spec.center_lat_deg),
                                           math.radians(spec.center_lon_deg))
    n = max(1, round(spec.size_km * 1000.0 / spec.resolution_m))
    offsets = (np.arange(n) - (n - 1) / 2.0) * spec.resolution_m
    return float(x0) + offsets, float(y0) - offsets


#: Elevation margin added around the band the Sun and the Earth sweep, rad.
BAND_MARGIN_RAD = math.radians(0.25)


def body_band(enus: np.ndarray, tracks: dict[str, Track], n_azimuths: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per azimuth bin, the elevations (rad) the bodies' disks can reach anywhere in a
    patch whose corner frames are ``enus`` (S, 3, 3): at each epoch the span of the
    corners' azimuths (the points between see the body between them) widened by one bin,
    and the span of their elevations ± the disk's radius, widened by BAND_MARGIN_RAD. A
    horizon clamped to this band changes no statistic of these bodies; in bins no body
    ever reaches the band is empty (floor = ceiling = the median floor, a value inside the
    horizon's usual range so that the statistics' quick bounds stay tight)."""
    floor = np.full(n_azimuths, np.inf)
    ceiling = np.full(n_azimuths, -np.inf)
    for track in tracks.values():
        u = np.einsum("sij,nj->sni", enus, track.unit_me)
        az = np.mod(np.arctan2(u[..., 0], u[..., 1]), 2 * math.pi)  # (S, N)
        el = np.arctan2(u[..., 2], np.hypot(u[..., 0], u[..., 1]))
        rel = np.mod(az - az[:1] + math.pi, 2 * math.pi) - math.pi  # unwrap about corner 0
        lo = az[0] + rel.min(axis=0)
        hi = az[0] + rel.max(axis=0)
        shift = np.floor(lo / (2 * math.pi)) * 2 * math.pi
        k.band_by_azimuth(np.ascontiguousarray(lo - shift), np.ascontiguousarray(hi - shift),
                          np.ascontiguousarray(el.min(axis=0) - track.radius_rad
                                               - BAND_MARGIN_RAD),
                          np.ascontiguousarray(el.max(axis=0) + track.radius_rad
                                               + BAND_MARGIN_RAD), 1, floor, ceiling)
    empty = ~np.isfinite(floor)
    typical = float(np.median(floor[~empty])) if (~empty).any() else 0.0
    floor[empty] = ceiling[empty] = typical
    return np.clip(floor, -1.5, 1.5), np.clip(ceiling, -1.5, 1.5)


def _tile_horizons(job: dict) -> tuple[np.ndarray, np.ndarray]:
    """Horizons (S, n) and frames (S, 3, 3) of a tile's points, by the job's method."""
    dems = as_dems(job["dems"])
    if job.get("method", "all-points") == "per-point":
        sites = [Site(f"p{i}", float(a), float(b), height_m=float(h), mast_m=job["mast_m"])
                 for i, (a, b, h) in enumerate(zip(job["lat_deg"], job["lon_deg"],
                                                   job["ground_m"], strict=True))]
        elevation_rad, _, _ = horizon_elevations(dems, sites, job["n_azimuths"],
                                                 job["max_range_m"], exact=job["exact"])
        return (np.ascontiguousarray(elevation_rad),
                np.ascontiguousarray(np.stack([s.enu for s in sites])))
    x, y = job["x_m"], job["y_m"]
    corners = [Site("c", float(a), float(b)) for a, b in zip(
        job["lat_deg"][[0, x.size - 1, -x.size, -1]], job["lon_deg"][[0, x.size - 1, -x.size, -1]],
        strict=True)]
    band = body_band(np.stack([c.enu for c in corners]), job["tracks"],
                     job["n_azimuths"]) if job.get("band") else None
    gh = grid_horizons(dems, x, y, job["mast_m"], job["n_azimuths"], job["max_range_m"],
                       ground_m=job["ground_m"].reshape(y.size, x.size), band_rad=band,
                       exact=job["exact"])
    n = x.size * y.size
    return (np.ascontiguousarray(gh.elevation_rad.reshape(n, -1)),
            np.ascontiguousarray(gh.enu.reshape(n, 3, 3)))


#: Side of the groups of points that share a body's track in the screened statistics
#: (:mod:`ilrs.lighting._screened`), m.
SCREEN_GROUP_M = 4000.0


def screen_groups(ny: int, nx: int, spacing_m: float, enus: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Groups of a row-major ``ny × nx`` grid's points (``spacing_m`` apart, frames
    ``enus`` (ny·nx, 3, 3)) for the screened statistics: each point's group and the
    groups' reference frames."""
    group, centre = screened.grid_groups(ny, nx, max(1, round(SCREEN_GROUP_M / spacing_m)))
    return group, np.ascontiguousarray(enus[centre])


def _tile_stats(job: dict) -> dict[str, np.ndarray]:
    """One tile: horizons of its points, then Sun and Earth statistics (module level so a
    Dask worker can unpickle it). The all-points path screens the epochs
    (:mod:`ilrs.lighting._screened`, the same results); the per-point path, the reference,
    evaluates every epoch."""
    horizons, enus = _tile_horizons(job)
    screen = job.get("method", "all-points") != "per-point"
    if screen:
        spacing = abs(float(job["x_m"][1] - job["x_m"][0])) if job["x_m"].size > 1 else 1.0
        group, refs = screen_groups(job["y_m"].size, job["x_m"].size, spacing, enus)
    out = {}
    for body, track in job["tracks"].items():
        n = horizons.shape[0]
        any_, mean, full, longest = np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64)
        if screen:
            t, t_min = screened.tracks_for_groups(refs, track.unit_me, horizons.shape[1])
            screened.map_disk_stats(horizons, enus, group, refs, t, t_min, track.unit_me,
                                    track.radius_rad, track.weight, any_, mean, full,
                                    longest, np.empty(n, np.int64))
        else:
            k.map_disk_stats(horizons, enus, track.unit_me, track.radius_rad, track.weight,
                             any_, mean, full, longest)
        out[f"{body}_any_pct"] = 100.0 * any_
        out[f"{body}_mean_pct"] = 100.0 * mean
        out[f"{body}_full_pct"] = 100.0 * full
        out[f"{body}_longest_hidden_days"] = longest * job["step_s"] / DAY_S
    return out


def lighting_map(
    dems, spec: MapSpec, start_utc: str, stop_utc: str, step_s: float = 3600.0, *,
    scheduler=None, tile_px: int = 32, progress: bool = True, sky: Sky | None = None,
    method: str = "all-points", band: bool = True, exact: bool | None = None,
) -> xr.Dataset:
    """Illumination and Earth-visibility statistics of every point of the region.

    ``dems``: paths or :class:`Dem` s, finest first (the first defines the map grid).
    Returns a Dataset over ``(y, x)`` with percentages of time and longest runs in days.
    ``method``: ``"all-points"`` (:func:`ilrs.terrain.allpoints.grid_horizons` per tile,
    default) or ``"per-point"`` (one ray march per point, the reference). ``band``: with
    all-points, prove horizons only inside the band of elevations the Sun and the Earth
    reach (:func:`body_band`; the statistics are the same). ``exact``: march the full
    quarter-pixel lattice (default: yes for all-points, no for per-point, today's path; the
    per-point fast mode can miss a horizon by ~1° on steep crater walls).
    """
    if method not in ("all-points", "per-point"):
        raise InputError("horizon method", method, "'all-points' or 'per-point'")
    dems = as_dems(dems)
    x, y = map_axes(dems[0], spec)
    xx, yy = np.meshgrid(x, y)
    lat, lon = (np.degrees(a) for a in dems[0].projection.latlon_from_xy(xx, yy))
    ground = np.full(xx.shape, np.nan)
    for dem in dems:  # finest first: fill what the finer ones do not cover
        missing = np.isnan(ground)
        if missing.any():
            ground[missing] = dem.heights_xy(xx[missing], yy[missing])
    if np.isnan(ground).any():
        raise InputError("map region", f"{int(np.isnan(ground).sum())} points without DEM data",
                         "a region inside the elevation models")
    centre = Site("map centre", spec.center_lat_deg, spec.center_lon_deg,
                  height_m=float(np.nanmean(ground)), mast_m=spec.mast_m)
    epochs = Epochs.from_range(start_utc, stop_utc, step_s)
    tracks = body_tracks(centre, epochs, sky)
    paths = [str(d.path) for d in dems]
    jobs, slices = [], []
    for r0 in range(0, xx.shape[0], tile_px):
        for c0 in range(0, xx.shape[1], tile_px):
            sl = (slice(r0, r0 + tile_px), slice(c0, c0 + tile_px))
            slices.append(sl)
            jobs.append({
                "dems": paths, "lat_deg": lat[sl].ravel(), "lon_deg": lon[sl].ravel(),
                "ground_m": ground[sl].ravel(), "mast_m": spec.mast_m,
                "n_azimuths": spec.n_azimuths, "max_range_m": spec.max_range_m,
                "tracks": tracks, "step_s": step_s, "method": method, "band": band,
                "exact": method == "all-points" if exact is None else exact,
                "x_m": x[sl[1]], "y_m": y[sl[0]],
            })
    results = map_chunks(_tile_stats, jobs, scheduler=scheduler, progress=progress,
                         description="lighting map tiles")
    data = {name: np.full(xx.shape, np.nan) for name in results[0]}
    for sl, result in zip(slices, results, strict=True):
        shape = xx[sl].shape
        for name, values in result.items():
            data[name][sl] = values.reshape(shape)
    ds = xr.Dataset(
        {name: (("y", "x"), values) for name, values in data.items()}
        | {"ground_height_m": (("y", "x"), ground), "lat_deg": (("y", "x"), lat),
           "lon_deg": (("y", "x"), lon)},
        coords={"x": x, "y": y},
        attrs={
            "crs": dems[0].projection.proj4, "start_utc": start_utc, "stop_utc": stop_utc,
            "step_s": step_s, "mast_m": spec.mast_m, "resolution_m": spec.resolution_m,
            "horizons": method,
            "dems": "; ".join(paths),
            "synthetic": int(any(d.synthetic for d in dems)),
        },
    )
    for name in data:
        ds[name].attrs["units"] = "days" if name.endswith("_days") else "percent of time"
    return ds


def best_spots(ds: xr.Dataset, n: int = 10, min_separation_m: float = 200.0,
               by: str = "sun_any_pct") -> list[dict]:
    """The ``n`` best points by ``by`` (ties broken by the mean visible fraction), at least
    ``min_separation_m`` apart."""
    if by not in ds:
        raise InputError("best-spots key", by, f"one of {sorted(ds.data_vars)}")
    tie = ds["sun_mean_pct"].values.ravel() if "sun_mean_pct" in ds else 0.0
    order = np.lexsort((-tie, -ds[by].values.ravel()))
    xx, yy = np.meshgrid(ds.x.values, ds.y.values)
    chosen: list[int] = []
    for i in order:
        if len(chosen) == n:
            break
        if all(math.hypot(xx.flat[i] - xx.flat[j], yy.flat[i] - yy.flat[j]) >= min_separation_m
               for j in chosen):
            chosen.append(int(i))
    return [
        {"lat_deg": float(ds.lat_deg.values.flat[i]), "lon_deg": float(ds.lon_deg.values.flat[i]),
         "x_m": float(xx.flat[i]), "y_m": float(yy.flat[i])}
        | {name: float(ds[name].values.flat[i]) for name in ds.data_vars
           if name not in ("lat_deg", "lon_deg")}
        for i in chosen
    ]


def write_map(ds: xr.Dataset, path) -> Path:
    """Write a map as GeoTIFF (one band per statistic, named) or NetCDF (by extension)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [n for n in ds.data_vars if n not in ("lat_deg", "lon_deg")]
    if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
        ds.to_netcdf(path, engine="scipy")
        return path
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise InputError("map output", str(path), "a .tif or .nc file name")
    import rasterio
    from affine import Affine

    res = float(ds.attrs["resolution_m"])
    transform = Affine(res, 0.0, float(ds.x[0]) - res / 2, 0.0, -res, float(ds.y[0]) + res / 2)
    with rasterio.open(path, "w", driver="GTiff", width=ds.sizes["x"], height=ds.sizes["y"],
                       count=len(names), dtype="float32", crs=ds.attrs["crs"],
                       transform=transform, compress="deflate") as dst:
        for band, name in enumerate(names, start=1):
            dst.write(ds[name].values.astype(np.float32), band)
            dst.set_band_description(band, name)
        dst.update_tags(**{k: str(v) for k, v in ds.attrs.items()})
    return path


__all__ = ["MapSpec", "Track", "best_spots", "body_band", "body_tracks", "lighting_map",
           "map_axes", "write_map"]
