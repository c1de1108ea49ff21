"""``ilrs campaign``: show, validate, chart and analyse the ILRS campaign roadmap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ilrs.cli import _options as opt
from ilrs.cli._console import console as _console
from ilrs.cli._options import Format
from ilrs.errors import CampaignValidationError

if TYPE_CHECKING:  # the campaign layer (pydantic, scipy, matplotlib) loads inside commands
    from ilrs.campaign import Roadmap

app = typer.Typer(
    help="The ILRS campaign: roadmap, vehicles, payloads, partners, capacity and schedule risk.",
    no_args_is_help=True,
)


_FILE_HELP = ("Roadmap or campaign scenario YAML, or a station scenario (its campaign); "
              "default: the built-in roadmap.")
FILE = typer.Option(None, "--file", "-f", callback=opt.existing_file("YAML file"),
                    help=_FILE_HELP)
FORMAT = opt.format_option()
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
#: Keys only a station scenario (``ilrs run``) has at its top level, never a roadmap.
STATION_KEYS = frozenset({"period", "site", "solar_arrays", "rtgs", "fission_units",
                          "batteries", "rfcs", "thermal", "comms", "isru", "rovers",
                          "payloads", "crew", "fdir", "faults", "output", "campaign"})


def station_scenario(path: Path) -> bool:
    """Whether ``path`` is a station scenario (``extends: reference`` or a key only a
    station scenario has) rather than a roadmap or a campaign scenario."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # the roadmap loader reports what is wrong with the file
    if not isinstance(data, dict):
        return False
    return data.get("extends") == "reference" or bool(STATION_KEYS & set(data))


def _load(path: Path | None) -> Roadmap:
    """The built-in roadmap, a roadmap or campaign scenario file, or the campaign of a
    station scenario (its roadmap with its overrides; a note on stderr says so)."""
    from ilrs.campaign import Roadmap

    if path is None:
        return Roadmap.load_builtin()
    if not station_scenario(path):
        return Roadmap.load(path)
    from ilrs.station import load_scenario
    from ilrs.station.twin import load_roadmap_for

    scenario = load_scenario(path)
    base = scenario.campaign.file or "the built-in roadmap"
    with_overrides = " with its overrides" if scenario.campaign.overrides else ""
    _console(stderr=True).print(
        f"note: {path} is a station scenario (`ilrs run {path}` simulates it); this is its "
        f"campaign: {base}{with_overrides}", markup=False, highlight=False)
    return load_roadmap_for(scenario)


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=1, ensure_ascii=False))


def mission_rows(roadmap: Roadmap) -> list[dict]:
    """Missions as plain dicts (the ``--format json`` output of ``show``)."""
    rows = []
    for m in roadmap.missions:
        rows.append({
            "id": m.id,
            "name": m.name,
            "agency": m.agency,
            "phase": m.phase,
            "status": str(m.status),
            "vehicle": m.vehicle,
            "mass_kg": m.mass_kg.value if m.mass_kg else None,
            "launch": m.launch_date,
            "first_announced": m.first_announced_date,
            "landing": roadmap.landing_date(m),
            "dates": [d.model_dump(exclude_none=True) for d in m.dates],
            "facilities": list(m.facilities),
            "payloads": len(m.payloads),
        })
    return rows


@app.command()
def show(
    file: Path | None = FILE,
    phase: list[str] = typer.Option([], "--phase", help="Only these phases or stages."),
    agency: list[str] = typer.Option([], "--agency", help="Only these agencies."),
    fmt: Format = FORMAT,
) -> None:
    """List the missions of the roadmap."""
    roadmap = _load(file)
    rows = mission_rows(roadmap)
    if phase:
        rows = [r for r in rows if r["phase"] in phase or r["phase"].split("-")[0] in phase]
    if agency:
        wanted = {a.lower() for a in agency}
        rows = [r for r in rows if wanted & {x.lower() for x in r["agency"].split("/")}]
    if fmt is Format.json:
        _echo_json(rows)
        return
    from rich.table import Table

    table = Table(title=roadmap.name)
    for col in ("id", "agency", "phase", "vehicle", "mass kg", "launch", "first announced",
                "landing", "status", "facilities"):
        table.add_column(col)
    for r in rows:
        mass = f"{r['mass_kg']:,.0f}" if r["mass_kg"] is not None else "—"
        slipped = r["first_announced"] != r["launch"]
        table.add_row(r["id"], r["agency"], r["phase"], r["vehicle"], mass, r["launch"],
                      f"[yellow]{r['first_announced']}[/]" if slipped else r["first_announced"],
                      r["landing"], r["status"], ", ".join(r["facilities"]))
    _console(min_width=150).print(table)


@app.command("validate")
def validate_cmd(
    file: Path | None = typer.Argument(None, callback=opt.existing_file("YAML file"),
                                       help=_FILE_HELP),
    fmt: Format = FORMAT,
) -> None:
    """Check the roadmap; exits 1 when there are error findings."""
    from rich.table import Table

    from ilrs.campaign import validate

    findings = validate(_load(file))
    if fmt is Format.json:
        _echo_json([f.to_dict() for f in findings])
    else:
        table = Table(title="campaign findings")
        for col in ("severity", "code", "mission", "message"):
            table.add_column(col, overflow="fold")
        for f in findings:
            style = _SEVERITY_STYLE[f.severity]
            table.add_row(f"[{style}]{f.severity}[/]", f.code, f.mission or "", f.message)
        _console(min_width=140).print(table)
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        typer.echo(", ".join(f"{n} {s}(s)" for s, n in counts.items()))
    n_errors = sum(f.severity == "error" for f in findings)
    if n_errors:
        # an IlrsError: ilrs.cli.main prints it as one line and exits 1
        raise CampaignValidationError(str(file or "built-in roadmap"), n_errors)


