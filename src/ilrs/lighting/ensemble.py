"""Uncertainty of lighting figures from an ensemble of DEM clones
(:mod:`ilrs.terrain.clones`): every product and site figure is computed on the nominal DEMs
and on ``n`` clones; σ is the clones' standard deviation (Barker et al. 2021's approach)."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import xarray as xr

from ilrs.lighting.products import ProductGrid, polar_products
from ilrs.lighting.stats import lighting_stats
from ilrs.lighting.visibility import site_lighting
from ilrs.sky import Epochs
from ilrs.terrain import as_dems, horizon_profile, site_on_dem
from ilrs.terrain.clones import ErrorModel, make_clones

__all__ = ["product_ensemble", "site_ensemble"]

#: Product variables that get a σ (PSR and double shadows are 0/1: their σ is the
#: ensemble's disagreement).
SIGMA_OF = ("sun_any_pct", "sun_mean_pct", "longest_night_days", "earth_any_pct",
            "longest_blackout_days", "sun_and_earth_pct", "psr", "double_shadow")


def _models_note(dems) -> str:
    return "; ".join(
        f"{Path(d.path).name}: white {m.white_m:g} m + correlated {m.correlated_m:g} m over "
        f"{m.correlation_m:g} m" for d in as_dems(dems) for m in [ErrorModel.for_pixel(d.pixel_m)])


def product_ensemble(dems, grid: ProductGrid, start_utc: str, stop_utc: str,
                     step_s: float, n: int, *, seed: int = 0, work_dir=None,
                     **kwargs) -> xr.Dataset:
    """:func:`polar_products` on the DEMs plus ``<variable>_sigma`` from ``n`` clones."""
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="ilrs-ensemble-"))
    nominal = polar_products(dems, grid, start_utc, stop_utc, step_s, work_dir=work, **kwargs)
    members = [polar_products(paths, grid, start_utc, stop_utc, step_s, work_dir=work,
                              **kwargs)
               for paths in make_clones(dems, n, work / "clones", seed=seed)]
    for name in SIGMA_OF:
        if name in nominal:
            stack = np.stack([m[name].values for m in members])
            nominal[f"{name}_sigma"] = (("y", "x"), stack.std(axis=0, ddof=1 if n > 1 else 0))
            nominal[f"{name}_sigma"].attrs.update(units=nominal[name].attrs.get("units", ""))
    nominal.attrs.update(ensemble=int(n), ensemble_seed=int(seed),
                         error_model=_models_note(dems))
    return nominal


def site_ensemble(dems, lat_deg: float, lon_deg: float, mast_m: float, epochs: Epochs,
                  n: int, *, seed: int = 0, max_range_m: float = 300_000.0,
                  work_dir=None) -> tuple[dict, dict, str]:
    """A site's statistics on the DEMs, their σ over ``n`` clones (numeric fields only)
    and the error model used."""
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="ilrs-ensemble-"))

    def figures(paths) -> dict:
        point = site_on_dem(paths, lat_deg, lon_deg, mast_m=mast_m, name="site")
        horizon = horizon_profile(paths, point, 720, max_range_m)
        stats = asdict(lighting_stats(site_lighting(point, epochs, horizon)))
        for key in ("longest_night", "longest_light", "longest_earth_blackout"):
            run = stats.pop(key, None)
            stats[f"{key}_days"] = run["days"] if run else 0.0
        return {k: float(v) for k, v in stats.items()
                if isinstance(v, int | float) and not isinstance(v, bool)}

    nominal = figures(as_dems(dems))
    runs = [figures(paths) for paths in make_clones(dems, n, work / "clones", seed=seed)]
    sigma = {k: float(np.std([r[k] for r in runs], ddof=1 if n > 1 else 0)) for k in nominal}
    return nominal, sigma, _models_note(dems)
