"""Reports: figures (matplotlib) and summaries of a run, written under one output folder."""

from ilrs.report.sky import SkySummary, sky_summary, write_sky_report

__all__ = ["SkySummary", "sky_summary", "write_sky_report"]
