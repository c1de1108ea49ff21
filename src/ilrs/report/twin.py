"""The station twin's report: PNG figures and one self-contained HTML page of a run.

Figures: power flows and state of charge over the hardest month (the 30 days around the
lowest state of charge), the yearly energy balance, data returned and lost, oxygen
produced, the station build-up timeline and the event timeline; plus the sky section
(Sun and Earth over the site in one year, eclipses) of :mod:`ilrs.report.sky`.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from ilrs.report.sky import plot_sky_tracks, sky_summary
from ilrs.station import Results

__all__ = ["twin_figures", "write_twin_report"]

J_PER_KWH = 3.6e6


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _hardest_month(res: Results) -> slice:
    soc = res.series("soc_min")
    finite = np.isfinite(soc)
    i = int(np.argmin(np.where(finite, soc, np.inf))) if finite.any() else 0
    per_day = max(1, round(86400.0 / res.bin_s))
    half = 15 * per_day
    lo = max(0, min(i - half, soc.size - 2 * half))
    return slice(lo, min(soc.size, lo + 2 * half))


def fig_power_month(res: Results, path: Path) -> Path:
    s = _hardest_month(res)
    t = res.bin_utc()[s]
    kw = 1.0 / (res.bin_steps[s] * res.step_s * 1000.0)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, layout="constrained",
                                  height_ratios=(2, 1))
    ax.plot(t, res.series("generation_j")[s] * kw, color="gold", lw=1.2, label="generation")
    loads = [("survival_j", "survival"), ("comms_j", "communications"),
             ("science_j", "science & rovers"), ("isru_j", "ISRU")]
    ax.stackplot(t, *[res.series(c)[s] * kw for c, _ in loads],
                 labels=[lbl for _, lbl in loads], alpha=0.7)
    ax.plot(t, res.series("battery_discharge_j")[s] * kw, color="k", lw=0.8, ls="--",
            label="battery discharge")
    ax.plot(t, res.series("rfc_fuel_cell_j")[s] * kw, color="tab:purple", lw=0.8, ls=":",
            label="fuel cell")
    ax.set(ylabel="mean power per hour (kW)",
           title="Power flows and state of charge over the hardest month (lowest SOC)")
    ax.legend(loc="upper right", ncols=3, fontsize=8)
    ax.grid(alpha=0.3)
    ax2.plot(t, 100 * res.series("soc_min")[s], color="tab:green")
    ax2.set(ylabel="battery SOC, min per hour (%)", ylim=(0, 102))
    ax2.grid(alpha=0.3)
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    return _save(fig, path)


def _yearly(res: Results, columns) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    years = res.bin_utc().astype("datetime64[Y]").astype(int) + 1970
    uniq = np.unique(years)
    out = {c: np.array([res.series(c)[years == y].sum() for y in uniq]) for c in columns}
    return uniq, out


def fig_yearly_energy(res: Results, path: Path) -> Path:
    cols = ["survival_j", "comms_j", "science_j", "isru_j", "battery_loss_j", "curtailed_j"]
    years, sums = _yearly(res, [*cols, "generation_j", "rfc_electrolyser_j",
                                "rfc_fuel_cell_j"])
    sums["rfc_net_j"] = sums["rfc_electrolyser_j"] - sums["rfc_fuel_cell_j"]
    cols = [*cols[:5], "rfc_net_j", cols[5]]
    fig, ax = plt.subplots(figsize=(11, 4.5), layout="constrained")
    bottom = np.zeros(years.size)
    for c in cols:
        v = sums[c] / 1e9 * (1e9 / J_PER_KWH) / 1000.0
        ax.bar(years, v, bottom=bottom, label=c.removesuffix("_j").replace("_", " "))
        bottom += v
    ax.plot(years, sums["generation_j"] / J_PER_KWH / 1000.0, "k_", ms=30, mew=2,
            label="generated")
    ax.set(ylabel="MWh per year", title="Yearly energy balance (where the generated energy went)")
    ax.legend(fontsize=8, ncols=4)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def fig_data_o2(res: Results, path: Path) -> Path:
    t = res.bin_utc()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    ax.plot(t, np.cumsum(res.series("data_returned_bit")) / 8e12, label="returned to Earth")
    ax.plot(t, np.cumsum(res.series("data_lost_bit")) / 8e12, label="lost (buffer full)")
    ax.set(ylabel="cumulative data (TB)", title="Data returned and lost")
    ax.legend()
    ax.grid(alpha=0.3)
    ax2.plot(t, np.cumsum(res.series("o2_produced_kg")) / 1000.0, color="tab:red")
    ax2.set(ylabel="cumulative O2 produced (t)", title="ISRU oxygen (surplus power only)")
    ax2.grid(alpha=0.3)
    return _save(fig, path)


def fig_buildup(res: Results, path: Path) -> Path:
    sc, up = res.scenario, res.build_up
    stop = res.bin_utc()[-1]
    rows = []
    for group in ("solar_arrays", "rtgs", "fission_units", "batteries", "rfcs", "isru",
                  "rovers"):
        for c in getattr(sc, group):
            rows.append((f"{c.id} ({group.replace('_', ' ')})", c.arrives_with))
    if sc.comms:
        rows.append((f"{sc.comms.id} (comms)", sc.comms.arrives_with))
    for p in up.payloads:
        rows.append((p.name[:38], p.mission_id))
    fig, ax = plt.subplots(figsize=(11, 0.22 * len(rows) + 1.5), layout="constrained")
    for i, (_label, mission) in enumerate(rows):
        date = up.landing_dates.get(mission)
        if date is None:
            continue
        d0 = np.datetime64(date)
        ax.barh(i, (stop - d0).astype("timedelta64[D]").astype(float), left=d0, height=0.6,
                color=f"C{int(mission[-1]) % 10 if mission[-1].isdigit() else 0}")
        ax.text(d0, i, f" {mission}", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set(title="Station build-up: each element from the landing that brings it")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def fig_events(res: Results, path: Path) -> Path:
    sources = ["campaign", "fault", "fdir", "power", "thermal", "data"]
    fig, ax = plt.subplots(figsize=(11, 3.2), layout="constrained")
    for i, src in enumerate(sources):
        times = [np.datetime64(e["time_utc"][:19]) for e in res.events_table()
                 if e["source"] == src]
        ax.scatter(times, np.full(len(times), i), s=12, marker="|" if src != "fault" else "x")
    ax.set_yticks(range(len(sources)), sources)
    ax.set(title=f"Events ({len(res.events)})")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def twin_figures(res: Results, out_dir: Path) -> dict[str, Path]:
    """Write the report's PNG figures; returns name → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "power-month": fig_power_month(res, out_dir / "power-month.png"),
        "energy-yearly": fig_yearly_energy(res, out_dir / "energy-yearly.png"),
        "data-o2": fig_data_o2(res, out_dir / "data-o2.png"),
        "buildup": fig_buildup(res, out_dir / "buildup.png"),
        "events": fig_events(res, out_dir / "events.png"),
    }


