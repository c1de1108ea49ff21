"""The station twin's mission report: one self-contained HTML page of a run, with its files.

Sections: findings (verdict, binding constraint, worst night, margins, energy, data), the
KPI table, the site's lighting statistics from the horizon the twin used, the sky of the
site drawn against that horizon, the figures, science, the assumptions (each component
with its source), the provenance of the run, and every event (collapsed, filterable).
Texts name the period actually run.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ilrs.report import fmt
from ilrs.report.findings import SCIENCE_HEADER, findings, kpi_rows, science_rows
from ilrs.report.page import esc, events_section, figure, page, paragraphs, table
from ilrs.report.provenance import assumption_rows, provenance_rows
from ilrs.report.sky import plot_sky_tracks, sky_summary
from ilrs.report.twin_figures import RunView, hardest_month, twin_figures
from ilrs.station import Results

__all__ = ["site_lighting_stats", "twin_figures", "write_twin_report"]


def _horizon_name(res: Results) -> str:
    h = res.kpis.get("horizon") or {}
    return {"reference": "terrain horizon (LOLA-derived reference)",
            "dem": "terrain horizon (from the DEMs)",
            "ideal": "ideal horizon (smooth sphere)"}.get(h.get("source"), "terrain horizon")


def site_lighting_stats(res: Results, step_s: float = 3600.0) -> dict:
    """Lighting statistics of the site over the run's period, for each mast the twin
    computed a horizon for (elements' and arrays'): mast height → ``LightingStats``."""
    from ilrs.lighting import lighting_stats, site_lighting
    from ilrs.sky import Epochs, Site

    k, site = res.kpis, res.geometry.site
    start, stop = k["start_utc"].removesuffix("Z"), k["stop_utc"].removesuffix("Z")
    epochs = Epochs.from_range(start, stop, step_s)
    out = {}
    for mast, horizon in sorted(res.geometry.horizons.items()):
        at = Site(site.name, site.lat_deg, site.lon_deg, site.height_m, float(mast))
        out[mast] = lighting_stats(site_lighting(at, epochs, horizon))
    return out


def _thermal_text(res: Results) -> str:
    th = res.kpis["thermal"]
    reg = th["regolith"]
    return (f"The regolith under the landers is a 1-D column of Hayne et al. (2017) "
            f"properties ({reg['layers']} layers to {reg['bottom_m']:.2f} m, "
            f"{fmt.number(reg['step_s'])} s steps), spun up over the year before the period "
            f"({reg['spin_up_cycles']} cycles) and driven by the Sun through the site's "
            f"horizon: {th['surface_k']['min']:.0f} … {th['surface_k']['max']:.0f} K here. "
            "Each lander's node radiates to the sky and to that surface and conducts to it; "
            "its survival heater holds the set point from the battery. Same days as the "
            "power figure.")


def _run_text(run) -> str:
    if run is None:
        return "none"
    cut = " (cut by the period)" if run.truncated else ""
    return f"{fmt.hours(24 * run.days)}: {fmt.utc(run.start_utc)} → {fmt.utc(run.stop_utc)}{cut}"


def _lighting_table(stats: dict, element_mast_m: float) -> str:
    masts = list(stats)
    label = {m: f"{m:g} m mast" + (" (elements)" if m == element_mast_m else " (arrays)")
             for m in masts}
    rows = [
        ("Sun visible (any part of the disk)", *(fmt.percent(stats[m].sun_any_pct / 100)
                                                 for m in masts)),
        ("mean visible fraction of the disk", *(fmt.percent(stats[m].sun_mean_fraction_pct
                                                            / 100) for m in masts)),
        ("fully lit", *(fmt.percent(stats[m].sun_full_pct / 100) for m in masts)),
        ("longest night", *(_run_text(stats[m].longest_night) for m in masts)),
        ("nights / mean night", *(f"{stats[m].nights} / {fmt.hours(24 * stats[m].mean_night_days)}"
                                  for m in masts)),
        ("longest light", *(_run_text(stats[m].longest_light) for m in masts)),
        ("Earth visible (any part)", *(fmt.percent(stats[m].earth_any_pct / 100)
                                       for m in masts)),
        ("longest Earth blackout", *(_run_text(stats[m].longest_earth_blackout)
                                     for m in masts)),
        ("Sun and Earth both visible", *(fmt.percent(stats[m].sun_and_earth_pct / 100)
                                         for m in masts)),
        ("eclipse darkness (terrain lit, Earth hides the Sun)",
         *(fmt.hours(stats[m].eclipse_dark_hours) for m in masts)),
    ]
    return table(("statistic", *(label[m] for m in masts)), rows)


def write_twin_report(res: Results, out_dir: str | Path, sky_year: int | None = None,
                      sky_step_s: float = 600.0) -> Path:
    """Results files, figures, ``sky-summary.json`` and ``report.html`` (self-contained)
    under ``out_dir``; returns the report's path."""
    out = Path(out_dir)
    res.write(out)
    res = RunView(res)
    figs = twin_figures(res, out)
    k, sc = res.kpis, res.scenario
    site = res.geometry.site
    elem = float(sc.site.element_mast_m)
    horizon = res.geometry.horizons.get(elem) or next(iter(res.geometry.horizons.values()))
    horizon_name = _horizon_name(res)
    start_year, stop_year = int(k["start_utc"][:4]), int(k["stop_utc"][:4])
    year = sky_year or min(start_year + 1, stop_year)
    sky_start = max(f"{year}-01-01T00:00:00", k["start_utc"][:19])
    sky_stop = min(f"{year}-12-31T23:50:00", k["stop_utc"][:19])
    summary = sky_summary(site, sky_start, sky_stop, sky_step_s, horizon=horizon,
                          horizon_name=horizon_name)
    (out / "sky-summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    month = hardest_month(res)
    bins = res.bin_utc()
    month_start = str(bins[month.start])[:19]
    month_stop = str(bins[min(month.stop, bins.size) - 1])[:19]
    arrays_mast = max(res.geometry.horizons)
    others = (() if arrays_mast == elem else
              ((f"arrays' {arrays_mast:g} m mast horizon", res.geometry.horizons[arrays_mast]),))
    sky_png = plot_sky_tracks(site, month_start, month_stop, out / "sky-tracks.png",
                              horizon=horizon, horizon_name=f"{horizon_name}, {elem:g} m mast",
                              other_horizons=others)
    stats = site_lighting_stats(res)
    found = findings(res, stats.get(elem))
    verdict_ok = k["survival"]["ok"]
    period = f"{fmt.utc(k['start_utc'], 'day')} … {fmt.utc(k['stop_utc'], 'day')}"
    description = fmt.period_text(sc.description, k["start_utc"], k["stop_utc"])
    header = (
        f"<h1>ILRS station twin — {esc(sc.name)}</h1>"
        f"<p class=lead>{esc(description)}</p>"
        f"<p class='lead {'verdict-ok' if verdict_ok else 'verdict-bad'}'><b>"
        f"{esc(found[0].text)}</b></p>"
        f"<p class=small>Site {esc(site.name)} ({site.lat_deg:g}°, {site.lon_deg:g}° E, ground "
        f"{fmt.number(site.height_m, 1)} m above the 1737.4 km sphere); {esc(period)}; "
        f"{fmt.count(k['steps'])} steps of {fmt.number(k['step_s'])} s; horizon: "
        f"{esc(horizon_name)}.</p>")
    finding_list = "".join(f"<dt>{esc(f.title)}</dt><dd>{esc(f.text)}</dd>" for f in found[1:])
    brownouts = k["survival"]["brownouts"]
    brown = table(("start", "end", "duration", "cause"),
                  [(fmt.utc(b["start_utc"]), fmt.utc(b["end_utc"]) if b["end_utc"] else
                    "not ended in the period", fmt.hours(b["hours"]) if b["hours"] is not None
                    else fmt.DASH, b["cause"]) for b in brownouts]) if brownouts else (
        "<p>No brown-out of survival loads.</p>")
    eclipses = [tuple(e.get(c, fmt.DASH) for c in ("partial_begin", "total_begin",
                                                    "total_end", "partial_end"))
                for e in summary.eclipses]
    sky_text = (
        f"In {summary.start_utc[:10]} … {summary.stop_utc[:10]} the Sun's centre was above "
        f"the {summary.horizon} {fmt.percent(summary.sun_center_above_horizon_fraction)} of "
        f"the time (any part of the disk "
        f"{fmt.percent(summary.sun_any_part_above_horizon_fraction)};"
        f" elevation {summary.sun_elevation_min_deg:+.2f}° … "
        f"{summary.sun_elevation_max_deg:+.2f}°), the Earth's centre "
        f"{fmt.percent(summary.earth_center_above_horizon_fraction)}. The tracks below cover "
        f"the hardest month ({month_start[:10]} … {month_stop[:10]}, around the lowest state "
        f"of charge); the shaded band is the terrain the elements see from their {elem:g} m "
        "mast, the dashed line the horizon of the arrays' higher mast.")
    sections = [
        ("findings", "Findings", f"<dl class=findings>{finding_list}</dl>"),
        ("kpis", "Key performance indicators",
         table(("indicator", "value", "note"), kpi_rows(res), numeric=(1,))),
        ("lighting", "Lighting of the site",
         paragraphs(f"From the {horizon_name} over {period}, hourly, eclipses counted "
                    "separately (definitions of Mazarico et al. 2011 and Gläser et al. "
                    "2014).") + _lighting_table(stats, elem)),
        ("sky", "Sky of the site", paragraphs(sky_text) + figure(sky_png, "Sun and Earth "
         "tracks against the terrain horizon") + ("<h3>Eclipses of the Sun by the Earth</h3>"
         + table(("partial begin", "total begin", "total end", "partial end"), eclipses)
         if eclipses else "<p>No eclipse of the Sun by the Earth in this year.</p>")),
        ("survival", "Brown-outs of survival loads", brown),
        ("power", "Power and state of charge", figure(figs["power-month"], "power month")),
        ("thermal", "Thermal survival", paragraphs(_thermal_text(res)) + figure(
            figs["thermal-month"], "surface and node temperatures, heaters, hardest month")),
        ("energy", "Yearly energy balance", figure(figs["energy-yearly"], "energy")),
        ("data", "Data and oxygen", figure(figs["data-o2"], "data and oxygen")),
        ("science", "Science", table(SCIENCE_HEADER, science_rows(res), numeric=(1, 2))),
        ("buildup", "Station build-up", figure(figs["buildup"], "build-up")),
        ("assumptions", "Assumptions",
         paragraphs("Every modelled component with its parameters (SI units in the names) "
                    "and where its numbers come from; 'facts' is the project's sourced fact "
                    "sheet, 'estimate' a sizing choice of this scenario.")
         + table(("component", "kind", "parameters", "arrives with", "source"),
                 assumption_rows(sc))),
        ("provenance", "Provenance", table(("item", "value"),
                                           provenance_rows(res))),
        ("events", "Events", figure(figs["events"], "events") + events_section(
            res.events_table()) + paragraphs("Files beside this report: events.json, "
                                             "timeseries.parquet, kpis.json, sky-summary.json.")),
    ]
    title = f"ilrs station twin — {sc.name}, {period}"
    path = out / "report.html"
    path.write_text(page(title, header, sections))
    return path
