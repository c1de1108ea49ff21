"""The campaign Gantt chart: missions on a timeline by phase and status, slips as arrows.

Each mission is a bar from its launch (actual, else latest plan) to its end (actual, else
arrival plus half a year), coloured by phase; planned missions are hatched, failed ones
marked with a cross. An arrow runs from the first announced launch date to the latest one,
so slips are visible at a glance. ``.png`` and ``.svg`` files are written by matplotlib;
``.html`` is a self-contained page holding the SVG.
"""

from __future__ import annotations

import io
from html import escape
from pathlib import Path

from ilrs.campaign.dates import decimal_year, to_mjd
from ilrs.campaign.model import Roadmap
from ilrs.errors import InputError

__all__ = ["PHASE_COLOURS", "gantt_figure", "write_gantt"]

PHASE_COLOURS = {
    "reconnaissance": "#4c78a8",
    "construction-1": "#f58518",
    "construction-2": "#e45756",
    "construction": "#f58518",
    "utilization": "#54a24b",
}
_STATUS_STYLE = {
    "planned": {"alpha": 0.45, "hatch": "//"},
    "in_flight": {"alpha": 0.8, "hatch": ".."},
    "success": {"alpha": 0.95, "hatch": None},
    "partial": {"alpha": 0.7, "hatch": "xx"},
    "failed": {"alpha": 0.35, "hatch": None},
    "cancelled": {"alpha": 0.15, "hatch": None},
}
_SHOW_DAYS = 182.0


def gantt_figure(roadmap: Roadmap):
    """A matplotlib ``Figure`` of the roadmap's missions."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    missions = roadmap.missions
    fig = Figure(figsize=(12, 0.45 * len(missions) + 2.2), layout="constrained")
    ax = fig.add_subplot()
    for phase in roadmap.phases:
        spans = phase.stages or [phase]
        for span in spans:
            start = span.start_year
            end = (span.end_year or start + 5) + 1
            colour = PHASE_COLOURS.get(span.id, "#999999")
            ax.axvspan(start, end, color=colour, alpha=0.07, lw=0)
            ax.text((start + end) / 2, -0.9, span.name, ha="center", va="bottom", fontsize=8,
                    color=colour)
    for row, m in enumerate(missions):
        start = decimal_year(to_mjd(m.launch_date))
        stop_mjd = to_mjd(m.ended) if m.ended else roadmap.arrival_mjd(m) + _SHOW_DAYS
        stop = decimal_year(stop_mjd)
        colour = PHASE_COLOURS.get(m.phase, "#999999")
        style = _STATUS_STYLE[m.status]
        ax.barh(row, max(stop - start, 0.08), left=start, height=0.55, color=colour,
                alpha=style["alpha"], hatch=style["hatch"], edgecolor=colour, lw=0.8)
        if m.status == "failed":
            ax.plot(start, row, marker="X", color="black", ms=9)
        ax.text(stop + 0.25, row, m.status, va="center", fontsize=7, color="#444444")
        first = decimal_year(to_mjd(m.first_announced_date))
        if abs(start - first) > 0.05:
            ax.annotate("", xy=(start, row - 0.36), xytext=(first, row - 0.36),
                        arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.0})
            ax.plot(first, row - 0.36, marker="|", color="black", ms=6)
    as_of = decimal_year(roadmap.as_of)
    ax.axvline(as_of, color="black", ls=":", lw=1)
    ax.text(as_of, -0.55, f" data as of {roadmap.as_of}", fontsize=7, va="center")
    starts = [decimal_year(to_mjd(m.first_announced_date)) for m in missions]
    starts += [decimal_year(to_mjd(m.launch_date)) for m in missions]
    ax.set_xlim(min(starts) - 0.6, ax.get_xlim()[1])
    ax.set_yticks(range(len(missions)), [m.id for m in missions])
    ax.set_ylim(len(missions) - 0.3, -1.1)
    ax.set_xlabel("year")
    ax.set_title(roadmap.name + " — missions, phases and slips (arrow: first announced → latest)")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=PHASE_COLOURS[k], label=k) for k in
               ("reconnaissance", "construction-1", "construction-2", "utilization")]
    handles += [Patch(facecolor="white", edgecolor="grey", hatch="//", label="planned")]
    ax.legend(handles=handles, loc="lower left", fontsize=7, ncols=5)
    return fig


def write_gantt(roadmap: Roadmap, out: str | Path) -> Path:
    """Write the chart to ``out`` (``.png``, ``.svg`` or ``.html``); returns the path."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg", ".html"):
        raise InputError("gantt output file", str(out), "a .png, .svg or .html path")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = gantt_figure(roadmap)
    if suffix == ".html":
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        title = escape(roadmap.name)
        out.write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{buffer.getvalue()}</body></html>\n",
            encoding="utf-8",
        )
    else:
        fig.savefig(out, dpi=120, metadata={"Software": None} if suffix == ".png" else None)
    return out
