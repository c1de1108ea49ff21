"""What-if questions over many twin runs: sweeps, sizing, Monte Carlo and site ranking.

Every study drives full runs of :class:`ilrs.station.Twin` built from one base scenario,
varying dotted fields of it (:mod:`ilrs.study.fields`), the site, or the campaign's launch
dates; runs at the same site share their geometry and per-step arrays, and go to Dask
through :mod:`ilrs.scale` (a local cluster by default, ``scheduler=ADDRESS`` for a real one).
"""

from ilrs.study.fields import get_field, parse_range, set_fields
from ilrs.study.runner import KPI_UNITS, Job, StudyBase, flat_kpis, run_job
from ilrs.study.size import Goal, SizeResult, size
from ilrs.study.sweep import SweepResult, sweep, sweep_jobs

__all__ = [
    "KPI_UNITS",
    "Goal",
    "Job",
    "SizeResult",
    "StudyBase",
    "SweepResult",
    "flat_kpis",
    "get_field",
    "parse_range",
    "run_job",
    "set_fields",
    "size",
    "sweep",
    "sweep_jobs",
]
