"""What a study found, in words: the findings line of a sweep, a Monte Carlo or a site
ranking, which KPIs did not change between runs, and what a KPI means for this scenario.

Pure functions of the study's rows (dicts of values); the pages in
:mod:`ilrs.report.study` put them first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ilrs.study import KPI_UNITS

__all__ = ["cell", "compact", "constant_kpis", "deciding_text", "failed_trials", "kpi_label",
           "kpi_name",
           "montecarlo_findings", "scenario_notes", "short_names", "site_text",
           "sites_findings", "sweep_findings", "varying_kpis"]

#: KPIs equal to this relative tolerance in every run are "constant".
SAME = 1e-9


def cell(value) -> str:
    """A table value: 4 significant digits, thousands separated, large numbers whole."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def compact(value) -> str:
    """A value for a table of many columns: 3–4 significant digits, thousands as k and
    millions as M (``study.parquet`` keeps every digit)."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e4:
        for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= scale:
                return f"{value / scale:.3g}{suffix}"
    return cell(value)


def site_text(row: dict) -> str:
    """A site's coordinates in full (shortest text that gives the float back)."""
    return f"{row['lat_deg']!r}, {row['lon_deg']!r}"


#: The unit suffixes of KPI names, left out where the unit is written beside the value.
_UNIT_SUFFIXES = ("_kwh", "_gb", "_kg", "_pct", "_h")


def kpi_name(kpi: str) -> str:
    """A KPI in words, without the unit suffix of its name (``longest night``)."""
    for suffix in _UNIT_SUFFIXES:
        if kpi.endswith(suffix):
            kpi = kpi.removesuffix(suffix)
            break
    return kpi.replace("_", " ").replace("soc", "SOC")


def kpi_label(kpi: str) -> str:
    """A KPI with its unit: ``longest night [h]``."""
    unit = KPI_UNITS.get(kpi, "")
    return kpi_name(kpi) + (f" [{unit}]" if unit not in ("", "1") else "")


def _same(values: Sequence[float]) -> bool:
    finite = [v for v in values if isinstance(v, float | int) and math.isfinite(v)]
    if len(finite) != len(values):  # NaN in some runs only (no battery yet): a difference
        return all(not (isinstance(v, float | int) and math.isfinite(v)) for v in values)
    lo, hi = min(finite), max(finite)
    return hi - lo <= SAME * max(1.0, abs(hi), abs(lo))


def varying_kpis(rows: Sequence[dict], kpis: Sequence[str]) -> list[str]:
    """The KPIs that differ between runs (in the order given)."""
    return [k for k in kpis if not _same([r.get(k, math.nan) for r in rows])]


def constant_kpis(rows: Sequence[dict], kpis: Sequence[str]) -> dict[str, Any]:
    """KPI → its one value, for the KPIs equal in every run."""
    return {k: rows[0].get(k) for k in kpis if rows and _same([r.get(k, math.nan)
                                                               for r in rows])}


def scenario_notes(scenario, kpis: Sequence[str]) -> list[str]:
    """What a shown KPI means for this scenario (a station without comms loses all data)."""
    notes = []
    if scenario.comms is None and ("data_lost_gb" in kpis or "data_returned_gb" in kpis):
        notes.append("Data lost: this scenario has no communication system (comms: null), so "
                     "every bit its payloads generate stays on the station and is counted as "
                     "lost; data returned is 0. These two KPIs say nothing about the design "
                     "studied here.")
    return notes


def short_names(fields: Sequence[str]) -> dict[str, str]:
    """Each dotted field by its last part (``capacity_wh``), or its whole path where two
    fields share that last part."""
    last = Counter(f.rsplit(".", 1)[-1] for f in fields)
    return {f: f.rsplit(".", 1)[-1] if last[f.rsplit(".", 1)[-1]] == 1 else f for f in fields}


# -- sweeps ----------------------------------------------------------------------------------

_site = site_text


def _group_key(row: dict, others: Sequence[str]) -> tuple:
    return tuple(_site(row) if f == "site" else row[f] for f in others)


