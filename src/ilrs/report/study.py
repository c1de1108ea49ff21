"""Figures and HTML summaries of studies: sweeps, Monte Carlo and site rankings.

Each page opens with its findings line (:mod:`ilrs.report.study_text`), shows only the KPIs
that differ between runs (those that do not are named, with their value, in one line) and
says what a KPI means where the scenario makes it meaningless (no comms: all data lost).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from ilrs.report.page import esc, figure, page, paragraphs, table
from ilrs.report.study_text import (
    cell,
    compact,
    constant_kpis,
    deciding_text,
    failed_trials,
    kpi_label,
    kpi_name,
    montecarlo_findings,
    scenario_notes,
    site_text,
    sites_findings,
    sweep_findings,
    varying_kpis,
)
from ilrs.study import KPI_UNITS
from ilrs.study.montecarlo import SUMMARY_KPIS, MonteCarloResult
from ilrs.study.sites import RESOLUTION, SiteRanking
from ilrs.study.sweep import SweepResult

__all__ = ["montecarlo_report", "sites_report", "sweep_figures", "sweep_report"]


_label = kpi_label
_fmt = cell
#: Failed Monte Carlo trials listed on the page (all of them are in trials.parquet).
MAX_FAILED_ROWS = 50


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _factor_values(result: SweepResult) -> list[tuple[str, list]]:
    """The study's factors with their distinct values (a site counts as one factor)."""
    out = [(f, sorted({row[f] for row in result.rows})) for f in result.fields]
    if result.sites:
        out.append(("site", [f"{a:g},{b:g}" for a, b in result.sites]))
    return out


def _value(row: dict, factor: str):
    return f"{row['lat_deg']:g},{row['lon_deg']:g}" if factor == "site" else row[factor]


def sweep_figures(result: SweepResult, out_dir: Path,
                  kpis: list[str] | None = None) -> dict[str, Path]:
    """One PNG per KPI (``kpis``, default all): a heat map over two factors, lines over one
    (with a line per value of any further factor)."""
    factors = _factor_values(result)
    paths = {}
    for kpi in KPI_UNITS if kpis is None else kpis:
        fig, ax = plt.subplots(figsize=(7, 4.6))
        if len(factors) == 2 and all(f != "site" for f, _ in factors):
            (fx, xs), (fy, ys) = factors
            grid = np.full((len(ys), len(xs)), np.nan)
            for row in result.rows:
                grid[ys.index(row[fy]), xs.index(row[fx])] = row[kpi]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            if grid.size <= 100:
                mid = np.nanmean(grid) if np.isfinite(grid).any() else 0.0
                for (yi, xi), v in np.ndenumerate(grid):
                    if np.isfinite(v):
                        text = f"{v / 1000:.3g}k" if abs(v) >= 1000 else f"{v:.3g}"
                        ax.text(xi, yi, text, ha="center", va="center", fontsize=7,
                                color="black" if v > mid else "white")
            ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs], rotation=45)
            ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
            ax.set_xlabel(fx)
            ax.set_ylabel(fy)
            fig.colorbar(im, ax=ax, label=_label(kpi))
        else:
            fx, xs = factors[0]
            rest = factors[1:]
            groups: dict[tuple, list] = {}
            for row in result.rows:
                groups.setdefault(tuple(_value(row, f) for f, _ in rest), []).append(row)
            for key, rows in list(groups.items())[:12]:
                rows = sorted(rows, key=lambda r: xs.index(_value(r, fx)))
                x = [_value(r, fx) for r in rows]
                label = ", ".join(f"{f}={v}" for (f, _), v in zip(rest, key, strict=True))
                if fx == "site":
                    ax.plot(range(len(x)), [r[kpi] for r in rows], "o-", label=label or None)
                    ax.set_xticks(range(len(x)), x, rotation=30)
                else:
                    ax.plot(x, [r[kpi] for r in rows], "o-", label=label or None)
            ax.set_xlabel(fx)
            ax.set_ylabel(_label(kpi))
            ax.grid(alpha=0.3)
            if rest:
                ax.legend(fontsize=7)
        ax.set_title(_label(kpi))
        paths[kpi] = _save(fig, out_dir / f"{kpi}.png")
    return paths


def _constant_line(constant: dict) -> str:
    if not constant:
        return ""
    return ("The same in every run (left out of the table and the figures): "
            + "; ".join(f"{kpi_label(k)} {cell(v)}" for k, v in constant.items()) + ".")


def _lead(findings: list[str], *rest: str) -> str:
    return ("".join(f"<p class=finding>{esc(f)}</p>" for f in findings)
            + paragraphs(*rest))


