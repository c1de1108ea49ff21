"""Dem: a lunar elevation model on disk, read lazily window by window into metre grids.

Reads GeoTIFF and PDS3 ``.IMG`` + ``.LBL`` products through rasterio/GDAL, and ``.npy``
arrays with a small JSON sidecar (``name.npy`` + ``name.json``), in the polar
stereographic projection of the LOLA polar products. Heights come out as float32 metres
above the 1737.4 km sphere:

* the product's scale factor and offset are applied (``raw * scale + offset``); when the
  offset is a body radius (LOLA GDR labels carry ``OFFSET = 1737400``, a reference radius)
  the sphere radius is subtracted, so heights stay relative to the sphere;
* nodata pixels (the product's nodata / ``MISSING_CONSTANT``, and NaN) become NaN.

Only the pixels of the asked window are read (``Dem.read``), optionally decimated by
averaging for the far field, so a multi-GB product never has to fit in memory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ilrs.errors import DemError, InputError
from ilrs.sky.site import MOON_RADIUS_M, Site
from ilrs.terrain.grid import Grid
from ilrs.terrain.projection import PolarStereographic

__all__ = ["Dem", "as_dems", "ground_height", "site_on_dem"]

#: A CRS whose body radius is further than this from 1737.4 km is not lunar.
_LUNAR_RADIUS_TOLERANCE_M = 1000.0


def _body_radius_m(wkt: str) -> float | None:
    match = re.search(r'(?:SPHEROID|ELLIPSOID)\["[^"]*",\s*([-+0-9.eE]+)', wkt)
    return float(match.group(1)) if match else None


class Dem:
    """A lunar elevation model file, opened lazily (the pixels stay on disk until read).

    >>> import tempfile, pathlib
    >>> grid = Grid(np.full((4, 4), 100.0, np.float32), -15.0, 15.0, 10.0,
    ...             PolarStereographic.south())
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with Dem(grid.write_npy(pathlib.Path(tmp) / "flat.npy")) as dem:
    ...         (dem.pixel_m, dem.height_at(-90.0, 0.0))
    (10.0, 100.0)
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise DemError(self.path, "no such file")
        self._dataset = None
        self._array = None
        self.synthetic = False
        self.description = ""
        if self.path.suffix.lower() == ".npy":
            crs_text, affine, nodata, scale, offset = self._open_npy()
        else:
            crs_text, affine, nodata, scale, offset = self._open_gdal()
        a, b, c, d, e, f = affine
        if b != 0 or d != 0 or e >= 0 or abs(abs(e) - a) > 1e-9 * a:
            raise DemError(
                self.path,
                f"grid transform {affine} is not north-up with square "
                "pixels (rotated or south-up grids are not supported)",
            )
        self.pixel_m = float(a)
        self._x_left_m, self._y_top_m = float(c), float(f)
        self.nodata = nodata
        self.scale = float(scale)
        self.offset_m = float(offset)
        # LOLA GDR labels give OFFSET = the reference radius: the raw values are radii.
        self._datum_shift_m = -MOON_RADIUS_M if abs(offset) > MOON_RADIUS_M / 2 else 0.0
        self.projection = self._projection(crs_text)

    # -- opening ---------------------------------------------------------------------------
    def _open_gdal(self):
        import rasterio
        from rasterio.errors import RasterioIOError

        path = self.path
        if path.suffix.lower() == ".img":  # a PDS3 image with a detached label beside it
            for suffix in (".lbl", ".LBL"):
                if path.with_suffix(suffix).exists():
                    path = path.with_suffix(suffix)
                    break
        try:
            ds = rasterio.open(path)
        except RasterioIOError as exc:
            raise DemError(self.path, f"not a raster GDAL can read ({exc})") from None
        self._dataset = ds
        self.width, self.height = ds.width, ds.height
        tags = ds.tags()
        self.synthetic = tags.get("SYNTHETIC", "").lower() in ("yes", "true", "1")
        self.description = tags.get("DESCRIPTION", "") or (ds.descriptions[0] or "")
        if ds.crs is None:
            raise DemError(
                self.path,
                "has no coordinate reference system (CRS); ilrs needs "
                "the polar stereographic CRS of a LOLA product",
            )
        scale = ds.scales[0] if ds.scales[0] not in (None, 0) else 1.0
        offset = ds.offsets[0] or 0.0
        t = ds.transform
        return ds.crs.to_wkt(), (t.a, t.b, t.c, t.d, t.e, t.f), ds.nodata, scale, offset

    def _open_npy(self):
        sidecar = self.path.with_suffix(".json")
        if not sidecar.exists():
            raise DemError(self.path, f"no JSON sidecar {sidecar.name} (crs, transform) beside it")
        try:
            meta = json.loads(sidecar.read_text())
            crs_text, affine = meta["crs"], [float(v) for v in meta["transform"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise DemError(
                sidecar, f"sidecar needs 'crs' and a 6-number 'transform' ({exc})"
            ) from None
        if not crs_text:
            raise DemError(self.path, "sidecar has no coordinate reference system (crs)")
        self._array = np.load(self.path, mmap_mode="r")
        if self._array.ndim != 2:
            raise DemError(self.path, f"array has shape {self._array.shape}, expected 2-D")
        self.height, self.width = self._array.shape
        self.synthetic = bool(meta.get("synthetic", False))
        self.description = str(meta.get("description", ""))
        return (
            crs_text,
            affine,
            meta.get("nodata"),
            meta.get("scale", 1.0) or 1.0,
            meta.get("offset", 0.0) or 0.0,
        )

    def _projection(self, crs_text: str) -> PolarStereographic:
        from rasterio.crs import CRS
        from rasterio.errors import CRSError

        try:
            crs = CRS.from_user_input(crs_text)
        except CRSError as exc:
            raise DemError(self.path, f"unreadable CRS {crs_text!r} ({exc})") from None
        radius = _body_radius_m(crs.to_wkt())
        if radius is None or abs(radius - MOON_RADIUS_M) > _LUNAR_RADIUS_TOLERANCE_M:
            raise DemError(
                self.path,
                f"not a lunar elevation model: its CRS body radius is "
                f"{radius} m, expected the Moon's {MOON_RADIUS_M:.0f} m sphere",
            )
        try:
            return PolarStereographic.from_proj_dict(crs.to_dict())
        except InputError as exc:
            raise DemError(
                self.path,
                f"unsupported projection ({exc}); ilrs reads the polar "
                "stereographic products LOLA/PGDA publish for the poles",
            ) from None

    # -- geometry --------------------------------------------------------------------------
    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """Outer pixel edges ``(x_min, y_min, x_max, y_max)`` in map metres."""
        return (
            self._x_left_m,
            self._y_top_m - self.height * self.pixel_m,
            self._x_left_m + self.width * self.pixel_m,
            self._y_top_m,
        )

    def contains_xy(self, x_m, y_m) -> np.ndarray:
        """True where map points lie within the pixel centres (where bilinear works)."""
        x0, y0, x1, y1 = self.bounds_m
        h = self.pixel_m / 2
        x, y = np.asarray(x_m), np.asarray(y_m)
        return (x >= x0 + h) & (x <= x1 - h) & (y >= y0 + h) & (y <= y1 - h)

    # -- reading ---------------------------------------------------------------------------
    def read(self, x_min_m, y_min_m, x_max_m, y_max_m, pixel_m: float | None = None) -> Grid | None:
        """Heights of the window covering the box (plus one pixel for bilinear), or None if
        the box misses the file. With ``pixel_m`` coarser than the file's, pixels are
        averaged in blocks of ``round(pixel_m / self.pixel_m)``."""
        factor = max(1, round((pixel_m or self.pixel_m) / self.pixel_m))
        col0 = math.floor((x_min_m - self._x_left_m) / self.pixel_m - 0.5) - 1
        col1 = math.ceil((x_max_m - self._x_left_m) / self.pixel_m - 0.5) + 2
        row0 = math.floor((self._y_top_m - y_max_m) / self.pixel_m - 0.5) - 1
        row1 = math.ceil((self._y_top_m - y_min_m) / self.pixel_m - 0.5) + 2
        col0, row0 = max(col0, 0), max(row0, 0)
        col1, row1 = min(col1, self.width), min(row1, self.height)
        # whole blocks of `factor` pixels, snapped to the file's block grid
        col0, row0 = col0 - col0 % factor, row0 - row0 % factor
        ncols, nrows = (col1 - col0) // factor, (row1 - row0) // factor
        if ncols < 2 or nrows < 2:
            return None
        raw = self._read_raw(row0, col0, nrows, ncols, factor)
        heights = self._to_metres(raw)
        out_pixel = self.pixel_m * factor
        return Grid(
            heights,
            self._x_left_m + col0 * self.pixel_m + out_pixel / 2,
            self._y_top_m - row0 * self.pixel_m - out_pixel / 2,
            out_pixel,
            self.projection,
            str(self.path),
        )

    def _read_raw(self, row0, col0, nrows, ncols, factor) -> np.ndarray:
        if self._array is not None:
            out = np.empty((nrows, ncols))
            # block means, a band of output rows at a time (memory stays ~32 MB)
            band = max(1, (1 << 22) // (factor * factor * ncols))
            for r in range(0, nrows, band):
                n = min(band, nrows - r)
                block = self._array[
                    row0 + r * factor : row0 + (r + n) * factor, col0 : col0 + ncols * factor
                ]
                block = self._mask(np.asarray(block, dtype=np.float64))
                block = block.reshape(n, factor, ncols, factor)
                valid = np.isfinite(block)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[r : r + n] = np.where(valid, block, 0.0).sum(axis=(1, 3)) / valid.sum(
                        axis=(1, 3)
                    )
            return out
        from rasterio.enums import Resampling
        from rasterio.windows import Window

        window = Window(col0, row0, ncols * factor, nrows * factor)
        data = self._dataset.read(
            1,
            window=window,
            out_shape=(nrows, ncols),
            masked=True,
            resampling=Resampling.average if factor > 1 else Resampling.nearest,
        )
        return self._mask(np.ma.filled(data.astype(np.float64), np.nan))

    def _mask(self, raw: np.ndarray) -> np.ndarray:
        if self.nodata is not None and not math.isnan(float(self.nodata)):
            raw = np.where(raw == float(self.nodata), np.nan, raw)
        return raw

    def _to_metres(self, raw: np.ndarray) -> np.ndarray:
        return (raw * self.scale + (self.offset_m + self._datum_shift_m)).astype(np.float32)

    def heights_xy(self, x_m, y_m) -> np.ndarray:
        """Bilinear heights at map points (reads only the small window around them)."""
        x, y = np.atleast_1d(np.asarray(x_m, float)), np.atleast_1d(np.asarray(y_m, float))
        grid = self.read(x.min(), y.min(), x.max(), y.max())
        return np.full(x.shape, np.nan) if grid is None else grid.sample(x, y)

    def height_at(self, lat_deg: float, lon_deg: float) -> float:
        """Ground height (m above the sphere) at one point; ``DemError`` outside or in a hole."""
        x, y = self.projection.xy_from_latlon(math.radians(lat_deg), math.radians(lon_deg))
        if not self.contains_xy(x, y):
            raise DemError(
                self.path,
                f"does not cover {lat_deg}°, {lon_deg}° (map x={float(x):.0f}"
                f" m, y={float(y):.0f} m; the file spans {self.bounds_m})",
            )
        h = float(self.heights_xy(x, y)[0])
        if math.isnan(h):
            raise DemError(self.path, f"has no data (nodata hole) at {lat_deg}°, {lon_deg}°")
        return h

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        if self._dataset is not None:
            self._dataset.close()
            self._dataset = None
        self._array = None

    def __enter__(self) -> Dem:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        label = ", SYNTHETIC" if self.synthetic else ""
        return (
            f"Dem({str(self.path)!r}, {self.width}x{self.height} px at {self.pixel_m:g} m{label})"
        )


def as_dems(dems) -> list[Dem]:
    """A list of ``Dem`` from one ``Dem``/path or a sequence of them (finest first)."""
    if isinstance(dems, Dem | str | Path):
        dems = [dems]
    out = [d if isinstance(d, Dem) else Dem(d) for d in dems]
    if not out:
        raise InputError("elevation models", [], "at least one DEM")
    return out


def ground_height(dems: Dem | Sequence[Dem] | Iterable, lat_deg: float, lon_deg: float) -> float:
    """Ground height (m above the sphere) from the first DEM (finest first) with data there."""
    dems = as_dems(dems)
    if len(dems) == 1:
        return dems[0].height_at(lat_deg, lon_deg)
    problems = []
    for dem in dems:
        try:
            return dem.height_at(lat_deg, lon_deg)
        except DemError as exc:
            problems.append(exc.problem)
    raise DemError(
        ", ".join(str(d.path) for d in dems),
        f"no DEM gives a height at {lat_deg}°, {lon_deg}° ({'; '.join(problems)})",
    )


def site_on_dem(
    dems, lat_deg: float, lon_deg: float, mast_m: float = 0.0, name: str | None = None
) -> Site:
    """A :class:`~ilrs.sky.site.Site` standing on the DEM ground with a mast of ``mast_m``."""
    h = ground_height(dems, lat_deg, lon_deg)
    return Site(
        name or f"{lat_deg:.4f},{lon_deg:.4f}",
        float(lat_deg),
        float(lon_deg),
        height_m=h,
        mast_m=float(mast_m),
    )
