"""``ilrs horizon`` and ``ilrs terrain …``: horizons from elevation models, synthetic terrain."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ilrs.cli import _options as opt

app = typer.Typer(help="Lunar elevation models: synthetic terrain.", no_args_is_help=True)


@app.command("synthetic")
def synthetic(
    out: Path = typer.Option(
        ..., "--out", callback=opt.out_file(".tif", ".tiff", ".npy"),
        help="GeoTIFF (.tif) or .npy (+ .json sidecar) to write."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same terrain)."),
    size_px: int = typer.Option(1024, "--size-px", callback=opt.number(16, 65536),
                                help="Grid side in pixels."),
    pixel_m: float = typer.Option(60.0, "--pixel-m", callback=opt.number(0, low_open=True,
                                  unit="m"), help="Pixel size, metres."),
) -> None:
    """Write deterministic SYNTHETIC south-polar terrain (crater field, Shackleton-like
    crater, ridge) in the LOLA polar stereographic projection."""
    from ilrs.terrain.synthetic import write_synthetic

    path = write_synthetic(out, seed=seed, size_px=size_px, pixel_m=pixel_m)
    Console().print(
        f"wrote SYNTHETIC terrain (seed {seed}, {size_px}² px at {pixel_m:g} m) to {path}",
        highlight=False,
    )


def horizon(
    dem: list[Path] = opt.dem_option(required=True),
    lat: float = typer.Option(..., "--lat", callback=opt.number(-90, 90, unit="degrees"),
                              help="Site latitude, degrees (south negative)."),
    lon: float = typer.Option(..., "--lon", callback=opt.number(),
                              help="Site east longitude, degrees."),
    height_above_ground: float = opt.HEIGHT_ABOVE_GROUND,
    out: Path | None = typer.Option(
        None, "--out", callback=opt.out_file(".csv", ".parquet", ".png"),
        help="Write the profile: .csv, .parquet or .png."
    ),
    n_azimuths: int = typer.Option(720, "--n-azimuths", callback=opt.number(1, 1_000_000),
                                   help="Azimuth bins over 360°."),
    max_range_km: float = opt.MAX_RANGE_KM,
) -> None:
    """Horizon profile of a point: elevation of the terrain horizon per azimuth bin."""
    import numpy as np

    from ilrs.terrain import as_dems, horizon_profile, site_on_dem

    dems = as_dems(dem)
    site = site_on_dem(dems, lat, lon, mast_m=height_above_ground)
    profile = horizon_profile(dems, site, n_azimuths, max_range_km * 1000.0)
    console = Console()
    if any("SYNTHETIC" in line for line in profile.provenance):
        console.print("[bold yellow]SYNTHETIC terrain: not real lunar data[/]")
    j_max = int(np.argmax(profile.elevation_rad))
    j_min = int(np.argmin(profile.elevation_rad))
    console.print(
        f"site {lat}°, {lon}°E: ground {site.height_m:.1f} m above the 1737.4 km sphere, eye "
        f"{height_above_ground:g} m above it\nhorizon: highest {profile.elevation_deg[j_max]:.3f}° "
        f"at azimuth {profile.azimuth_deg[j_max]:.1f}°, lowest {profile.elevation_deg[j_min]:.3f}° "
        f"at {profile.azimuth_deg[j_min]:.1f}°, mean {profile.elevation_deg.mean():.3f}°",
        highlight=False,
    )
    for line in profile.provenance:
        if line.startswith("nodata:"):
            console.print(f"note: {line}", highlight=False)
    short = profile.reach_m < max_range_km * 1000.0 - 1.0
    if short.any():
        console.print(
            f"note: in {int(short.sum())} of {short.size} azimuths the DEMs end before "
            f"{max_range_km:g} km (nearest end {profile.reach_m.min() / 1000:.1f} km)",
            highlight=False,
        )
    if out is not None:
        suffix = out.suffix.lower()
        if suffix == ".png":
            from ilrs.terrain.figure import horizon_figure

            horizon_figure(profile, out)
        elif suffix == ".parquet":
            profile.to_parquet(out)
        else:
            profile.to_csv(out)
        console.print(f"wrote {out}", highlight=False)