def sweep_report(result: SweepResult, out_dir: Path) -> Path:
    """``summary.html``: the findings line, what was varied, the runs (the KPIs that
    differ) and a figure per such KPI."""
    all_kpis = list(KPI_UNITS)
    kpis = varying_kpis(result.rows, all_kpis)
    constant = constant_kpis(result.rows, all_kpis)
    figures = sweep_figures(result, out_dir, kpis)
    factors = _factor_values(result)
    cols = [f for f, _ in factors if f != "site"]
    site_cols = ["site (lat, lon °)"] if result.sites else []
    rows = [[compact(r.get(c)) for c in cols] + ([site_text(r)] if result.sites else [])
            + [compact(r.get(k)) for k in kpis] for r in result.rows]
    sc = result.base.scenario
    header = (f"<h1>Sweep of {esc(sc.name)}</h1>"
              + _lead(sweep_findings(result.rows, result.fields, bool(result.sites)),
                      f"{len(result.rows):,} full twin runs, {sc.period.start} to "
                      f"{sc.period.stop} at {sc.period.step_s:g}-s steps: "
                      + "; ".join(f"{f} ∈ {{{', '.join(map(cell, v))}}}" for f, v in factors),
                      *scenario_notes(sc, [*kpis, *constant]), _constant_line(constant)))
    width = len(cols) + len(site_cols) + len(kpis)
    sections = [("runs", "Runs", table([*cols, *site_cols, *(kpi_label(k) for k in kpis)],
                                       rows, numeric=[i for i in range(width) if
                                                      i != len(cols) or not site_cols],
                                       table_class="compact")),
                ("figures", "KPIs", "".join(figure(p, k) for k, p in figures.items())
                 or paragraphs("No KPI differs between the runs."))]
    path = out_dir / "summary.html"
    path.write_text(page(f"Sweep of {sc.name}", header, sections, wide=True),
                    encoding="utf-8")
    return path


