"""``ilrs study``: what-if questions over many full twin runs (sweeps, sizing, Monte Carlo,
site ranking), locally or on a Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ilrs.cli import _options as opt
from ilrs.cli._console import compile_notice
from ilrs.cli._console import console as _console
from ilrs.cli._options import Format
from ilrs.errors import InputError

app = typer.Typer(help="What-if questions over many full twin runs: sweeps, sizing, Monte "
                       "Carlo and site ranking.", no_args_is_help=True, add_completion=False)

_SCENARIO = opt.SCENARIO
_DEM = opt.dem_option("Elevation model for the horizons (repeatable, finest first).")
_UNTIL = typer.Option(None, "--until", callback=opt.station_date, metavar="<YYYY-MM-DD>",
                      help="Last day simulated (ISO date; default: the scenario's).")
_SCHEDULER = opt.scheduler_option("local", "Default: local (the runs in parallel).")
_FORMAT = opt.format_option()
_OUT = typer.Option(..., "--out", callback=opt.out_folder,
                    help="Output folder (resumes what it holds).")
_KERNELS = ("ilrs.station._kernels:run_block",)


def _scenario(path: Path | None, until: str | None):
    from ilrs.cli._scenario import scenario_with_period

    return scenario_with_period(path, until=until)


def _site(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError("--site", text, "LAT,LON in degrees") from None
    if not -90.0 <= lat <= 90.0:
        raise InputError("--site", text, "a latitude in [-90, 90]")
    return lat, lon


@app.command("sweep")
def sweep(
    scenario: Path | None = _SCENARIO,
    vary: list[str] = typer.Option([], "--vary", help="FIELD=START:STOP:STEP or "
                                   "FIELD=V1,V2,... (repeatable; a dotted path such as "
                                   "batteries.battery-1.capacity_wh)."),
    site: list[str] = typer.Option([], "--site", help="LAT,LON (repeatable): run every "
                                   "variant at each site."),
    dem: list[Path] = _DEM,
    until: str | None = _UNTIL,
    scheduler: str = _SCHEDULER,
    out: Path = _OUT,
) -> None:
    """Full factorial of twin runs: a Parquet table, a figure per KPI and an HTML summary."""
    from ilrs.study import parse_range
    from ilrs.study import sweep as run_sweep

    values = dict(parse_range(v) for v in vary)
    sites = [_site(s) for s in site]
    sc = _scenario(scenario, until)
    out_console = _console()
    compile_notice(out_console, *_KERNELS)
    result = run_sweep(sc, values, sites=sites, dems=[str(d) for d in dem], out_dir=out,
                       scheduler=scheduler)
    from ilrs.report.study import sweep_report

    table = result.write(out)
    html = sweep_report(result, out)
    out_console.print(f"{len(result.rows):,} runs → {table}, {html} (+ a figure per KPI)",
                      markup=False)


@app.command("size")
def size(
    scenario: Path | None = _SCENARIO,
    vary: str = typer.Option(..., "--vary", help="The field to size (dotted path)."),
    goal: str = typer.Option(..., "--goal", help="survival, min-soc=X or science-hours=N."),
    tolerance: float = typer.Option(0.01, "--tolerance", callback=opt.number(
                                    0, 1, low_open=True, high_open=True),
                                    help="Relative precision of the answer."),
    lower: float | None = typer.Option(None, "--lower", callback=opt.number(),
                                       help="A value known not to meet the goal (optional)."),
    upper: float | None = typer.Option(None, "--upper", callback=opt.number(),
                                       help="A value known to meet it (optional)."),
    dem: list[Path] = _DEM,
    until: str | None = _UNTIL,
    scheduler: str = opt.scheduler_option("inline", "Default: inline (the search is "
                                          "sequential: each run follows from the last)."),
    keep_dod: bool = typer.Option(False, "--keep-dod", help="With --goal survival: keep the "
                                  "battery above its depth-of-discharge floor (by default "
                                  "survival loads may drain it to 0 %)."),
    fmt: Format = _FORMAT,
) -> None:
    """The smallest value of a field that meets a goal, confirmed by a full run."""
    if lower is not None and upper is not None and not lower < upper:
        raise InputError("--upper", upper, f"a value above --lower {lower:g}")
    from ilrs.study import Goal
    from ilrs.study import size as run_size

    parsed = Goal.parse(goal)
    if keep_dod:
        parsed = parsed.keeping(0.0)  # refuses another goal before the scenario loads
    sc = _scenario(scenario, until)
    if keep_dod:
        if not sc.batteries:
            raise InputError("--keep-dod", scenario, "a scenario with a battery")
        parsed = parsed.keeping(max(1.0 - b.depth_of_discharge for b in sc.batteries))
    out = _console()
    err = _console(stderr=True)
    if fmt is Format.table:
        compile_notice(out, *_KERNELS)
    with err.status(f"sizing {vary} for {parsed}: first run") as status:
        def shown(run: dict) -> None:
            status.update(f"sizing {vary} for {parsed}: run {run['value']:,.6g} "
                          f"{'met' if run['met'] else 'not met'}; next run")
        result = run_size(sc, vary, parsed, dems=[str(d) for d in dem], tolerance=tolerance,
                          lower=lower, upper=upper, scheduler=scheduler, progress=shown)
    if fmt is Format.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    if result.met:
        out.print(f"{vary} = {result.value:,.6g} meets {parsed} ({len(result.runs)} full "
                  f"runs, within {100 * tolerance:g} %)", markup=False)
    else:
        out.print(f"{vary}: no value tried meets {parsed} ({len(result.runs)} runs)",
                  markup=False)
    if parsed.rule:
        out.print(f"  rule: {parsed.rule}", markup=False)
    for r in result.runs:
        out.print(f"  {r['value']:14,.6g}  margin {r['margin']:+.4g}  "
                  f"{'met' if r['met'] else 'not met'}", markup=False)
    if not result.met:
        raise typer.Exit(1)


@app.command("montecarlo")
def montecarlo(
    scenario: Path | None = _SCENARIO,
    trials: int = typer.Option(..., "--trials", callback=opt.number(1, 1_000_000),
                               help="Number of trials (full twin runs)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    dispersions: Path | None = typer.Option(None, "--dispersions", callback=opt.existing_file(
                                            "dispersions YAML"), help="Uncertain inputs "
                                            "YAML (default: the built-in one)."),
    dem: list[Path] = _DEM,
    until: str | None = _UNTIL,
    scheduler: str = _SCHEDULER,
    out: Path = _OUT,
    series: bool = typer.Option(False, "--series", help="Also keep each trial's binned time "
                                "series (OUT/series/trial-N.parquet, the scenario's "
                                "output.aggregate_s bins); a remote cluster's workers must "
                                "share OUT."),
    fmt: Format = _FORMAT,
) -> None:
    """Trials with launch slips, failures and degradation drawn: P10/P50/P90, standard
    errors and a tornado of what matters most."""
    from ilrs.study.montecarlo import load_dispersions
    from ilrs.study.montecarlo import montecarlo as run_mc

    disp = load_dispersions(dispersions)
    sc = _scenario(scenario, until)
    console = _console()
    compile_notice(console, *_KERNELS)
    mc = run_mc(sc, trials, seed, dems=[str(d) for d in dem], dispersions=disp, out_dir=out,
                scheduler=scheduler, series=series)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ilrs.report.study import montecarlo_report

    names = sorted({k for row in mc.rows for k in row if k != "key"})
    pq.write_table(pa.table({k: [row.get(k) for row in mc.rows] for k in names}),
                   out / "trials.parquet")
    summary = mc.to_dict()
    (out / "montecarlo.json").write_text(json.dumps(summary, indent=2))
    html = montecarlo_report(mc, out, sc)
    if fmt is Format.json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(f"{mc.n:,} trials (seed {seed}) → {html}", markup=False)
    for kpi, s in summary["summary"].items():
        console.print(f"  {kpi:22s} P10 {s['p10']:12,.4g}  P50 {s['p50']:12,.4g}  "
                      f"P90 {s['p90']:12,.4g}  mean {s['mean']:12,.4g} ± {s['mean_se']:.2g}",
                      markup=False)


@app.command("sites")
def sites(
    scenario: Path | None = _SCENARIO,
    site: list[str] = typer.Option([], "--site", help="LAT,LON (repeatable)."),
    map_file: Path | None = typer.Option(None, "--map", callback=opt.existing_file(
                                         "lighting map (.nc)"), help="A lighting map (NetCDF "
                                         "from ilrs lighting map): rank its best spots."),
    best: int = typer.Option(5, "--best", callback=opt.number(1, 1000),
                             help="How many best spots of --map."),
    weights: str | None = typer.Option(None, "--weights", help="KPI=W,... (default: all 1)."),
    dem: list[Path] = _DEM,
    until: str | None = _UNTIL,
    scheduler: str = _SCHEDULER,
    out: Path = _OUT,
    fmt: Format = _FORMAT,
) -> None:
    """Rank candidate sites by a full twin run at each (TOPSIS over KPIs, illumination and
    Earth visibility)."""
    from ilrs.study.sites import parse_weights, rank_sites

    w = parse_weights(weights)
    candidates = [_site(s) for s in site]
    if map_file is not None:
        candidates += _best_spots(map_file, best)
    sc = _scenario(scenario, until)
    console = _console()
    compile_notice(console, *_KERNELS)
    ranking = rank_sites(sc, candidates, dems=[str(d) for d in dem], weights=w, out_dir=out,
                         scheduler=scheduler)
    from ilrs.report.study import sites_report

    (out / "sites.json").write_text(json.dumps(ranking.to_dict(), indent=2))
    html = sites_report(ranking, out, sc)
    if fmt is Format.json:
        typer.echo(json.dumps(ranking.to_dict(), indent=2))
        return
    from ilrs.report.study_text import deciding_text, sites_findings
    from ilrs.study.sites import RESOLUTION

    console.print(sites_findings(ranking.rows, ranking.tied, RESOLUTION), markup=False)
    for i, r in enumerate(ranking.rows):
        ahead = f"  ahead of the next by {deciding_text(r)}" if i < len(ranking.rows) - 1 \
            else ""
        console.print(f"  {r['rank']:2d}. {r['lat_deg']!r}, {r['lon_deg']!r}  score "
                      f"{r['score']:.3f}  Sun {r['sun_visible_pct']:5.1f} %  Earth "
                      f"{r['earth_visible_pct']:5.1f} %  longest night "
                      f"{r['longest_night_h']:6.1f} h  min SOC {r['min_soc']:.3f}{ahead}",
                      markup=False)
    console.print(f"→ {html}", markup=False)


def _best_spots(path: Path, n: int) -> list[tuple[float, float]]:
    import xarray as xr

    from ilrs.lighting.maps import best_spots

    try:
        ds = xr.open_dataset(path, engine="scipy")
    except (OSError, ValueError, TypeError) as exc:
        raise InputError("--map", str(path), f"a NetCDF lighting map ({exc})") from None
    with ds:
        return [(s["lat_deg"], s["lon_deg"]) for s in best_spots(ds.load(), n)]
