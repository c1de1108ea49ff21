"""Figures and HTML summaries of studies: sweeps, Monte Carlo and site rankings."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from ilrs.report.page import esc, figure, page, paragraphs, table
from ilrs.study import KPI_UNITS
from ilrs.study.montecarlo import SUMMARY_KPIS, MonteCarloResult
from ilrs.study.sites import SiteRanking
from ilrs.study.sweep import SweepResult

__all__ = ["montecarlo_report", "sites_report", "sweep_figures", "sweep_report"]


def _label(kpi: str) -> str:
    unit = KPI_UNITS.get(kpi, "")
    return f"{kpi.replace('_', ' ')}" + (f" [{unit}]" if unit not in ("", "1") else "")


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


def sweep_figures(result: SweepResult, out_dir: Path) -> dict[str, Path]:
    """One PNG per KPI: a heat map over two factors, lines over one (with a line per value
    of any further factor)."""
    factors = _factor_values(result)
    paths = {}
    for kpi in KPI_UNITS:
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


def _fmt(value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def sweep_report(result: SweepResult, out_dir: Path) -> Path:
    """``summary.html``: what was varied, the table of runs and every KPI's figure."""
    figures = sweep_figures(result, out_dir)
    factors = _factor_values(result)
    cols = [f for f, _ in factors if f != "site"]
    cols += ["lat_deg", "lon_deg"] if result.sites else []
    kpis = list(KPI_UNITS)
    rows = [[_fmt(r.get(c)) for c in cols + kpis] for r in result.rows]
    sc = result.base.scenario
    header = (f"<h1>Sweep of {esc(sc.name)}</h1><p class=lead>{len(result.rows):,} full twin "
              f"runs, {esc(sc.period.start)} to {esc(sc.period.stop)} at "
              f"{sc.period.step_s:g}-s steps: "
              + esc("; ".join(f"{f} ∈ {{{', '.join(map(_fmt, v))}}}" for f, v in factors))
              + "</p>")
    sections = [("runs", "Runs", table([*cols, *(_label(k) for k in kpis)], rows,
                                       numeric=range(len(cols) + len(kpis)))),
                ("figures", "KPIs", "".join(figure(p, k) for k, p in figures.items()))]
    path = out_dir / "summary.html"
    path.write_text(page(f"Sweep of {sc.name}", header, sections), encoding="utf-8")
    return path


def _tornado(mc: MonteCarloResult, kpi: str, path: Path) -> Path:
    bars = mc.tornado(kpi)
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * max(3, len(bars)) + 1.4))
    y = np.arange(len(bars))[::-1]
    for yi, b in zip(y, bars, strict=True):
        ax.barh(yi, b["high"] - b["low"], left=b["low"], color="#3b7dd8" if b["swing"] >= 0
                else "#d8663b")
    ax.set_yticks(y, [b["input"].removeprefix("in:") for b in bars], fontsize=8)
    ax.axvline(float(np.nanmean(mc.column(kpi))), color="0.3", lw=1, ls="--")
    ax.set_xlabel(f"{_label(kpi)}: mean of the trials with the input in its bottom → top "
                  "decile\n(blue: the KPI rises with the input; dashed: mean of all trials)",
                  fontsize=9)
    ax.set_title(f"What moves {kpi.replace('_', ' ')} ({mc.n:,} trials)")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def montecarlo_report(mc: MonteCarloResult, out_dir: Path) -> Path:
    """``montecarlo.html`` with the KPI histograms, the P10/P50/P90 table and tornadoes."""
    summary = mc.summary()
    kpis = [k for k in SUMMARY_KPIS if k in summary]
    fig, axes = plt.subplots(1, len(kpis), figsize=(3.2 * len(kpis), 3.2))
    for ax, kpi in zip(np.atleast_1d(axes), kpis, strict=True):
        x = mc.column(kpi)
        ax.hist(x[np.isfinite(x)], bins=30, color="#3b7dd8")
        ax.set_title(_label(kpi), fontsize=9)
    hist = _save(fig, out_dir / "distributions.png")
    tornadoes = {k: _tornado(mc, k, out_dir / f"tornado-{k}.png") for k in kpis
                 if k != "survival_ok" and mc.tornado(k)}
    rows = []
    for kpi in kpis:
        s = summary[kpi]
        rows.append([_label(kpi), *(f"{_fmt(s[key])} ± {_fmt(s[key + '_se'])}"
                                    for key in ("mean", "p10", "p50", "p90"))])
    header = (f"<h1>Monte Carlo: {mc.n:,} trials</h1>"
              + paragraphs(f"seed {mc.seed}; each trial a full twin run with its own launch "
                           "slips, component failures and degradation rates; ± is the "
                           "standard error of the estimate (bootstrap for percentiles)."))
    sections = [("summary", "Distributions", table(["KPI", "mean", "P10", "P50", "P90"], rows,
                                                    numeric=(1, 2, 3, 4)) + figure(hist, "hist")),
                ("tornado", "What matters most",
                 "".join(figure(p, k) for k, p in tornadoes.items()))]
    path = out_dir / "montecarlo.html"
    path.write_text(page("Monte Carlo", header, sections), encoding="utf-8")
    return path


def sites_report(ranking: SiteRanking, out_dir: Path) -> Path:
    """``sites.html`` and ``sites.png``: the sites by TOPSIS score."""
    rows = ranking.rows
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.4))
    names = [f"{r['lat_deg']:g}, {r['lon_deg']:g}" for r in rows]
    ax.barh(range(len(rows))[::-1], [r["score"] for r in rows], color="#3b7dd8")
    ax.set_yticks(range(len(rows))[::-1], names, fontsize=8)
    ax.set_xlabel("TOPSIS closeness to the ideal site (0–1)")
    ax.set_xlim(0, 1)
    png = _save(fig, out_dir / "sites.png")
    kpis = [k for k, w in ranking.weights.items() if w > 0]
    body = table(["rank", "lat", "lon", "score", *(_label(k) for k in kpis)],
                 [[r["rank"], _fmt(r["lat_deg"]), _fmt(r["lon_deg"]), f"{r['score']:.3f}",
                   *(_fmt(r[k]) for k in kpis)] for r in rows],
                 numeric=range(len(kpis) + 4))
    weights = ", ".join(f"{k} {w:g}" for k, w in ranking.weights.items())
    header = (f"<h1>Site ranking</h1><p class=lead>{len(rows)} sites, a full twin run each, "
              f"ranked by TOPSIS; weights: {esc(weights)}</p>")
    path = out_dir / "sites.html"
    path.write_text(page("Site ranking", header, [("ranking", "Ranking",
                                                   body + figure(png, "scores"))]),
                    encoding="utf-8")
    return path
