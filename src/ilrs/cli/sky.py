"""``ilrs sky``: Sun, Earth and relay positions from a lunar site, and their events."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ilrs.cli import _options as opt
from ilrs.cli._console import compile_notice, console, progress_bar
from ilrs.cli._options import CsvFormat as Format
from ilrs.errors import InputError

if TYPE_CHECKING:  # the sky engine (numpy, numba) is imported inside the commands
    from ilrs.sky import Epochs, RelayOrbit, Site

app = typer.Typer(
    help="Where the Sun, the Earth and relay satellites are, seen from a lunar site.",
    invoke_without_command=True,
)

COLUMNS = ("utc", "azimuth_deg", "elevation_deg", "distance_km", "angular_radius_deg")
#: A spacecraft is a point at these distances: no angular radius column for the relay.
POINT_COLUMNS = COLUMNS[:-1]
#: The compiled kernels every sky command runs (a notice while they compile the first time).
SKY_KERNELS = ("ilrs.sky._kernels:chebyshev_add", "ilrs.sky._kernels:body_rotation")
#: Instants computed and written at a time (bounded memory, a progress bar for long spans).
CHUNK = 100_000


class Body(StrEnum):
    sun = "sun"
    earth = "earth"
    relay = "relay"


class EventBody(StrEnum):
    sun = "sun"
    earth = "earth"
    relay = "relay"
    eclipse = "eclipse"


class Limb(StrEnum):
    center = "center"
    upper = "upper"


LAT = typer.Option(None, "--lat", callback=opt.number(-90, 90, unit="degrees"),
                   help="Site latitude, degrees (planetocentric, ME frame).")
LON = typer.Option(None, "--lon", callback=opt.number(), help="Site east longitude, degrees.")
GROUND_HEIGHT = typer.Option(0.0, "--ground-height", callback=opt.number(unit="m"),
                             help="Ground height above the 1737.4 km sphere, m.")
OLD_HEIGHT = opt.renamed("--height", "--ground-height", "the ground's height above the "
                         "1737.4 km sphere")
START = typer.Option(None, "--start", callback=opt.utc_instant, metavar="<UTC>",
                     help="First instant, UTC ISO-8601.")
STOP = typer.Option(None, "--stop", callback=opt.utc_instant, metavar="<UTC>",
                    help="Last instant, UTC ISO-8601 (inclusive).")
FORMAT = opt.format_option(Format)


def _site(lat: float | None, lon: float | None, height_m: float) -> Site:
    from ilrs.sky import Site

    if lat is None or lon is None:
        raise InputError("site", "missing --lat/--lon", "both --lat and --lon in degrees")
    return Site("site", lat, lon, height_m=height_m)


def _require(value: str | None, option: str) -> str:
    if value is None:
        raise InputError(option, "missing", f"{option} as a UTC ISO-8601 instant")
    return value


def _epochs(start: str | None, stop: str | None, step_s: float, times: Path | None) -> Epochs:
    from ilrs.sky import Epochs

    if times is not None:
        try:
            lines = [ln.strip() for ln in times.read_text().splitlines()]
        except OSError as exc:
            raise InputError("--times", str(times), f"a readable file ({exc.strerror})") from exc
        return Epochs.from_utc([ln for ln in lines if ln and not ln.startswith("#")])
    return Epochs.from_range(_require(start, "--start"), _require(stop, "--stop"), step_s)


def _progress(total: int, what: str):
    """A progress bar on stderr (terminals only) for more than one chunk of instants."""
    return progress_bar(total, what, enabled=total > CHUNK)


def _target(body: str) -> str | RelayOrbit:
    from ilrs.sky import RelayOrbit

    return RelayOrbit.queqiao2() if body == "relay" else body


@app.callback()
def positions(
    ctx: typer.Context,
    lat: float | None = LAT,
    lon: float | None = LON,
    ground_height: float = GROUND_HEIGHT,
    start: str | None = START,
    stop: str | None = STOP,
    step: float = typer.Option(60.0, "--step", callback=opt.number(0, low_open=True, unit="s"),
                               help="Step between instants, s."),
    times: Path | None = typer.Option(None, "--times", callback=opt.existing_file("file of "
                                      "instants"), help="File of UTC instants, one a line."),
    body: Body = typer.Option(Body.sun, "--body", help="sun, earth or relay (Queqiao-2)."),
    fmt: Format = FORMAT,
    geometric: bool = typer.Option(False, "--geometric", help="No light time or aberration."),
    _old_height: float | None = OLD_HEIGHT,
) -> None:
    """Azimuth (from north through east), elevation, distance and angular radius per instant
    (the relay, a point at these distances, has no angular radius column)."""
    if ctx.invoked_subcommand is not None:
        return
    from ilrs.sky import Sky

    site = _site(lat, lon, ground_height)
    if times is None and start is not None and stop is not None:
        opt.check_period(start, stop)
    epochs = _epochs(start, stop, step, times)
    sky = Sky()
    sky.kernels.check_coverage(epochs.tdb_s, margin_s=1000.0)  # before any line is written
    target = _target(body.value)
    compile_notice(console(stderr=True), *SKY_KERNELS)
    names = POINT_COLUMNS if body is Body.relay else COLUMNS
    rows: list[tuple] = []
    with _progress(len(epochs), f"{body.value} positions") as advance:
        for i in range(0, len(epochs), CHUNK):
            part = epochs[i:i + CHUNK]
            top = sky.topocentric(target, site, part, apparent=not geometric)
            columns = (  # Python floats: repr gives the shortest string that round-trips
                part.utc_iso(3), top.azimuth_deg.tolist(), top.elevation_deg.tolist(),
                top.distance_km.tolist(), top.angular_radius_deg.tolist(),
            )[:len(names)]
            if fmt is Format.csv:
                if i == 0:
                    sys.stdout.write(",".join(names) + "\n")
                sys.stdout.write("".join(
                    ",".join([utc, *(repr(x) for x in rest)]) + "\n"
                    for utc, *rest in zip(*columns, strict=True)))
            else:
                rows.extend(zip(*columns, strict=True))
            advance(len(part))
    if fmt is Format.json:
        typer.echo(json.dumps([dict(zip(names, row, strict=True)) for row in rows], indent=1))
    elif fmt is Format.table:
        from rich.table import Table

        table = Table(*names, title=f"{body.value} from {lat}°, {lon}°")
        for utc, *rest in rows:
            table.add_row(utc, *(f"{x:.6f}" for x in rest))
        console().print(table)


@app.command("events")
def events(
    lat: float | None = LAT,
    lon: float | None = LON,
    ground_height: float = GROUND_HEIGHT,
    start: str | None = START,
    stop: str | None = STOP,
    body: EventBody = typer.Option(EventBody.sun, "--body", help="sun, earth, relay or eclipse."),
    limb: Limb = typer.Option(
        Limb.center, "--limb", help="Rise/set of the disk 'center' or its 'upper' limb."
    ),
    mask: float = typer.Option(0.0, "--mask", callback=opt.number(-90, 90, unit="degrees"),
                               help="Elevation mask, degrees."),
    fmt: Format = FORMAT,
    _old_height: float | None = OLD_HEIGHT,
) -> None:
    """Rise/set, relay AOS/LOS or eclipse contacts, to better than a second."""
    import numpy as np

    from ilrs.sky import Epochs, Sky
    from ilrs.sky.almanac import eclipse_contacts, rise_set

    site = _site(lat, lon, ground_height)
    opt.check_period(_require(start, "--start"), _require(stop, "--stop"))
    first, last = Epochs.from_utc(start), Epochs.from_utc(stop)
    sky = Sky()
    sky.kernels.check_coverage(np.concatenate([first.tdb_s, last.tdb_s]), margin_s=1000.0)
    compile_notice(console(stderr=True), *SKY_KERNELS)
    if body is EventBody.eclipse:
        found = eclipse_contacts(sky, site, first, last)
    else:
        found = rise_set(sky, _target(body.value), site, first, last, limb=limb.value,
                         mask_deg=mask)
    rows = [(e.utc, e.body, e.kind) for e in found]
    if fmt is Format.csv:
        typer.echo("utc,body,event")
        for row in rows:
            typer.echo(",".join(row))
    elif fmt is Format.json:
        typer.echo(json.dumps([dict(zip(("utc", "body", "event"), r, strict=True)) for r in rows]))
    else:
        from rich.table import Table

        table = Table("utc", "body", "event", title=f"{len(rows)} events")
        for row in rows:
            table.add_row(*row)
        console().print(table)
