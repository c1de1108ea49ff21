"""Lighting figures: a horizon with the Sun's and Earth's tracks, a map, a timeline."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ilrs.lighting import SiteLighting
from ilrs.terrain import HorizonProfile

SYNTHETIC_NOTE = "SYNTHETIC terrain — not real lunar data"
#: Readable names of the map statistics.
MAP_LABELS = {
    "sun_any_pct": "Sun in view (% of time)",
    "sun_mean_pct": "mean visible solar disk (%)",
    "sun_full_pct": "whole Sun in view (% of time)",
    "sun_longest_hidden_days": "longest night (days)",
    "earth_any_pct": "Earth in view (% of time)",
    "earth_longest_hidden_days": "longest Earth blackout (days)",
}


def _nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``limit``."""
    power = 10 ** np.floor(np.log10(limit))
    return max(m * power for m in (1, 2, 5) if m * power <= limit)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_horizon_tracks(horizon: HorizonProfile, path: Path,
                        lighting: SiteLighting | None = None, title: str = "") -> Path:
    """Polar plot: azimuth clockwise from north, radius = elevation (°); terrain shaded,
    Sun and Earth centre tracks over the lighting period."""
    fig = plt.figure(figsize=(7.5, 7.5), layout="constrained")
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    az = np.append(horizon.azimuth_rad, horizon.azimuth_rad[0] + 2 * np.pi)
    el = np.degrees(np.append(horizon.elevation_rad, horizon.elevation_rad[0]))
    tracks = []
    if lighting is not None:
        stride = max(1, len(lighting.epochs) // 20_000)
        tracks = [("Sun", "tab:orange", lighting.sun_azimuth_rad[::stride],
                   np.degrees(lighting.sun_elevation_rad[::stride])),
                  ("Earth", "tab:blue", lighting.earth_azimuth_rad[::stride],
                   np.degrees(lighting.earth_elevation_rad[::stride]))]
    values = np.concatenate([el] + [t[3] for t in tracks])
    r_min = float(np.floor(values.min())) - 1.0
    r_max = float(np.ceil(values.max())) + 1.0
    ax.set_rorigin(r_min - 0.15 * (r_max - r_min))
    ax.set_rlim(r_min, r_max)
    ax.fill_between(az, r_min, el, color="0.45", alpha=0.6, label="terrain")
    ax.plot(az, el, color="0.2", lw=1.0)
    for label, colour, t_az, t_el in tracks:
        ax.scatter(t_az, t_el, s=0.6, color=colour, label=f"{label} centre")
    ax.set_rlabel_position(135)
    ax.text(np.radians(135), r_max, "elevation (°)", fontsize=8, ha="left")
    ax.legend(loc="lower left", bbox_to_anchor=(-0.1, -0.08), markerscale=8, fontsize=8)
    notes = [p for p in horizon.provenance if "SYNTHETIC" in p]
    ax.set_title((title or "Horizon") + ("\n" + SYNTHETIC_NOTE if notes else ""), fontsize=10)
    return _save(fig, path)


def plot_lighting_map(ds: xr.Dataset, path: Path, variable: str = "sun_any_pct",
                      spots: list[dict] | None = None) -> Path:
    """A map of one statistic with a colour bar, a scale in km and the best spots."""
    fig, ax = plt.subplots(figsize=(8, 7), layout="constrained")
    x_km, y_km = ds.x.values / 1000.0, ds.y.values / 1000.0
    image = ax.imshow(ds[variable].values, origin="upper", cmap="inferno",
                      extent=(x_km[0], x_km[-1], y_km[-1], y_km[0]))
    label = MAP_LABELS.get(variable, variable.replace("_", " "))
    fig.colorbar(image, ax=ax, shrink=0.85, label=label)
    ax.set(xlabel="polar stereographic x (km)", ylabel="polar stereographic y (km)",
           aspect="equal")
    width = x_km[-1] - x_km[0]
    bar = _nice_length(max(width / 4, 1e-3))
    x0, y0 = x_km[0] + 0.05 * width, y_km[-1] + 0.06 * (y_km[0] - y_km[-1])
    ax.plot([x0, x0 + bar], [y0, y0], color="white", lw=3)
    ax.text(x0 + bar / 2, y0, f"{bar:g} km\n", color="white", ha="center", va="bottom")
    for i, spot in enumerate(spots or [], start=1):
        ax.plot(spot["x_m"] / 1000, spot["y_m"] / 1000, "c+", ms=10, mew=2)
        ax.text(spot["x_m"] / 1000, spot["y_m"] / 1000, f" {i}", color="cyan", fontsize=9)
    title = (f"{label}, {ds.attrs.get('start_utc', '')[:10]} – "
             f"{ds.attrs.get('stop_utc', '')[:10]}, {ds.attrs.get('mast_m', 0):g} m above ground")
    if int(ds.attrs.get("synthetic", 0)):
        title += "\n" + SYNTHETIC_NOTE
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_lighting_timeline(lit: SiteLighting, path: Path, title: str = "") -> Path:
    """Visible solar-disk fraction over time, Earth-contact band and eclipses."""
    t = lit.epochs.utc_datetime64()
    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    ax.fill_between(t, 0, lit.sun_terrain_fraction, color="gold", step="mid",
                    label="Sun visible (terrain)")
    ax.fill_between(t, 0, lit.sun_fraction, color="darkorange", step="mid",
                    label="Sun visible (with eclipses)")
    ax.fill_between(t, -0.12, -0.02, where=lit.earth_fraction > 0, color="tab:blue",
                    step="mid", label="Earth in view")
    eclipse = lit.eclipse_hidden_fraction > 0
    if eclipse.any():
        ax.plot(t[eclipse], np.full(eclipse.sum(), 1.05), "k|", ms=8, label="eclipse")
    ax.set(ylim=(-0.15, 1.12), ylabel="visible fraction of the disk",
           title=title or f"{lit.site.name}: light and Earth contact")
    ax.legend(loc="upper left", ncols=4, fontsize=8)
    return _save(fig, path)


#: Colour maps of the product variables (shadows dark, light bright).
PRODUCT_CMAPS = {"psr": "Blues", "double_shadow": "Purples", "longest_night_days": "magma_r",
                 "longest_blackout_days": "magma_r"}


def plot_product(ds: xr.Dataset, variable: str, path: Path) -> Path:
    """One product variable as a map: colour bar with units, period in the title,
    provenance under the map, scale bar in km."""
    from ilrs.lighting.product_files import provenance
    from ilrs.lighting.products import VARIABLES

    base = variable.removesuffix("_sigma")
    long_name, units = VARIABLES.get(base, (base, ""))
    if variable.endswith("_sigma"):
        long_name = f"σ (ensemble) of {long_name}"
    fig, ax = plt.subplots(figsize=(8, 7.6), layout="constrained")
    x_km, y_km = ds.x.values / 1000.0, ds.y.values / 1000.0
    values = ds[variable].values
    cmap = PRODUCT_CMAPS.get(base, "inferno") if not variable.endswith("_sigma") else "viridis"
    image = ax.imshow(values, origin="upper", cmap=cmap, interpolation="nearest",
                      extent=(x_km[0], x_km[-1], y_km[-1], y_km[0]))
    bar_label = "1 = yes, 0 = no" if units == "1" else units
    fig.colorbar(image, ax=ax, shrink=0.8, label=f"{long_name} ({bar_label})")
    ax.set(xlabel="polar stereographic x (km)", ylabel="polar stereographic y (km)",
           aspect="equal")
    width = x_km[-1] - x_km[0]
    bar = _nice_length(max(width / 4, 1e-3))
    x0, y0 = x_km[0] + 0.05 * width, y_km[-1] + 0.06 * (y_km[0] - y_km[-1])
    ink = "black" if cmap in ("Blues", "Purples") else "white"  # light-low colour maps
    ax.plot([x0, x0 + bar], [y0, y0], color=ink, lw=3)
    ax.text(x0 + bar / 2, y0, f"{bar:g} km\n", color=ink, ha="center", va="bottom")
    title = (f"{long_name}\n{ds.attrs.get('start_utc', '')[:10]} – "
             f"{ds.attrs.get('stop_utc', '')[:10]}, every {ds.attrs.get('step_s', 0) / 3600:g} h, "
             f"{ds.attrs.get('mast_m', 0):g} m above ground")
    if int(ds.attrs.get("synthetic", 0)):
        title += "\n" + SYNTHETIC_NOTE
    ax.set_title(title, fontsize=10)
    fig.get_layout_engine().set(rect=(0.0, 0.07, 1.0, 0.93))  # room for the provenance
    fig.text(0.01, 0.005, "\n".join(_wrap(provenance(ds), 150)), fontsize=5.5, va="bottom",
             color="0.35")
    return _save(fig, path)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def write_product_files(ds: xr.Dataset, products, out_dir, stem: str = "polar") -> list[Path]:
    """Each product as ``stem-product``.tif, .nc and one PNG per variable (colour bar,
    units, period, provenance); returns the paths written."""
    from ilrs.lighting.product_files import product_dataset, write_product_tif_nc

    out_dir = Path(out_dir)
    written = []
    for product in products:
        part = product_dataset(ds, product)
        written += write_product_tif_nc(ds, product, out_dir / f"{stem}-{product}")
        for name in part.data_vars:
            if name not in ("lat_deg", "lon_deg"):
                suffix = "" if name == next(iter(part.data_vars)) else f"-{name}"
                written.append(plot_product(ds, name, out_dir / f"{stem}-{product}{suffix}.png"))
    return written
