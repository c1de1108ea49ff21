"""DEM clones: copies of elevation models with random height errors drawn from a stated
error model, for ensembles that put an uncertainty on every product (Barker et al. 2021).

Error model (per DEM, heights in metres): white noise of standard deviation ``white_m``
per pixel, plus spatially correlated noise of standard deviation ``correlated_m``: white
noise smoothed by a Gaussian of standard deviation ``correlation_m`` and rescaled. The
defaults follow the documented errors of the products:

* pixels ≤ 20 m (the PGDA site DEMs, 5 m LOLA products resampled): RMS height error
  0.30–0.50 m (Barker et al. 2021, PSS 195, 105119, "median RMS Z error ~0.30–0.50 m",
  pgda.gsfc.nasa.gov/products/78): 0.3 m white + 0.3 m correlated over 100 m (0.42 m RMS);
* coarser pixels (LDEM_75S_120M and its resamplings): LOLA profile geolocation errors
  "< 1 m vertically" after crossover adjustment (Barker et al. 2016, Icarus 273, 346)
  plus interpolation between tracks: 1 m white + 1 m correlated over 2 km (1.4 m RMS).

A clone ``i`` of a study seeded with ``seed`` always draws the same noise
(:func:`ilrs.scale.block_rng`), so ensembles are reproducible wherever they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.errors import InputError
from ilrs.scale import block_rng
from ilrs.terrain.dem import Dem, as_dems

__all__ = ["ErrorModel", "make_clones"]


@dataclass(frozen=True)
class ErrorModel:
    """White + Gaussian-correlated height noise, metres (see the module doc)."""

    white_m: float
    correlated_m: float
    correlation_m: float

    def __post_init__(self):
        if min(self.white_m, self.correlated_m) < 0 or self.correlation_m <= 0:
            raise InputError("DEM error model", self, "σ ≥ 0 m and a correlation length > 0 m")

    @property
    def rms_m(self) -> float:
        return float(np.hypot(self.white_m, self.correlated_m))

    @classmethod
    def for_pixel(cls, pixel_m: float) -> ErrorModel:
        """The documented default for a DEM of this pixel size (module doc)."""
        if pixel_m <= 20.0:
            return cls(0.3, 0.3, 100.0)
        return cls(1.0, 1.0, 2000.0)

    def noise(self, shape: tuple[int, int], pixel_m: float, rng) -> np.ndarray:
        """One draw of the height error on a grid, metres (float32)."""
        out = self.white_m * rng.standard_normal(shape)
        if self.correlated_m > 0:
            field = rng.standard_normal(shape)
            sigma_px = self.correlation_m / pixel_m
            ky = np.fft.fftfreq(shape[0])[:, None]
            kx = np.fft.rfftfreq(shape[1])[None, :]
            kernel = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (kx**2 + ky**2))
            smooth = np.fft.irfft2(np.fft.rfft2(field) * kernel, s=shape)
            std = smooth.std()
            if std > 0:
                out += self.correlated_m * smooth / std
        return out.astype(np.float32)


def make_clones(dems, n: int, out_dir, *, seed: int = 0,
                models: list[ErrorModel] | None = None) -> list[list[Path]]:
    """Write ``n`` clones of every DEM (``.npy`` + sidecar) under ``out_dir/clone-i``;
    returns, per clone, the DEM paths in the same order (finest first). Existing clone
    files are reused (same seed, same noise)."""
    dems: list[Dem] = as_dems(dems)
    if int(n) != n or n < 1:
        raise InputError("ensemble size", n, "a positive integer")
    models = models or [ErrorModel.for_pixel(d.pixel_m) for d in dems]
    if len(models) != len(dems):
        raise InputError("error models", len(models), f"one per DEM ({len(dems)})")
    out, grids = [], {}
    for i in range(int(n)):
        folder = Path(out_dir) / f"clone-{seed}-{i}"
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for j, (dem, model) in enumerate(zip(dems, models, strict=True)):
            path = folder / f"{j}-{Path(dem.path).stem}.npy"
            if not path.exists():
                if j not in grids:
                    grids[j] = dem.read(*dem.bounds_m)
                grid = grids[j]
                noise = model.noise(grid.shape, grid.pixel_m, block_rng(seed, i * 64 + j))
                clone = type(grid)(grid.heights_m + noise, grid.x0_m, grid.y0_m, grid.pixel_m,
                                   grid.projection, str(path))
                clone.write_npy(path, description=(
                    f"clone {i} (seed {seed}) of {dem.path}: + white {model.white_m:g} m + "
                    f"correlated {model.correlated_m:g} m over {model.correlation_m:g} m"),
                    synthetic=dem.synthetic)
            paths.append(path)
        out.append(paths)
    return out