def sweep_findings(rows: Sequence[dict], fields: Sequence[str], with_sites: bool) -> list[str]:
    """The findings of a sweep, the conclusion first: where survival is met, for each value
    of the other factors the smallest value of the sizing factor (the one with the most
    values) from which every run survives ("mast_m = 10: capacity_wh ≥ 80,000 survives;
    mast_m = 2: never survives …")."""
    if not rows:
        return ["No runs."]
    n = len(rows)
    survived = [r for r in rows if r.get("survival_ok") == 1.0]
    names = short_names(fields)
    if len(survived) == n:
        return [f"Every one of the {n:,} runs keeps the survival loads powered at every step."]
    if not survived:
        best = min(rows, key=lambda r: r.get("survival_unserved_kwh", math.inf))
        at = ", ".join(f"{names[f]} = {cell(best[f])}" for f in fields)
        if with_sites:
            at += (", " if at else "") + f"site {_site(best)}"
        return [f"No run keeps the survival loads powered: the least survival energy "
                f"unserved is {cell(best['survival_unserved_kwh'])} kWh ({at})."]
    numeric = [f for f in fields if all(isinstance(r[f], float | int) for r in rows)]
    if not numeric:
        return [f"{len(survived):,} of {n:,} runs keep the survival loads powered."]
    sizing = max(numeric, key=lambda f: len({r[f] for r in rows}))
    others = [f for f in fields if f != sizing] + (["site"] if with_sites else [])
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(_group_key(r, others), []).append(r)
    parts = []
    def largest_first(kv) -> list:
        return [(0, -v, "") if isinstance(v, float | int) else (1, 0, str(v)) for v in kv[0]]

    for key, group in sorted(groups.items(), key=largest_first):
        group = sorted(group, key=lambda r: r[sizing])
        where = ", ".join(f"{'site' if f == 'site' else names[f]} = "
                          f"{v if f == 'site' else cell(v)}" for f, v in zip(others, key,
                                                                            strict=True))
        threshold = None
        for i in range(len(group)):
            if all(r.get("survival_ok") == 1.0 for r in group[i:]):
                threshold = group[i][sizing]
                break
        prefix = f"{where}: " if where else ""
        if threshold is None:
            best = min(group, key=lambda r: r.get("survival_unserved_kwh", math.inf))
            parts.append(f"{prefix}never survives ({names[sizing]} up to "
                         f"{cell(group[-1][sizing])}; at best "
                         f"{cell(best['survival_unserved_kwh'])} kWh unserved)")
        elif threshold == group[0][sizing]:
            parts.append(f"{prefix}survives from the smallest {names[sizing]} tried, "
                         f"{cell(threshold)}")
        else:
            parts.append(f"{prefix}{names[sizing]} ≥ {cell(threshold)} survives")
    return ["; ".join(parts) + f" ({len(survived):,} of {n:,} runs survive)."]


# -- Monte Carlo -------------------------------------------------------------------------------

def failed_trials(rows: Sequence[dict]) -> list[dict]:
    """The trials whose survival loads browned out, earliest first brown-out first."""
    failed = [r for r in rows if r.get("survival_ok") == 0.0]
    return sorted(failed, key=lambda r: (r.get("first_brownout_utc") or "~", r["trial"]))


def montecarlo_findings(rows: Sequence[dict], summary: dict, top_input: str | None) -> str:
    """One line: how often the station survived, when and why the failures came, and what
    moves the minimum state of charge most."""
    n = len(rows)
    failed = failed_trials(rows)
    s = summary.get("survival_ok")
    p = f"{100 * s['mean']:.1f} % ± {100 * s['mean_se']:.1f} %" if s and math.isfinite(
        s.get("mean_se", math.nan)) else f"{100 * (n - len(failed)) / max(n, 1):.1f} %"
    text = f"P(survival) = {p}: {n - len(failed):,} of {n:,} trials kept every survival load "
    text += "powered"
    if failed:
        dates = [r["first_brownout_utc"] for r in failed if r.get("first_brownout_utc")]
        causes = Counter(r.get("brownout_cause") or "cause not recorded" for r in failed)
        cause, count = causes.most_common(1)[0]
        first, last = (min(dates)[:10], max(dates)[:10]) if dates else ("", "")
        when = (f" on {first}" if first == last else f" between {first} and {last}") \
            if dates else ""
        text += (f"; the {len(failed):,} that failed first browned out{when}, most often "
                 f"because {cause} ({count:,} of {len(failed):,})")
    if top_input:
        text += f"; what moves the minimum state of charge most: {top_input}"
    return text + "."


# -- site ranking ------------------------------------------------------------------------------

def _unit(kpi: str) -> str:
    unit = KPI_UNITS.get(kpi, "")
    return "" if unit in ("", "1") else f" {unit}"


def _delta(d: dict) -> str:
    return f"{kpi_name(d['kpi'])} {cell(d['better'])} vs {cell(d['worse'])}{_unit(d['kpi'])}"


def deciding_text(row: dict) -> str:
    """The criteria that put this site above the next one, in words."""
    return "; ".join(_delta(d) for d in row.get("deciding", ())) or "tied within resolution"


def sites_findings(rows: Sequence[dict], tied: Sequence[str],
                   resolution: dict[str, float]) -> str:
    """One line: the best site, what decided it, and the criteria that decide nothing."""
    if not rows:
        return "No sites."
    best = rows[0]
    firsts = [r for r in rows if r["rank"] == 1]
    if len(firsts) > 1:
        text = (f"{len(firsts)} sites tie for first ("
                + ", ".join(_site(r) for r in firsts) + ")")
    else:
        text = f"Best site {_site(best)} (score {best['score']:.3f})"
        if len(rows) > 1:
            text += f", ahead of {_site(rows[1])} by {deciding_text(best)}"
    if tied:
        text += ("; every site is within the resolution on "
                 + ", ".join(f"{kpi_name(k)} (±{resolution[k]:g}{_unit(k)})" for k in tied)
                 + ", which therefore decides nothing")
    return text + "."
