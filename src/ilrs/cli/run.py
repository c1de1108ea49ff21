"""``ilrs run``: the main job — the station twin over a campaign, with its report."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ilrs.cli import _options as opt
from ilrs.cli._console import compile_notice
from ilrs.cli._console import console as _console


def run(
    scenario: Path | None = opt.SCENARIO,
    dem: list[Path] = opt.dem_option("Elevation model for the horizons (repeatable, finest "
                                     "first)."),
    until: str | None = typer.Option(None, "--until", callback=opt.station_date,
                                     metavar="<YYYY-MM-DD>",
                                     help="Last day simulated (ISO date)."),
    start: str | None = typer.Option(
        None, "--start", callback=opt.station_date, metavar="<YYYY-MM-DD>",
        help="First day simulated (ISO date; default: first landing)."),
    step: float | None = typer.Option(None, "--step", callback=opt.number(0, 3600, low_open=True,
                                      unit="s"), help="Time step, s (default 60)."),
    out: Path | None = typer.Option(
        None, "--out", callback=opt.out_folder,
        help="Output folder (default out/<scenario name>)."),
) -> None:
    """Simulate the station over its campaign and write report, figures, Parquet and KPIs."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ilrs.cli._scenario import scenario_with_period
    from ilrs.report import write_twin_report
    from ilrs.station import Twin

    console = _console()
    sc = scenario_with_period(scenario, start=start, until=until, step_s=step)
    if out is None:
        out = Path("out") / sc.name
        opt.check_out_folder("--out", out)
    compile_notice(console, "ilrs.station._kernels:run_block",
                   "ilrs.sky._kernels:sun_earth_topocentric")
    twin = Twin.from_scenario(sc, dems=tuple(str(d) for d in dem))
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>5.1f} %"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"station twin: {sc.name}", total=1.0)
        result = twin.run(progress=lambda f: bar.update(task, completed=f))
        bar.update(task, description="report")
        report = write_twin_report(result, out)
    k = result.kpis
    t = result.timings_s
    console.print(f"[bold]{sc.name}[/]: {k['start_utc'][:10]} … {k['stop_utc'][:10]}, "
                  f"{k['steps']:,} steps of {k['step_s']:g} s "
                  f"(geometry {t['geometry']:.1f} s, loop {t['inputs'] + t['kernel']:.1f} s)")
    h = k["horizon"]
    console.print(f"  site {h['lat_deg']:g}, {h['lon_deg']:g} (ground "
                  f"{h['ground_height_m']:.1f} m); horizon: {h['source']} — {h['detail']}",
                  markup=False)
    surv = k["survival"]
    if surv["ok"]:
        console.print("  survival: [green]all survival loads powered at every step[/]")
    else:
        first = surv["brownouts"][0] if surv["brownouts"] else {}
        console.print(f"  survival: [red]BROWN-OUT[/] first at {surv['first_brownout_utc']} "
                      f"({first.get('cause', '')}); {surv['brownout_hours']:.1f} h in all")
    e = k["energy_not_served_kwh"]
    console.print(f"  min SOC {100 * (k['min_soc'] or 0):.1f} % ({k['min_soc_utc']}); "
                  f"energy not served: survival {e['survival']:.1f} kWh, "
                  f"science shed by FDIR {e['science_shed_by_fdir']:,.0f} kWh")
    th = k["thermal"]
    night = th["heater_per_night_kwh"]
    coldest = f"{th['node_min_k']:.1f} K" if th["node_min_k"] is not None else "no node"
    console.print(f"  thermal: regolith surface {th['surface_k']['min']:.0f} … "
                  f"{th['surface_k']['max']:.0f} K; coldest node {coldest}; survival heaters "
                  f"{th['heater_kwh']:,.0f} kWh (worst night {night['max']:,.1f} kWh in "
                  f"{night['max_night_hours']:.0f} h)")
    c = k["contact_availability"]
    console.print(f"  data returned {k['data_returned_gb']:,.0f} GB, lost "
                  f"{k['data_lost_gb']:,.0f} GB; contact {100 * c['any']:.1f} % "
                  f"(DTE {100 * c['direct_to_earth']:.1f} %, relay {100 * c['relay']:.1f} %)")
    console.print(f"  O2 produced {k['o2_produced_kg']:,.0f} kg; crew-days supported "
                  f"{k['crew_days_supported']:.0f} of {k['crew_person_days']:.0f}; "
                  f"{k['faults']} faults, {k['events']} events")
    sky = json.loads((Path(report).parent / "sky-summary.json").read_text())
    console.print(f"  sky of the site {sky['start_utc'][:10]} … {sky['stop_utc'][:10]}: Sun's "
                  f"centre above the {sky['horizon']} "
                  f"{100 * sky['sun_center_above_horizon_fraction']:.1f} % of the time, Earth's "
                  f"{100 * sky['earth_center_above_horizon_fraction']:.1f} %"
                  f"; {len(sky['eclipses'])} eclipse(s)", markup=False)
    for eclipse in sky["eclipses"]:
        console.print("    eclipse: " + ", ".join(f"{kind.replace('_', ' ')} {utc}"
                                                  for kind, utc in eclipse.items()))
    console.print(f"  wrote {report} (+ figures, timeseries.parquet, events.json, kpis.json)")
