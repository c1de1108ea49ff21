"""``ilrs lighting``: illumination and Earth visibility of a site, and maps over a region."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ilrs.cli import _options as opt
from ilrs.cli._options import Format
from ilrs.errors import InputError

# numpy-heavy layers (lighting, terrain, report, xarray, numba) load inside the commands,
# so that ``ilrs --help`` stays fast.
#: The map products of ``--product`` (kept here, not imported, for a fast ``--help``).
PRODUCT_NAMES = ("sun", "night", "earth", "sun-earth", "psr", "double-shadow")
PRODUCT_HELP = ("Write this product (repeat, or 'all'): " + ", ".join(PRODUCT_NAMES)
                + "; each as GeoTIFF + NetCDF + PNG in --out.")

app = typer.Typer(help="Illumination, Earth visibility and lighting maps.", no_args_is_help=True)

START = typer.Option(..., "--start", callback=opt.utc_instant, metavar="<UTC>",
                     help="First instant, UTC ISO-8601.")
STOP = typer.Option(..., "--stop", callback=opt.utc_instant, metavar="<UTC>",
                    help="Last instant, UTC ISO-8601.")
STEP = typer.Option(3600.0, "--step", callback=opt.number(0, low_open=True, unit="s"),
                    help="Step, s.")
OLD_HEIGHT = opt.renamed("--height", "--height-above-ground", "the mast's height above the "
                         "ground")
ENSEMBLE = typer.Option(0, "--ensemble", callback=opt.number(0, 10_000),
                        help="Also compute every figure on N DEM clones (stated error "
                        "model) and report σ; needs --dem.")
SEED = typer.Option(0, "--seed", help="Seed of the DEM clones.")


def _run_text(run) -> str:
    if run is None:
        return "none"
    cut = " (cut by the period)" if run.truncated else ""
    return f"{run.days:.2f} d, {run.start_utc} → {run.stop_utc}{cut}"


@app.command("site")
def site(
    lat: float = typer.Option(..., "--lat", callback=opt.number(-90, 90, unit="degrees"),
                              help="Latitude, degrees."),
    lon: float = typer.Option(..., "--lon", callback=opt.number(), help="East longitude, "
                              "degrees."),
    start: str = START,
    stop: str = STOP,
    step: float = STEP,
    height: float = opt.HEIGHT_ABOVE_GROUND,
    dem: list[Path] = opt.dem_option(),
    max_range_km: float = opt.MAX_RANGE_KM,
    fmt: Format = opt.format_option(),
    png: Path | None = typer.Option(None, "--png", callback=opt.out_file(".png"),
                                    help="Write horizon + timeline PNGs here "
                                    "(NAME.png → NAME.png and NAME-timeline.png)."),
    ensemble: int = ENSEMBLE,
    seed: int = SEED,
    _old_height: float | None = OLD_HEIGHT,
) -> None:
    """Illumination statistics of one site (the ideal sphere without --dem)."""
    from ilrs.lighting import lighting_stats, site_lighting
    from ilrs.lighting.visibility import ideal_horizon
    from ilrs.report import plot_horizon_tracks, plot_lighting_timeline
    from ilrs.sky import Epochs, Site
    from ilrs.terrain import as_dems, horizon_profile, site_on_dem

    console = Console()
    if ensemble and not dem:
        raise InputError("--ensemble", ensemble, "--dem as well (clones are of a DEM)")
    opt.check_period(start, stop)
    if dem:
        dems = as_dems(dem)
        point = site_on_dem(dems, lat, lon, mast_m=height, name=f"{lat}°, {lon}°")
        horizon = horizon_profile(dems, point, 720, max_range_km * 1000.0)
        horizon_note = f"horizon from {', '.join(str(p) for p in dem)}"
    else:
        point = Site(f"{lat}°, {lon}°", lat, lon, height_m=0.0, mast_m=height)
        horizon = ideal_horizon(point)
        horizon_note = "no --dem: the horizon is the ideal sphere (no terrain)"
    epochs = Epochs.from_range(start, stop, step)
    lit = site_lighting(point, epochs, horizon)
    stats = lighting_stats(lit)
    sigma, model = {}, ""
    if ensemble:
        from ilrs.lighting.ensemble import site_ensemble

        _, sigma, model = site_ensemble(dem, lat, lon, height, epochs, ensemble, seed=seed,
                                        max_range_m=max_range_km * 1000.0)
    if png is not None:
        plot_horizon_tracks(horizon, png, lit, title=f"{point.name}, {height:g} m above ground")
        plot_lighting_timeline(lit, png.with_name(png.stem + "-timeline.png"))
    if fmt is Format.json:
        extra = {"sigma": sigma, "ensemble": ensemble, "error_model": model} if ensemble else {}
        typer.echo(json.dumps({"site": point.name, "ground_m": point.height_m,
                               "height_above_ground_m": height, "horizon": horizon_note,
                               **asdict(stats), **extra}, indent=1))
        return
    def pm(key: str, unit: str, digits: int = 2) -> str:
        return f" ± {sigma[key]:.{digits}f} {unit}" if key in sigma else ""

    table = Table("statistic", "value" + (f" ± σ ({ensemble} clones)" if ensemble else ""),
                  title=f"{point.name}, {height:g} m above ground")
    rows = [
        ("period", f"{stats.start_utc} → {stats.stop_utc}, every {stats.step_s:g} s"),
        ("Sun: any part visible", f"{stats.sun_any_pct:.2f} %" + pm("sun_any_pct", "%")),
        ("Sun: mean visible fraction",
         f"{stats.sun_mean_fraction_pct:.2f} %" + pm("sun_mean_fraction_pct", "%")),
        ("Sun: fully visible", f"{stats.sun_full_pct:.2f} %" + pm("sun_full_pct", "%")),
        ("longest night", _run_text(stats.longest_night) + pm("longest_night_days", "d")),
        ("longest light", _run_text(stats.longest_light) + pm("longest_light_days", "d")),
        ("nights", f"{stats.nights} (mean {stats.mean_night_days:.2f} d)"),
        ("Earth: any part visible", f"{stats.earth_any_pct:.2f} %" + pm("earth_any_pct", "%")),
        ("Earth: centre visible",
         f"{stats.earth_center_pct:.2f} %" + pm("earth_center_pct", "%")),
        ("longest Earth blackout", _run_text(stats.longest_earth_blackout)
         + pm("longest_earth_blackout_days", "d")),
        ("Sun and Earth both", f"{stats.sun_and_earth_pct:.2f} %" + pm("sun_and_earth_pct", "%")),
        ("eclipse darkness", f"{stats.eclipse_dark_hours:.1f} h total, "
                             f"{stats.eclipse_partial_hours:.1f} h partial"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(horizon_note)
    if ensemble:
        console.print(f"σ over {ensemble} DEM clones (seed {seed}); error model: {model}")


@app.command("map")
def map_(
    dem: list[Path] = opt.dem_option(required=True),
    center_lat: float | None = typer.Option(None, "--center-lat", callback=opt.number(
                                            -90, 90, unit="degrees"),
                                            help="Centre latitude, degrees."),
    center_lon: float | None = typer.Option(None, "--center-lon", callback=opt.number(),
                                            help="Centre longitude, degrees."),
    size_km: float = typer.Option(20.0, "--size-km", callback=opt.number(
                                  0, low_open=True, unit="km"),
                                  help="Side of the square region, km."),
    resolution_m: float = typer.Option(40.0, "--resolution-m", callback=opt.number(
                                       0, low_open=True, unit="m"), help="Point spacing, m."),
    start: str = START,
    stop: str = STOP,
    step: float = STEP,
    height: float = opt.HEIGHT_ABOVE_GROUND,
    scheduler: str = opt.scheduler_option("local", "Default: local (tiles in parallel)."),
    out: Path = typer.Option(..., "--out", help="Map file: .tif (GeoTIFF) or .nc (NetCDF); "
                             "with --product, a folder."),
    png: Path | None = typer.Option(None, "--png", callback=opt.out_file(".png"),
                                    help="PNG map of sun_any_pct."),
    best: int = typer.Option(5, "--best", callback=opt.number(0), help="List the N best "
                             "spots."),
    max_range_km: float = opt.MAX_RANGE_KM,
    product: list[str] | None = typer.Option(
        None, "--product", help=PRODUCT_HELP),
    whole: bool = typer.Option(False, "--whole", help="With --product: the whole grid of the "
                               "first DEM (at --resolution-m if coarser) instead of a square."),
    ensemble: int = typer.Option(0, "--ensemble", callback=opt.number(0, 10_000),
                                 help="With --product: also N DEM clones and the per-pixel σ "
                                 "of every product."),
    seed: int = SEED,
    tile_px: int = typer.Option(64, "--tile-px", callback=opt.number(2, 4096),
                                help="Points per tile side (with --product)."),
    work_dir: Path | None = typer.Option(None, "--work-dir", callback=opt.out_folder,
                                         help="Finished tiles are kept here; a rerun resumes "
                                         "(default: OUT/work)."),
    _old_height: float | None = OLD_HEIGHT,
) -> None:
    """Illumination and Earth-visibility statistics for every point of a region."""
    opt.check_period(start, stop)
    if product:
        opt.check_out_folder("--out", out)
        _products(dem, center_lat, center_lon, size_km, resolution_m, start, stop, step,
                  height, scheduler, out, max_range_km, product, whole, ensemble, seed,
                  tile_px, work_dir)
        return
    from ilrs.lighting.maps import MapSpec, best_spots, lighting_map, write_map
    from ilrs.report import plot_lighting_map

    if center_lat is None or center_lon is None:
        raise InputError("--center-lat/--center-lon", None, "a map centre")
    opt.out_file(".tif", ".tiff", ".nc")(None, "--out", out)
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


def _products(dem, center_lat, center_lon, size_km, resolution_m, start, stop, step, height,
              scheduler, out, max_range_km, products, whole, ensemble, seed, tile_px,
              work_dir) -> None:
    """``ilrs lighting map --product …``: the polar products as files, and the PSR table."""
    names = list(PRODUCT_NAMES) if "all" in products else list(dict.fromkeys(products))
    unknown = [p for p in names if p not in PRODUCT_NAMES]
    if unknown:
        raise InputError("--product", unknown[0], f"one of {', '.join(PRODUCT_NAMES)} or all")
    if out.suffix:
        raise InputError("--out", str(out), "a folder (no extension) with --product")
    from ilrs.lighting.ensemble import product_ensemble
    from ilrs.lighting.product_files import psr_area_table
    from ilrs.lighting.products import ProductGrid, bodies_for, polar_products
    from ilrs.report.lighting import write_product_files
    from ilrs.terrain import as_dems

    first = as_dems(dem[:1])[0]
    if whole:
        grid = ProductGrid.of_dem(first, resolution_m if resolution_m > first.pixel_m else None)
    elif center_lat is None or center_lon is None:
        raise InputError("--center-lat/--center-lon", None, "a map centre (or --whole)")
    else:
        grid = ProductGrid.square(first, center_lat, center_lon, size_km, resolution_m)
    kwargs = {"mast_m": height, "max_range_m": max_range_km * 1000.0, "tile_px": tile_px,
              "scheduler": scheduler, "double_shadow": "double-shadow" in names,
              "bodies": bodies_for(names)}
    work = work_dir or out / "work"
    if ensemble:
        ds = product_ensemble(dem, grid, start, stop, step, ensemble, seed=seed,
                              work_dir=work, **kwargs)
    else:
        ds = polar_products(dem, grid, start, stop, step, work_dir=work, **kwargs)
    written = write_product_files(ds, names, out)
    console = Console()
    if "psr" in names:
        table = Table("poleward of", "mapped km²", "PSR km²", "PSR %", "cap covered",
                      title=f"permanently shadowed regions, {start} → {stop}")
        for row in psr_area_table(ds):
            limit = row["poleward_of_deg"]
            table.add_row(f"{abs(limit):g}° {'S' if limit < 0 else 'N'}", f"{row['area_km2']:,.1f}",
                          f"{row['psr_km2']:,.1f}", f"{row['psr_pct']:.2f}",
                          "yes" if row["complete"] else "partly")
        console.print(table)
    console.print(f"{grid.shape[0]} × {grid.shape[1]} points; wrote {len(written)} files "
                  f"in {out}" + (f" (σ from {ensemble} DEM clones)" if ensemble else ""))