def _img(path: Path) -> str:
    return f"<img src='data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}'>"


def _kv_rows(d: dict, prefix: str = "") -> str:
    rows = []
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.append(_kv_rows(value, name + " / "))
        elif isinstance(value, list):
            continue
        else:
            text = f"{value:,.3f}" if isinstance(value, float) else str(value)
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(text)}</td></tr>")
    return "".join(rows)


def write_twin_report(res: Results, out_dir: str | Path, sky_year: int | None = None,
                      sky_step_s: float = 600.0) -> Path:
    """Results files, figures and ``report.html`` (self-contained) under ``out_dir``."""
    out = Path(out_dir)
    res.write(out)
    figs = twin_figures(res, out)
    k = res.kpis
    site = res.geometry.site
    year = sky_year or int(str(res.bin_utc()[0])[:4]) + 1
    summary = sky_summary(site, f"{year}-01-01T00:00:00", f"{year}-12-31T23:50:00", sky_step_s)
    (out / "sky-summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    sky_png = plot_sky_tracks(site, f"{year}-01-01T00:00:00", f"{year}-01-31T23:50:00",
                              out / "sky-tracks.png")
    brown = "".join(
        f"<tr><td>{b['start_utc']}</td><td>{b['end_utc']}</td><td>{b['hours']}</td>"
        f"<td>{html.escape(b['cause'])}</td></tr>" for b in k["survival"]["brownouts"])
    ev_rows = "".join(
        f"<tr><td>{e['time_utc']}</td><td>{e['source']}</td><td>{e['kind']}</td>"
        f"<td>{html.escape(e['message'])}</td></tr>"
        for e in res.events_table() if e["source"] in ("campaign", "fault", "power", "thermal")
        or e["kind"] in ("safe-mode", "shed-science"))
    eclipses = "".join(
        "<tr>" + "".join(f"<td>{e.get(c, '—')}</td>" for c in
                         ("partial_begin", "total_begin", "total_end", "partial_end")) + "</tr>"
        for e in summary.eclipses)
    verdict = ("survived: survival loads powered at every step" if k["survival"]["ok"] else
               f"BROWN-OUT first at {k['survival']['first_brownout_utc']}")
    sun_pct = 100 * summary.sun_center_above_horizon_fraction
    earth_pct = 100 * summary.earth_center_above_horizon_fraction
    title = f"ilrs station twin — {html.escape(k['scenario'])}"
    page = f"""<!doctype html><meta charset=utf-8><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1150px;margin:auto}}td{{padding:1px 8px}}
table{{border-collapse:collapse}}tr:nth-child(even){{background:#f3f3f3}}img{{max-width:100%}}</style>
<h1>ILRS station twin: {html.escape(k['scenario'])}</h1>
<p>{html.escape(res.scenario.description)}</p>
<p><b>{html.escape(verdict)}</b>. {k['start_utc']} – {k['stop_utc']}, {k['steps']:,} steps of
{k['step_s']:g} s; site {html.escape(site.name)} ({site.lat_deg}°, {site.lon_deg}° E,
ground {site.height_m:.1f} m); station missions {', '.join(k['station_missions'])}.</p>
<h2>Key performance indicators</h2><table>{_kv_rows(k)}</table>
<h2>Brown-outs of survival loads</h2><table><tr><th>start</th><th>end</th><th>hours</th>
<th>cause</th></tr>{brown or '<tr><td colspan=4>none</td></tr>'}</table>
<h2>Power and state of charge</h2>{_img(figs['power-month'])}
<h2>Yearly energy balance</h2>{_img(figs['energy-yearly'])}
<h2>Data and oxygen</h2>{_img(figs['data-o2'])}
<h2>Station build-up</h2>{_img(figs['buildup'])}
<h2>Events</h2>{_img(figs['events'])}
<table><tr><th>time (UTC)</th><th>source</th><th>kind</th><th>message</th></tr>{ev_rows}</table>
<p>Full event log: events.json; time series: timeseries.parquet; KPIs: kpis.json.</p>
<h2>Sky of the site in {year}</h2>
<p>Sun centre above the mathematical horizon {sun_pct:.1f} % of the time
(elevation {summary.sun_elevation_min_deg:+.2f}° … {summary.sun_elevation_max_deg:+.2f}°);
Earth centre above it {earth_pct:.1f} %.</p>
<table><tr><th>partial begin</th><th>total begin</th><th>total end</th><th>partial end</th></tr>
{eclipses}</table>{_img(sky_png)}
"""
    path = out / "report.html"
    path.write_text(page)
    return path
