"""Product files: each product as a GeoTIFF and a NetCDF with units, period and provenance,
and the area table of the permanently shadowed regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ilrs.errors import InputError
from ilrs.lighting.products import PRODUCTS, VARIABLES

__all__ = ["psr_area_table", "write_product_tif_nc"]

#: Latitude limits (degrees, south pole) of the PSR area table.
AREA_LIMITS_DEG = (-89.0, -88.0, -87.0, -86.0, -85.0, -84.0)


def provenance(ds: xr.Dataset) -> str:
    """One line naming what made the product (period, step, DEMs, method)."""
    a = ds.attrs
    return (f"ilrs; {a.get('start_utc')} to {a.get('stop_utc')} every {a.get('step_s'):g} s "
            f"({a.get('epochs')} epochs); {a.get('mast_m'):g} m above ground; horizons of "
            f"{a.get('n_azimuths')} azimuths to {float(a.get('max_range_m', 0)) / 1000:g} km; "
            f"DEMs: {a.get('dems')}; {a.get('method')}")


def product_dataset(ds: xr.Dataset, product: str) -> xr.Dataset:
    """The variables of one product (and their ``_sigma`` when an ensemble made them)."""
    if product not in PRODUCTS:
        raise InputError("product", product, f"one of {', '.join(PRODUCTS)}")
    names = [n for v in PRODUCTS[product] for n in (v, f"{v}_sigma") if n in ds]
    if not names:
        raise InputError("product", product, "a product the dataset holds")
    out = ds[[*names, "lat_deg", "lon_deg"]].copy()
    out.attrs = dict(ds.attrs) | {"product": product, "provenance": provenance(ds)}
    return out


def write_product_tif_nc(ds: xr.Dataset, product: str, stem) -> tuple[Path, Path]:
    """``stem``.tif (one named band per variable, tags: units, period, provenance) and
    ``stem``.nc (CF-style attributes)."""
    import rasterio
    from affine import Affine

    part = product_dataset(ds, product)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    nc = stem.with_suffix(".nc")
    part.to_netcdf(nc, engine="scipy")
    names = [n for n in part.data_vars if n not in ("lat_deg", "lon_deg")]
    res = float(ds.attrs["resolution_m"])
    transform = Affine(res, 0.0, float(ds.x[0]) - res / 2, 0.0, -res, float(ds.y[0]) + res / 2)
    tif = stem.with_suffix(".tif")
    with rasterio.open(tif, "w", driver="GTiff", width=ds.sizes["x"], height=ds.sizes["y"],
                       count=len(names), dtype="float32", crs=ds.attrs["crs"],
                       transform=transform, compress="deflate", nodata=float("nan")) as dst:
        for band, name in enumerate(names, start=1):
            dst.write(part[name].values.astype(np.float32), band)
            dst.set_band_description(band, name)
            base = name.removesuffix("_sigma")
            long_name, units = VARIABLES.get(base, (base, ""))
            if name.endswith("_sigma"):
                long_name = f"ensemble standard deviation of {long_name}"
            dst.update_tags(band, units=units, long_name=long_name)
        dst.update_tags(**{k: str(v) for k, v in part.attrs.items()})
    return tif, nc


def psr_area_table(ds: xr.Dataset, limits_deg=AREA_LIMITS_DEG) -> list[dict]:
    """Per latitude limit: the mapped area poleward of it, the PSR area within it (km²,
    true areas: map cell area / k²) and the PSR share (%); ``complete`` is False when the
    map does not cover the whole cap to that latitude."""
    from ilrs.terrain.projection import PolarStereographic

    if "psr" not in ds:
        raise InputError("PSR area table", sorted(ds.data_vars), "a dataset with 'psr'")
    params = dict(p.lstrip("+").split("=", 1) for p in ds.attrs["crs"].split() if "=" in p)
    projection = PolarStereographic.from_proj_dict(params)
    xx, yy = np.meshgrid(ds.x.values, ds.y.values)
    k = projection.scale_factor(xx, yy)
    cell_km2 = (float(ds.attrs["resolution_m"]) / 1000.0) ** 2 / k**2
    lat = ds.lat_deg.values
    psr = ds.psr.values
    edge = np.concatenate([lat[0], lat[-1], lat[:, 0], lat[:, -1]])
    south = float(np.nanmean(lat)) < 0
    rows = []
    for limit in limits_deg:
        inside = (lat <= limit) if south else (lat >= -limit)
        mapped = inside & np.isfinite(psr)
        area = float(cell_km2[mapped].sum())
        shadow = float(cell_km2[mapped & (psr == 1.0)].sum())
        complete = bool((edge > limit).all()) if south else bool((edge < -limit).all())
        rows.append({"poleward_of_deg": limit, "area_km2": area, "psr_km2": shadow,
                     "psr_pct": 100.0 * shadow / area if area else float("nan"),
                     "complete": complete})
    return rows
