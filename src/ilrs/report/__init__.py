"""Reports: figures (matplotlib) and summaries of a run, written under one output folder."""

from ilrs.report.lighting import plot_horizon_tracks, plot_lighting_map, plot_lighting_timeline
from ilrs.report.sky import SkySummary, sky_summary, write_sky_report
from ilrs.report.twin import twin_figures, write_twin_report

__all__ = [
    "SkySummary",
    "plot_horizon_tracks",
    "plot_lighting_map",
    "plot_lighting_timeline",
    "sky_summary",
    "twin_figures",
    "write_sky_report",
    "write_twin_report",
]
