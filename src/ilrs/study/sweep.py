"""Full-factorial sweeps: every combination of the varied fields (and sites), one twin run
each, as a table of the varied values and every KPI.

>>> from ilrs.station import load_scenario
>>> s = load_scenario(None)
>>> jobs = sweep_jobs({"site.mast_m": [2.0, 10.0], "batteries.battery-1.capacity_wh": [2e5]})
>>> [j.values for j in jobs]
[{'site.mast_m': 2.0, 'batteries.battery-1.capacity_wh': 200000.0}, \
{'site.mast_m': 10.0, 'batteries.battery-1.capacity_wh': 200000.0}]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ilrs.errors import InputError
from ilrs.station import Scenario
from ilrs.study.engine import run_jobs
from ilrs.study.fields import get_field, set_fields
from ilrs.study.runner import KPI_UNITS, Job, StudyBase

__all__ = ["SweepResult", "sweep", "sweep_jobs"]

#: The most runs one sweep may ask for (a typo in a range should not start a week of work).
MAX_RUNS = 100_000


@dataclass
class SweepResult:
    """The rows of a sweep (one per run: varied values, site, KPIs) and what was varied."""

    fields: list[str]
    sites: list[tuple[float, float]]
    rows: list[dict[str, Any]]
    base: StudyBase

    def table(self):
        """The rows as a pandas-free pyarrow Table (columns: fields, site, KPIs)."""
        import pyarrow as pa

        columns = list(self.fields)
        if self.sites:
            columns += ["lat_deg", "lon_deg"]
        columns += list(KPI_UNITS)
        return pa.table({c: [row.get(c) for row in self.rows] for c in columns})

    def write(self, out_dir: Path) -> Path:
        """``study.parquet`` in ``out_dir`` (units in the schema metadata)."""
        import pyarrow.parquet as pq

        table = self.table()
        meta = {f"unit:{k}": v for k, v in KPI_UNITS.items()}
        meta["fields"] = ",".join(self.fields)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
        path = out_dir / "study.parquet"
        pq.write_table(table, path)
        return path


def sweep_jobs(values: dict[str, Sequence[float]],
               sites: Sequence[tuple[float, float]] = ()) -> list[Job]:
    """One job per combination of ``values`` (× each site, if any)."""
    fields = list(values)
    n = 1
    for v in values.values():
        n *= len(v)
    n *= max(1, len(sites))
    if n > MAX_RUNS:
        raise InputError("sweep", f"{n:,} runs", f"at most {MAX_RUNS:,} runs")
    combos = itertools.product(*(values[f] for f in fields))
    out = []
    for combo in combos:
        vals = {f: float(x) for f, x in zip(fields, combo, strict=True)}
        for site in sites or [None]:
            out.append(Job(values=vals, site=site))
    return out


def sweep(scenario: Scenario, values: dict[str, Sequence[float]], *,
          sites: Sequence[tuple[float, float]] = (), dems: Sequence[str] = (),
          out_dir: Path | None = None, scheduler: Any = None,
          progress: bool = True) -> SweepResult:
    """Run the full factorial of ``values`` (and ``sites``); rows saved as they finish in
    ``out_dir`` so a rerun resumes."""
    if not values and not sites:
        raise InputError("sweep", "nothing varied", "at least one --vary or --site")
    for field, vals in values.items():
        get_field(scenario, field)             # an unknown field fails before any run
        set_fields(scenario, {field: vals[0]})  # and so does a value it cannot take
    base = StudyBase.of(scenario, dems)
    jobs = sweep_jobs(values, sites)
    rows = run_jobs(base, jobs, out_dir=out_dir, scheduler=scheduler, progress=progress,
                    description="sweep")
    return SweepResult(list(values), list(sites), rows, base)
