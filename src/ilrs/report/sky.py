"""The sky report of a site over a year: Sun and Earth time above the horizon, eclipses, tracks.

A JSON summary, a PNG of the Sun's and Earth's tracks in the site's sky over one month, and
a one-page HTML. Given the site's terrain horizon (a :class:`HorizonProfile`), "above the
horizon" means above the terrain and the tracks are drawn against it; without one, against
the mathematical horizon (0°).
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ilrs.sky import Epochs, Site, Sky, eclipse_contacts

MATHEMATICAL = "mathematical horizon (0°)"


@dataclass(frozen=True)
class SkySummary:
    """What a year of sky looks like from one site (fractions 0–1, times UTC)."""

    site: str
    lat_deg: float
    lon_deg: float
    height_m: float
    start_utc: str
    stop_utc: str
    step_s: float
    sun_center_above_horizon_fraction: float
    sun_any_part_above_horizon_fraction: float
    earth_center_above_horizon_fraction: float
    sun_elevation_min_deg: float
    sun_elevation_max_deg: float
    earth_elevation_min_deg: float
    earth_elevation_max_deg: float
    eclipses: list[dict[str, str]]
    horizon: str = MATHEMATICAL


def sky_summary(
    site: Site, start_utc: str, stop_utc: str, step_s: float = 60.0, sky: Sky | None = None,
    horizon=None, horizon_name: str = "terrain horizon",
) -> SkySummary:
    """Sun and Earth above the horizon over a period, and the eclipses in it: the terrain
    ``horizon`` (a ``HorizonProfile``) if given, else the mathematical one."""
    sky = sky or Sky()
    epochs = Epochs.from_range(start_utc, stop_utc, step_s)
    sun = sky.topocentric("sun", site, epochs)
    earth = sky.topocentric("earth", site, epochs)
    sun_h = 0.0 if horizon is None else horizon.elevation_at(sun.azimuth_rad)
    earth_h = 0.0 if horizon is None else horizon.elevation_at(earth.azimuth_rad)
    contacts = eclipse_contacts(sky, site, epochs[:1], epochs[-1:])
    eclipses: list[dict[str, str]] = []
    for event in contacts:
        if event.kind == "partial_begin" or not eclipses:
            eclipses.append({})
        eclipses[-1][event.kind] = event.utc
    return SkySummary(
        site=site.name, lat_deg=site.lat_deg, lon_deg=site.lon_deg, height_m=site.height_m,
        start_utc=start_utc, stop_utc=stop_utc, step_s=step_s,
        sun_center_above_horizon_fraction=float(np.mean(sun.elevation_rad > sun_h)),
        sun_any_part_above_horizon_fraction=float(
            np.mean(sun.elevation_rad + sun.angular_radius_rad > sun_h)
        ),
        earth_center_above_horizon_fraction=float(np.mean(earth.elevation_rad > earth_h)),
        sun_elevation_min_deg=float(sun.elevation_deg.min()),
        sun_elevation_max_deg=float(sun.elevation_deg.max()),
        earth_elevation_min_deg=float(earth.elevation_deg.min()),
        earth_elevation_max_deg=float(earth.elevation_deg.max()),
        eclipses=eclipses,
        horizon=MATHEMATICAL if horizon is None else horizon_name,
    )


def plot_sky_tracks(
    site: Site, start_utc: str, stop_utc: str, path: Path, step_s: float = 600.0,
    sky: Sky | None = None, horizon=None, horizon_name: str = "terrain horizon",
    other_horizons: tuple = (),
) -> Path:
    """PNG of the Sun's and Earth's elevation against azimuth over a period, against the
    terrain ``horizon`` (a ``HorizonProfile``, shaded) if given, else the mathematical one;
    ``other_horizons`` are (label, profile) pairs drawn as lines (e.g. another mast)."""
    sky = sky or Sky()
    epochs = Epochs.from_range(start_utc, stop_utc, step_s)
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    for body, colour in (("sun", "tab:orange"), ("earth", "tab:blue")):
        top = sky.topocentric(body, site, epochs)
        ax.scatter(top.azimuth_deg, top.elevation_deg, s=1.5, color=colour, label=body.title())
    ax.axhline(0.0, color="k", lw=0.6, ls=":", label=MATHEMATICAL)
    if horizon is not None:
        az = np.append(horizon.azimuth_deg, 360.0)
        el = np.append(horizon.elevation_deg, horizon.elevation_deg[0])
        low, high = ax.get_ylim()
        low = min(low, float(el.min()) - 1.0)
        ax.fill_between(az, el, low, color="0.55", alpha=0.6, lw=0, label=horizon_name)
        ax.plot(az, el, color="0.25", lw=0.8)
        ax.set_ylim(low, max(high, float(el.max()) + 1.0))
    for (label, other), style in zip(other_horizons, ("--", "-.", ":"), strict=False):
        ax.plot(np.append(other.azimuth_deg, 360.0),
                np.append(other.elevation_deg, other.elevation_deg[0]), color="0.1", lw=0.9,
                ls=style, label=label)
    ax.set(
        xlim=(0, 360), xticks=range(0, 361, 45), xlabel="azimuth (° from north through east)",
        ylabel="elevation (°)",
        title=f"{site.name} ({site.lat_deg}°, {site.lon_deg}°E): {start_utc[:10]} – {stop_utc[:10]}"
        f"\nagainst the {MATHEMATICAL if horizon is None else horizon_name}",
    )
    ax.legend(loc="upper right", markerscale=6)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_sky_report(site: Site, year: int, out_dir: Path, step_s: float = 60.0) -> SkySummary:
    """Summary JSON, month track PNG and an HTML page for ``site`` over calendar ``year``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sky = Sky()
    summary = sky_summary(site, f"{year}-01-01T00:00:00", f"{year}-12-31T23:59:00", step_s, sky)
    (out_dir / "sky-summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    png = plot_sky_tracks(
        site, f"{year}-01-01T00:00:00", f"{year}-01-31T23:50:00", out_dir / "sky-tracks.png",
        sky=sky,
    )
    rows = "".join(
        f"<tr><td>{html.escape(k.replace('_', ' '))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in asdict(summary).items() if k != "eclipses"
    )
    eclipse_rows = "".join(
        "<tr>" + "".join(f"<td>{e.get(k, '—')}</td>" for k in
                         ("partial_begin", "total_begin", "total_end", "partial_end")) + "</tr>"
        for e in summary.eclipses
    )
    image = base64.b64encode(png.read_bytes()).decode()
    (out_dir / "report.html").write_text(
        "<!doctype html><meta charset=utf-8><title>ilrs sky report</title>"
        f"<h1>Sky of {html.escape(site.name)} in {year}</h1><table>{rows}</table>"
        "<h2>Eclipses (Earth over the Sun)</h2><table><tr><th>partial begin</th>"
        f"<th>total begin</th><th>total end</th><th>partial end</th></tr>{eclipse_rows}</table>"
        f"<h2>Sun and Earth tracks, January</h2><img src='data:image/png;base64,{image}'>\n"
    )
    return summary