@app.command()
def gantt(
    file: Path | None = FILE,
    out: Path = typer.Option(Path("out/campaign/gantt.png"), "--out", "-o",
                             callback=opt.out_file(".png", ".svg", ".html"),
                             help="Output .png/.svg/.html."),
) -> None:
    """Draw the missions on a timeline (phase colours, status, slip arrows)."""
    from ilrs.campaign.gantt import write_gantt

    path = write_gantt(_load(file), out)
    typer.echo(f"wrote {path}")


@app.command()
def risk(
    file: Path | None = FILE,
    trials: int = typer.Option(100_000, "--trials", "-n", callback=opt.number(1, 1e9),
                               help="Monte Carlo trials."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same result)."),
    widen: float = typer.Option(1.0, "--widen", callback=opt.number(0, low_open=True),
                                help="Multiply every fitted slip rate."),
    scheduler: str = opt.scheduler_option("inline", "Default: inline (about a million "
                                          "trials a second on one core)."),
    workers: int | None = typer.Option(None, "--workers", callback=opt.number(1, 1024),
                                       help="Workers of a local cluster."),
    png: Path | None = typer.Option(
        None, "--png", "--hist", callback=opt.out_file(".png"),
        help="Also write a histogram of completion dates (PNG)."
    ),
    fmt: Format = FORMAT,
) -> None:
    """Monte Carlo of launch slips: P10/P50/P90 dates and basic-model completion."""
    from rich.table import Table

    from ilrs.campaign import schedule_risk
    from ilrs.campaign.riskplot import write_histogram

    result = schedule_risk(
        _load(file), trials=trials, seed=seed, widen=widen, scheduler=scheduler,
        progress=fmt is Format.table, n_workers=workers,
    )
    if png is not None:
        write_histogram(result, png)
    if fmt is Format.json:
        _echo_json(result.to_dict())
        return
    table = Table(title=f"launch-slip Monte Carlo: {trials:,} trials, seed {seed}")
    for col in ("mission", "status", "P10 launch", "P50 launch", "P90 launch", "P50 arrival"):
        table.add_column(col)
    for r in result.mission_percentiles():
        table.add_row(r["mission"], r["status"], r["p10_launch"], r["p50_launch"],
                      r["p90_launch"], r["p50_arrival"])
    console = _console(min_width=120)
    console.print("slip per day of lead time, fitted from the announcement history:")
    for key, m in result.models.items():
        console.print(f"  {'pooled' if key == '*' else key}: {m.n_observations} observations, "
                      f"{m.p_on_time:.0%} on time, median {m.median_rate:.2f} d/d")
    console.print(table)
    for v in result.vehicle_percentiles():
        console.print(f"{v['vehicle']} first flight: P10 {v['p10_first_flight']}, "
                      f"P50 {v['p50_first_flight']}, P90 {v['p90_first_flight']}")
    completion = ", ".join(f"{k} {v}" for k, v in result.completion_percentiles().items())
    console.print(f"basic model complete: {completion}")
    console.print(f"P(basic model complete by {result.due}) = {result.p_basic_by_due:.1%}")
    if png is not None:
        console.print(f"histogram: {png}")


@app.command()
def moe(file: Path | None = FILE, fmt: Format = FORMAT) -> None:
    """Measures of effectiveness: surface mass, capacity use, partner payloads, facilities."""
    from rich.table import Table

    from ilrs.campaign import measures_of_effectiveness

    measures = measures_of_effectiveness(_load(file))
    if fmt is Format.json:
        _echo_json(measures.to_dict())
        return
    console = _console(min_width=120)
    table = Table(title="measures of effectiveness by year of arrival")
    for col in ("year", "surface payload mass kg", "partner payloads", "facilities in place"):
        table.add_column(col, justify="right")
    years = sorted({*measures.surface_mass_kg_by_year, *measures.partner_payloads_by_year,
                    *measures.facilities_by_year})
    for y in years:
        table.add_row(str(y), f"{measures.surface_mass_kg_by_year.get(y, 0.0):,.0f}",
                      str(measures.partner_payloads_by_year.get(y, 0)),
                      str(measures.facilities_by_year.get(y, "")))
    console.print(table)
    by_function = Table(title="surface payload mass by ILRS function, kg")
    by_function.add_column("function")
    by_function.add_column("total kg", justify="right")
    for name, series in measures.surface_mass_kg_by_function.items():
        by_function.add_row(name, f"{sum(series.values()):,.0f}")
    console.print(by_function)
    util = ", ".join(f"{k} {v:.0%}" for k, v in measures.utilization_by_mission.items())
    overall = measures.utilization_overall
    console.print(f"launch-capacity utilization: overall {overall:.0%} ({util})")
    console.print(f"partner payloads: {measures.partner_payloads_total}; payloads without a "
                  f"published mass: {measures.payloads_without_mass}")