def tornado_figure(mc: MonteCarloResult, kpi: str):
    """The inputs that move ``kpi`` most, each as two bars from the axis (the mean of all
    trials): to the mean of the trials with the input in its bottom decile, and to that of
    its top decile; the x range holds every bar."""
    bars = mc.tornado(kpi)
    mean = float(np.nanmean(mc.column(kpi)))
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(3, len(bars)) + 1.6))
    y = np.arange(len(bars))[::-1]
    for yi, b in zip(y, bars, strict=True):  # side by side: neither hides the other
        ax.barh(yi + 0.19, b["low"] - mean, left=mean, height=0.36, color="#9bbbe8",
                label="input in its bottom decile" if yi == y[0] else None)
        ax.barh(yi - 0.19, b["high"] - mean, left=mean, height=0.36, color="#1f4e9c",
                label="input in its top decile" if yi == y[0] else None)
    ax.set_yticks(y, [b["input"].removeprefix("in:") for b in bars], fontsize=8)
    ax.axvline(mean, color="0.2", lw=1.2)
    ends = [mean, *(b["low"] for b in bars), *(b["high"] for b in bars)]
    span = (max(ends) - min(ends)) or max(abs(mean), 1.0) * 0.01
    ax.set_xlim(min(ends) - 0.06 * span, max(ends) + 0.06 * span)
    ax.set_xlabel(f"{kpi_label(kpi)}: mean of the trials with the input low / high "
                  f"(axis: mean of all {mc.n:,} trials, {cell(mean)})", fontsize=9)
    ax.set_title(f"What moves {kpi_name(kpi)}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _tornado(mc: MonteCarloResult, kpi: str, path: Path) -> Path:
    return _save(tornado_figure(mc, kpi), path)


def _failed_table(mc: MonteCarloResult) -> str:
    """Which trials failed, when and why, with the drawn inputs that move survival most."""
    failed = failed_trials(mc.rows)
    if not failed:
        return paragraphs(f"No trial failed: all {mc.n:,} kept every survival load powered.")
    movers = [b["input"] for b in mc.tornado("survival_unserved_kwh", top=3)]
    rows = [[r["trial"], (r.get("first_brownout_utc") or "–")[:19].replace("T", " "),
             r.get("brownout_cause") or "–", cell(r.get("brownout_hours")),
             cell(r.get("survival_unserved_kwh")), *(cell(r.get(m)) for m in movers)]
            for r in failed[:MAX_FAILED_ROWS]]
    more = (paragraphs(f"… and {len(failed) - MAX_FAILED_ROWS:,} more failed trials "
                       "(every trial is in trials.parquet).")
            if len(failed) > MAX_FAILED_ROWS else "")
    return (paragraphs(f"{len(failed):,} of {mc.n:,} trials browned out, earliest first; "
                       "the last columns are the inputs drawn that move the survival energy "
                       "unserved most.")
            + table(["trial", "first brown-out (UTC)", "cause", "brown-out [h]",
                     "survival unserved [kWh]", *(m.removeprefix("in:") for m in movers)],
                    rows, numeric=(0, 3, 4, *range(5, 5 + len(movers))),
                    table_class="compact") + more)


def montecarlo_report(mc: MonteCarloResult, out_dir: Path, scenario=None) -> Path:
    """``montecarlo.html``: the findings line, which trials failed (when, why), the KPI
    distributions (those that differ between trials) and tornadoes."""
    summary = mc.summary()
    shown = [k for k in SUMMARY_KPIS if k in summary]
    kpis = varying_kpis(mc.rows, shown)
    constant = constant_kpis(mc.rows, shown)
    fig, axes = plt.subplots(1, max(1, len(kpis)), figsize=(3.2 * max(1, len(kpis)), 3.2))
    for ax, kpi in zip(np.atleast_1d(axes), kpis, strict=False):
        x = mc.column(kpi)
        ax.hist(x[np.isfinite(x)], bins=30, color="#3b7dd8")
        ax.set_title(kpi_label(kpi), fontsize=9)
    hist = _save(fig, out_dir / "distributions.png")
    tornadoes = {k: _tornado(mc, k, out_dir / f"tornado-{k}.png") for k in kpis
                 if k != "survival_ok" and mc.tornado(k)}
    rows = []
    for kpi in kpis:
        s = summary[kpi]
        rows.append([kpi_label(kpi), *(f"{cell(s[key])} ± {cell(s[key + '_se'])}"
                                       for key in ("mean", "p10", "p50", "p90"))])
    top = mc.tornado("min_soc", top=1) if "min_soc" in kpis else []
    mover = (f"{top[0]['input'].removeprefix('in:')} (min SOC {cell(top[0]['low'])} with it "
             f"low, {cell(top[0]['high'])} with it high)") if top else None
    header = ("<h1>Monte Carlo: " + f"{mc.n:,} trials</h1>"
              + _lead([montecarlo_findings(mc.rows, summary, mover)],
                      f"seed {mc.seed}; each trial a full twin run with its own launch "
                      "slips, component failures and degradation rates; ± is the standard "
                      "error of the estimate (bootstrap for percentiles).",
                      *(scenario_notes(scenario, shown) if scenario is not None else ()),
                      _constant_line(constant)))
    sections = [("failed", "Trials that failed", _failed_table(mc)),
                ("summary", "Distributions", table(["KPI", "mean", "P10", "P50", "P90"], rows,
                                                    numeric=(1, 2, 3, 4)) + figure(hist, "hist")),
                ("tornado", "What matters most",
                 "".join(figure(p, k) for k, p in tornadoes.items()))]
    path = out_dir / "montecarlo.html"
    path.write_text(page("Monte Carlo", header, sections, wide=True), encoding="utf-8")
    return path


def sites_report(ranking: SiteRanking, out_dir: Path, scenario=None) -> Path:
    """``sites.html`` and ``sites.png``: the findings line, the sites by TOPSIS score with
    the criteria that set each apart from the next, coordinates in full."""
    rows = ranking.rows
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.4))
    names = [site_text(r) for r in rows]
    ax.barh(range(len(rows))[::-1], [r["score"] for r in rows], color="#3b7dd8")
    ax.set_yticks(range(len(rows))[::-1], names, fontsize=8)
    ax.set_xlabel("TOPSIS closeness to the ideal site (0–1)")
    ax.set_xlim(0, 1)
    png = _save(fig, out_dir / "sites.png")
    kpis = [k for k, w in ranking.weights.items() if w > 0]
    body = table(["rank", "site (lat, lon °)", "score", "ahead of the next by",
                  *(kpi_label(k) for k in kpis)],
                 [[r["rank"], site_text(r), f"{r['score']:.3f}",
                   deciding_text(r) if i < len(rows) - 1 else "–",
                   *(compact(r[k]) for k in kpis)] for i, r in enumerate(rows)],
                 numeric=(0, 2, *range(4, 4 + len(kpis))), table_class="compact")
    weights = ", ".join(f"{k} {w:g}" for k, w in ranking.weights.items())
    resolution = ", ".join(f"{kpi_name(k)} {v:g}"
                           + ("" if KPI_UNITS[k] == "1" else f" {KPI_UNITS[k]}")
                           for k, v in RESOLUTION.items())
    header = ("<h1>Site ranking</h1>"
              + _lead([sites_findings(rows, ranking.tied, RESOLUTION)],
                      f"{len(rows)} sites, a full twin run each, ranked by TOPSIS over the "
                      f"criteria rounded to their resolution ({resolution}): smaller "
                      "differences are ties. Weights: " + weights + ".",
                      *(scenario_notes(scenario, kpis) if scenario is not None else ())))
    path = out_dir / "sites.html"
    path.write_text(page("Site ranking", header, [("ranking", "Ranking",
                                                   body + figure(png, "scores"))], wide=True),
                    encoding="utf-8")
    return path
