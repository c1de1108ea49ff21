"""TerrainStack: the DEM windows around a set of sites, in memory and ready for the kernel.

Several DEMs may be combined, finest first: a point takes its height from the first DEM
(layer) whose pixel centres surround it, so a fine near-field tile is used where it exists
and coarser products beyond it, as the published illumination studies do. A DEM larger than
``max_side_px`` pixels around the sites becomes a small pyramid: full resolution near the
sites, then windows averaged 4×, 16×… further out, so a GB-sized product is never read
whole.

Nodata rule (documented in docs/terrain.md): a hole in a layer is filled, pixel by pixel,
from the next coarser layer that has data there; where no layer has data the pixel stays
NaN and any sample touching it is skipped — a hole never raises the horizon. The count of
such unfilled pixels is kept in ``unfilled_px``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import DemError
from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain import _kernels as kern
from ilrs.terrain.dem import Dem, as_dems
from ilrs.terrain.grid import Grid
from ilrs.terrain.projection import PolarStereographic

__all__ = ["TerrainStack", "range_box_m"]

#: Block sizes (pixels) of the maximum-mipmap levels; one lookup bounds a ray segment of
#: that many pixels.
BLOCKS_PX = (4, 16, 64)
#: Fine sampling step, in pixels of the layer in use (the brute force uses the same).
FINE_STEP_PX = 0.25


def range_box_m(projection: PolarStereographic, sites: list[Site], range_m: float):
    """Map box ``(x_min, y_min, x_max, y_max)`` holding every point within ``range_m`` of arc
    of any site (the circle's image is sampled densely and padded by 0.5 %)."""
    az = np.linspace(0.0, 2.0 * math.pi, 181)
    xs, ys = [], []
    for site in sites:
        enu = site.enu
        th = min(range_m / MOON_RADIUS_M, math.pi / 2)
        p = math.cos(th) * enu[2][None, :] + math.sin(th) * (
            np.cos(az)[:, None] * enu[1] + np.sin(az)[:, None] * enu[0]
        )
        x, y = projection.xy_from_vector(p)
        x0, y0 = projection.xy_from_latlon(math.radians(site.lat_deg), math.radians(site.lon_deg))
        xs += [x, np.atleast_1d(x0)]
        ys += [y, np.atleast_1d(y0)]
    x, y = np.concatenate(xs), np.concatenate(ys)
    pad = 0.005 * max(np.ptp(x), np.ptp(y)) + 1.0
    return float(x.min() - pad), float(y.min() - pad), float(x.max() + pad), float(y.max() + pad)


def _intersect(a, b):
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def _block_maxima(h: np.ndarray, block: int, pad: int) -> np.ndarray:
    """Maximum of each ``block × block`` block of ``h`` widened by ``pad`` pixels each side.

    >>> _block_maxima(np.arange(16.0).reshape(4, 4), 2, 0).tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    from numpy.lib.stride_tricks import sliding_window_view

    out = h
    for axis in (0, 1):
        n_blocks = -(-h.shape[axis] // block)
        widths = [(0, 0), (0, 0)]
        widths[axis] = (pad, n_blocks * block + pad - h.shape[axis])
        out = np.pad(out, widths, constant_values=-np.inf)
        windows = sliding_window_view(out, block + 2 * pad, axis=axis)
        out = windows[::block] if axis == 0 else windows[:, ::block]
        out = out.max(axis=-1)
    return np.ascontiguousarray(out, dtype=np.float32)


@dataclass
class TerrainStack:
    """Layers (finest first) read from ``dems`` around ``sites`` out to ``max_range_m``."""

    grids: list[Grid]
    projection: PolarStereographic
    max_range_m: float
    sources: list[str]
    unfilled_px: list[int] = field(default_factory=list)
    synthetic: bool = False

    @classmethod
    def around(
        cls,
        dems,
        sites: Site | list[Site],
        max_range_m: float = 300_000.0,
        *,
        max_side_px: int = 4096,
    ) -> TerrainStack:
        """Read every DEM's window within ``max_range_m`` of the sites (a 4× pyramid when
        wider than ``max_side_px``), fill holes, and build the maximum mipmap.

        Raises ``DemError`` if the DEMs' projections differ, if none covers the area, or if
        a site has no terrain under it.
        """
        dems: list[Dem] = as_dems(dems)
        sites = [sites] if isinstance(sites, Site) else list(sites)
        projection = dems[0].projection
        for dem in dems[1:]:
            if not dem.projection.same_as(projection):
                raise DemError(
                    dem.path,
                    f"its projection ({dem.projection.proj4}) differs from "
                    f"the first DEM's ({projection.proj4}); combined DEMs must share one",
                )
        box = range_box_m(projection, sites, max_range_m)
        grids, sources = [], []
        for dem in dems:
            for grid in cls._pyramid(dem, box, max_side_px):
                grids.append(grid)
                sources.append(f"{dem.path} @ {grid.pixel_m:g} m")
        if not grids:
            raise DemError(
                ", ".join(str(d.path) for d in dems),
                f"covers nothing within {max_range_m / 1000:g} km of the site(s)",
            )
        stack = cls(
            grids, projection, float(max_range_m), sources, synthetic=any(d.synthetic for d in dems)
        )
        stack._fill_holes()
        stack._pack()
        for site in sites:
            stack.ground_height(site)  # raises if a site has no terrain under it
        return stack

    @staticmethod
    def _pyramid(dem: Dem, box, max_side_px: int) -> list[Grid]:
        """Full-resolution window near the sites, coarser (4×) windows further out."""
        need = _intersect(box, dem.bounds_m)
        if need is None:
            return []
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        grids, pixel = [], dem.pixel_m
        while True:
            half = max_side_px / 2 * pixel
            level_box = _intersect(need, (cx - half, cy - half, cx + half, cy + half))
            if level_box is not None:
                grid = dem.read(*level_box, pixel_m=pixel)
                if grid is not None:
                    grids.append(grid)
            if level_box == need:
                return grids
            pixel *= 4

    def _fill_holes(self) -> None:
        self.unfilled_px = []
        for i, grid in enumerate(self.grids):
            holes = np.isnan(grid.heights_m)
            if holes.any():
                rows, cols = np.nonzero(holes)
                x = grid.x0_m + cols * grid.pixel_m
                y = grid.y0_m - rows * grid.pixel_m
                fill = np.full(rows.shape, np.nan)
                for coarser in self.grids[i + 1 :]:
                    todo = np.isnan(fill)
                    if not todo.any():
                        break
                    fill[todo] = coarser.sample(x[todo], y[todo])
                grid.heights_m[rows, cols] = fill
            self.unfilled_px.append(int(np.isnan(grid.heights_m).sum()))

    def _pack(self) -> None:
        corners = [
            (g.bounds_m[a], g.bounds_m[b]) for g in self.grids for a in (0, 2) for b in (1, 3)
        ]
        k_max = float(max(self.projection.scale_factor(x, y) for x, y in corners))
        meta = np.zeros((len(self.grids), kern.META_FIELDS))
        levels = np.zeros((len(self.grids), len(BLOCKS_PX), kern.LEVEL_FIELDS))
        heights, maxes, offset, max_offset = [], [], 0, 0
        for k, g in enumerate(self.grids):
            rows, cols = g.heights_m.shape
            meta[k] = (
                g.x0_m - self.projection.false_easting_m,
                g.y0_m - self.projection.false_northing_m,
                g.pixel_m,
                cols,
                rows,
                offset,
                FINE_STEP_PX * g.pixel_m,
                1.0 / g.pixel_m,
            )
            h = np.ascontiguousarray(g.heights_m, dtype=np.float32)
            heights.append(h.ravel())
            offset += h.size
            h_inf = np.where(np.isnan(h), -np.inf, h)
            for lev, block in enumerate(BLOCKS_PX):
                segment_m = block * g.pixel_m / k_max  # at most `block` pixels on the map
                # a great circle maps to a circle of radius ≥ 2Rk0: sagitta ≤ L² / (16 R k0)
                chord_m = block * g.pixel_m
                if chord_m**2 / (16.0 * self.projection.radius_m * self.projection.k0) > g.pixel_m:
                    continue  # the segment would bow more than a pixel off its chord
                top = _block_maxima(h_inf, block, pad=2)
                arc = segment_m / MOON_RADIUS_M
                levels[k, lev] = (
                    block,
                    max_offset,
                    top.shape[1],
                    top.shape[0],
                    segment_m,
                    math.cos(arc),
                    math.sin(arc),
                )
                maxes.append(top.ravel())
                max_offset += top.size
        self.meta = meta
        self.levels = levels
        self.heights = np.concatenate(heights)
        self.maxes = np.concatenate(maxes).astype(np.float32)
        finite = np.isfinite(self.heights)
        self.top_m = float(self.heights[finite].max()) if finite.any() else -np.inf
        self.proj = self.projection.kernel_parameters()

    def ground_height(self, site: Site) -> float:
        """Height of the terrain under the site (m above the sphere) from the finest layer."""
        x, y = self.projection.xy_from_latlon(
            math.radians(site.lat_deg), math.radians(site.lon_deg)
        )
        h = float(
            kern.sample_heights(
                np.atleast_1d(x - self.proj[4]),
                np.atleast_1d(y - self.proj[5]),
                self.meta,
                self.heights,
            )[0]
        )
        if math.isnan(h):
            raise DemError(
                "; ".join(self.sources),
                f"has no terrain under site {site.name!r} "
                f"({site.lat_deg}°, {site.lon_deg}°): outside every DEM or in a hole",
            )
        return h

    def first_step_m(self, site: Site) -> float:
        """The first sample distance of a ray: the fine step of the layer under the site."""
        x, y = self.projection.xy_from_latlon(
            math.radians(site.lat_deg), math.radians(site.lon_deg)
        )
        for k in range(self.meta.shape[0]):
            col = (x - self.proj[4] - self.meta[k, kern.X0]) / self.meta[k, kern.PIXEL]
            row = (self.meta[k, kern.Y0] - (y - self.proj[5])) / self.meta[k, kern.PIXEL]
            if (
                0 <= col <= self.meta[k, kern.NCOLS] - 1
                and 0 <= row <= self.meta[k, kern.NROWS] - 1
            ):
                return float(self.meta[k, kern.FINE_STEP])
        return float(self.meta[0, kern.FINE_STEP])

    def site_vectors(self, sites: list[Site]):
        """Up, north, east unit vectors (n, 3) of the sites (from ``Site.enu``)."""
        enu = np.stack([s.enu for s in sites])
        return (
            np.ascontiguousarray(enu[:, 2]),
            np.ascontiguousarray(enu[:, 1]),
            np.ascontiguousarray(enu[:, 0]),
        )
