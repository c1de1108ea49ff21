"""Reports: figures (matplotlib) and summaries of a run, written under one output folder."""

from ilrs.report.lighting import plot_horizon_tracks, plot_lighting_map, plot_lighting_timeline
from ilrs.report.sky import SkySummary, sky_summary, write_sky_report

__all__ = [
    "SkySummary",
    "plot_horizon_tracks",
    "plot_lighting_map",
    "plot_lighting_timeline",
    "sky_summary",
    "write_sky_report",
]
