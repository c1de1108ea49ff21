"""Grid: heights in memory on a north-up polar-stereographic raster, sampled bilinearly and
written as a LOLA-style GeoTIFF or ``.npy`` + JSON sidecar (what :class:`~ilrs.terrain.Dem`
reads back)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.terrain.projection import PolarStereographic

__all__ = ["Grid"]


@dataclass(frozen=True)
class Grid:
    """Heights in memory: float32 metres above the sphere, NaN where there is no data.

    Pixel (row i, col j) is centred at x = ``x0_m + j * pixel_m``, y = ``y0_m − i * pixel_m``
    (row 0 is the top, largest y, as in the LOLA products).
    """

    heights_m: np.ndarray
    x0_m: float
    y0_m: float
    pixel_m: float
    projection: PolarStereographic
    source: str = "<memory>"

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights_m.shape

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """Outer pixel edges ``(x_min, y_min, x_max, y_max)``, metres."""
        rows, cols = self.heights_m.shape
        half = self.pixel_m / 2
        return (
            self.x0_m - half,
            self.y0_m - (rows - 1) * self.pixel_m - half,
            self.x0_m + (cols - 1) * self.pixel_m + half,
            self.y0_m + half,
        )

    def sample(self, x_m, y_m) -> np.ndarray:
        """Bilinear heights at map points; NaN outside the pixel centres or next to a hole.

        >>> g = Grid(np.array([[0.0, 10.0], [20.0, 30.0]], np.float32), 0.0, 0.0, 10.0,
        ...          PolarStereographic.south())
        >>> g.sample([5.0, 0.0, 20.0], [-5.0, 0.0, 0.0]).tolist()
        [15.0, 0.0, nan]
        """
        h = self.heights_m
        col = (np.asarray(x_m, dtype=float) - self.x0_m) / self.pixel_m
        row = (self.y0_m - np.asarray(y_m, dtype=float)) / self.pixel_m
        inside = (col >= 0) & (row >= 0) & (col <= h.shape[1] - 1) & (row <= h.shape[0] - 1)
        c0 = np.clip(np.floor(col), 0, max(h.shape[1] - 2, 0)).astype(np.intp)
        r0 = np.clip(np.floor(row), 0, max(h.shape[0] - 2, 0)).astype(np.intp)
        c1 = np.minimum(c0 + 1, h.shape[1] - 1)
        r1 = np.minimum(r0 + 1, h.shape[0] - 1)
        fc = np.clip(col - c0, 0.0, 1.0)
        fr = np.clip(row - r0, 0.0, 1.0)
        top = h[r0, c0] * (1 - fc) + h[r0, c1] * fc
        bottom = h[r1, c0] * (1 - fc) + h[r1, c1] * fc
        value = top * (1 - fr) + bottom * fr
        return np.where(inside, value, np.nan)

    def write_geotiff(self, path, *, description: str = "", tags: dict | None = None) -> Path:
        """Write as a tiled float32 GeoTIFF in this grid's projection (nodata = NaN)."""
        import rasterio
        from rasterio.crs import CRS
        from rasterio.transform import Affine

        path = Path(path)
        rows, cols = self.heights_m.shape
        half = self.pixel_m / 2
        profile = {
            "driver": "GTiff",
            "width": cols,
            "height": rows,
            "count": 1,
            "dtype": "float32",
            "crs": CRS.from_proj4(self.projection.proj4),
            "nodata": float("nan"),
            "transform": Affine(
                self.pixel_m, 0.0, self.x0_m - half, 0.0, -self.pixel_m, self.y0_m + half
            ),
            "compress": "deflate",
            "predictor": 3,
        }
        if rows >= 256 and cols >= 256:
            profile |= {"tiled": True, "blockxsize": 256, "blockysize": 256}
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(self.heights_m.astype(np.float32), 1)
            dst.update_tags(**(tags or {}))
            if description:
                dst.set_band_description(1, description)
        return path

    def write_npy(self, path, *, description: str = "", synthetic: bool = False) -> Path:
        """Write as ``path`` (.npy, float32 metres) plus the JSON sidecar ``Dem`` reads."""
        path = Path(path).with_suffix(".npy")
        np.save(path, self.heights_m.astype(np.float32))
        half = self.pixel_m / 2
        sidecar = {
            "crs": self.projection.proj4,
            "transform": [
                self.pixel_m,
                0.0,
                self.x0_m - half,
                0.0,
                -self.pixel_m,
                self.y0_m + half,
            ],
            "nodata": None,
            "scale": 1.0,
            "offset": 0.0,
            "units": "m above the 1737.4 km sphere",
            "description": description,
            "synthetic": synthetic,
        }
        path.with_suffix(".json").write_text(json.dumps(sidecar, indent=1) + "\n")
        return path
