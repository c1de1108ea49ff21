"""``ilrs lighting``: illumination and Earth visibility of a site, and maps over a region."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ilrs.errors import InputError
from ilrs.lighting import lighting_stats, site_lighting
from ilrs.lighting.maps import MapSpec, best_spots, lighting_map, write_map
from ilrs.lighting.visibility import ideal_horizon
from ilrs.report import plot_horizon_tracks, plot_lighting_map, plot_lighting_timeline
from ilrs.sky import Epochs, Site
from ilrs.terrain import as_dems, horizon_profile, site_on_dem

app = typer.Typer(help="Illumination, Earth visibility and lighting maps.", no_args_is_help=True)

DEM = typer.Option(None, "--dem", help="Elevation model; repeat it, finest first.")
START = typer.Option(..., "--start", help="First instant, UTC ISO-8601.")
STOP = typer.Option(..., "--stop", help="Last instant, UTC ISO-8601.")
HEIGHT = typer.Option(2.0, "--height", help="Height above the ground, m.")


class Format(StrEnum):
    table = "table"
    json = "json"


def _run_text(run) -> str:
    if run is None:
        return "none"
    cut = " (cut by the period)" if run.truncated else ""
    return f"{run.days:.2f} d, {run.start_utc} → {run.stop_utc}{cut}"


@app.command("site")
def site(
    lat: float = typer.Option(..., "--lat", help="Latitude, degrees."),
    lon: float = typer.Option(..., "--lon", help="East longitude, degrees."),
    start: str = START,
    stop: str = STOP,
    step: float = typer.Option(3600.0, "--step", help="Step, s."),
    height: float = HEIGHT,
    dem: list[Path] | None = DEM,
    max_range_km: float = typer.Option(300.0, "--max-range-km", help="Horizon reach, km."),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
    png: Path | None = typer.Option(None, "--png", help="Write horizon + timeline PNGs here "
                                    "(NAME.png → NAME.png and NAME-timeline.png)."),
) -> None:
    """Illumination statistics of one site (the ideal sphere without --dem)."""
    console = Console()
    if dem:
        dems = as_dems(dem)
        point = site_on_dem(dems, lat, lon, mast_m=height, name=f"{lat}°, {lon}°")
        horizon = horizon_profile(dems, point, 720, max_range_km * 1000.0)
        horizon_note = f"horizon from {', '.join(str(p) for p in dem)}"
    else:
        point = Site(f"{lat}°, {lon}°", lat, lon, height_m=0.0, mast_m=height)
        horizon = ideal_horizon(point)
        horizon_note = "no --dem: the horizon is the ideal sphere (no terrain)"
    lit = site_lighting(point, Epochs.from_range(start, stop, step), horizon)
    stats = lighting_stats(lit)
    if png is not None:
        plot_horizon_tracks(horizon, png, lit, title=f"{point.name}, {height:g} m above ground")
        plot_lighting_timeline(lit, png.with_name(png.stem + "-timeline.png"))
    if fmt is Format.json:
        typer.echo(json.dumps({"site": point.name, "ground_m": point.height_m,
                               "height_above_ground_m": height, "horizon": horizon_note,
                               **asdict(stats)}, indent=1))
        return
    table = Table("statistic", "value", title=f"{point.name}, {height:g} m above ground")
    rows = [
        ("period", f"{stats.start_utc} → {stats.stop_utc}, every {stats.step_s:g} s"),
        ("Sun: any part visible", f"{stats.sun_any_pct:.2f} %"),
        ("Sun: mean visible fraction", f"{stats.sun_mean_fraction_pct:.2f} %"),
        ("Sun: fully visible", f"{stats.sun_full_pct:.2f} %"),
        ("longest night", _run_text(stats.longest_night)),
        ("longest light", _run_text(stats.longest_light)),
        ("nights", f"{stats.nights} (mean {stats.mean_night_days:.2f} d)"),
        ("Earth: any part visible", f"{stats.earth_any_pct:.2f} %"),
        ("Earth: centre visible", f"{stats.earth_center_pct:.2f} %"),
        ("longest Earth blackout", _run_text(stats.longest_earth_blackout)),
        ("Sun and Earth both", f"{stats.sun_and_earth_pct:.2f} %"),
        ("eclipse darkness", f"{stats.eclipse_dark_hours:.1f} h total, "
                             f"{stats.eclipse_partial_hours:.1f} h partial"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(horizon_note)


@app.command("map")
def map_(
    dem: list[Path] = typer.Option(..., "--dem", help="Elevation model; repeat, finest first."),
    center_lat: float = typer.Option(..., "--center-lat", help="Centre latitude, degrees."),
    center_lon: float = typer.Option(..., "--center-lon", help="Centre longitude, degrees."),
    size_km: float = typer.Option(20.0, "--size-km", help="Side of the square region, km."),
    resolution_m: float = typer.Option(40.0, "--resolution-m", help="Point spacing, m."),
    start: str = START,
    stop: str = STOP,
    step: float = typer.Option(3600.0, "--step", help="Step, s."),
    height: float = HEIGHT,
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="'inline', 'local' (default: a local Dask cluster) or a "
        "Dask scheduler address such as tcp://host:8786."),
    out: Path = typer.Option(..., "--out", help="Map file: .tif (GeoTIFF) or .nc (NetCDF)."),
    png: Path | None = typer.Option(None, "--png", help="PNG map of sun_any_pct."),
    best: int = typer.Option(5, "--best", help="List the N best spots."),
    max_range_km: float = typer.Option(300.0, "--max-range-km", help="Horizon reach, km."),
) -> None:
    """Illumination and Earth-visibility statistics for every point of a region."""
    if out.suffix.lower() not in (".tif", ".tiff", ".nc"):
        raise InputError("--out", str(out), "a .tif or .nc file name")
    spec = MapSpec(center_lat, center_lon, size_km, resolution_m, height,
                   max_range_m=max_range_km * 1000.0)
    ds = lighting_map(dem, spec, start, stop, step, scheduler=scheduler)
    write_map(ds, out)
    spots = best_spots(ds, best, min_separation_m=2 * resolution_m)
    if png is not None:
        plot_lighting_map(ds, png, spots=spots)
    table = Table("#", "lat °", "lon °", "Sun %", "mean disk %", "longest night d", "Earth %",
                  title=f"best {len(spots)} spots ({height:g} m above ground)")
    for i, s in enumerate(spots, start=1):
        table.add_row(str(i), f"{s['lat_deg']:.4f}", f"{s['lon_deg']:.4f}",
                      f"{s['sun_any_pct']:.2f}", f"{s['sun_mean_pct']:.2f}",
                      f"{s['sun_longest_hidden_days']:.2f}", f"{s['earth_any_pct']:.2f}")
    console = Console()
    console.print(table)
    console.print(f"wrote {out}" + (f" and {png}" if png else ""))
