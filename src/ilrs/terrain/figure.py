"""Horizon figure: a horizon profile drawn as an azimuth–elevation panorama (PNG, Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ilrs.terrain.horizon import HorizonProfile

__all__ = ["horizon_figure"]


def horizon_figure(profile: HorizonProfile, path, *, title: str | None = None) -> Path:
    """Draw the horizon (terrain filled below it) against azimuth 0–360° and save a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    az = np.append(profile.azimuth_deg, 360.0)
    el = np.append(profile.elevation_deg, profile.elevation_deg[0])
    fig = Figure(figsize=(10, 3.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    floor = min(el.min() - 0.5, -1.0)
    ax.fill_between(az, floor, el, color="0.45", lw=0)
    ax.plot(az, el, color="k", lw=0.8)
    ax.axhline(0.0, color="tab:blue", lw=0.6, ls="--", label="local horizontal")
    ax.set_xlim(0, 360)
    ax.set_ylim(floor, max(el.max() + 0.5, 1.0))
    ax.set_xticks(np.arange(0, 361, 45), ["N", "NE", "E", "SE", "S", "SW", "W", "NW", "N"])
    ax.set_xlabel("azimuth (from north through east)")
    ax.set_ylabel("horizon elevation (deg)")
    if title is None and profile.site is not None:
        s = profile.site
        title = (
            f"{s.name}: {s.lat_deg:.4f}°, {s.lon_deg:.4f}°E, ground {s.height_m:.0f} m, "
            f"mast {s.mast_m:g} m"
        )
    synthetic = any("SYNTHETIC" in line for line in profile.provenance)
    ax.set_title(("SYNTHETIC TERRAIN — " if synthetic else "") + (title or "horizon"), fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path
