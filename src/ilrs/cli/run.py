"""``ilrs run``: the main job on the built-in reference scenario (for now: the sky report)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ilrs.report import write_sky_report
from ilrs.sky import REFERENCE_SITE


def run(
    out: Path = typer.Option(Path("out/reference"), "--out", help="Output folder."),
    year: int = typer.Option(2030, "--year", help="Calendar year of the sky report."),
    step: float = typer.Option(60.0, "--step", help="Time step, s."),
) -> None:
    """Run the reference scenario and write its report under ``--out``."""
    console = Console()
    with console.status(f"sky of {REFERENCE_SITE.name} over {year} at {step:g} s steps"):
        summary = write_sky_report(REFERENCE_SITE, year, out, step)
    console.print(f"[bold]{summary.site}[/] ({summary.lat_deg}°, {summary.lon_deg}°E), {year}:")
    console.print(
        f"  Sun centre above the mathematical horizon "
        f"{100 * summary.sun_center_above_horizon_fraction:.1f} % of the time "
        f"(elevation {summary.sun_elevation_min_deg:+.2f}° … {summary.sun_elevation_max_deg:+.2f}°)"
    )
    console.print(
        "  Earth centre above the horizon "
        f"{100 * summary.earth_center_above_horizon_fraction:.1f} %"
        f" (elevation {summary.earth_elevation_min_deg:+.2f}° … "
        f"{summary.earth_elevation_max_deg:+.2f}°)"
    )
    for eclipse in summary.eclipses:
        console.print(
            "  eclipse: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in eclipse.items())
        )
    console.print(f"  wrote {out / 'report.html'}, {out / 'sky-tracks.png'}, "
                  f"{out / 'sky-summary.json'}")
