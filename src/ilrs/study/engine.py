"""Run a study's jobs on Dask (or inline), saving each finished run so a rerun resumes.

Jobs are grouped into chunks of runs at the same site (a worker computes a site's geometry
once and keeps it, see :mod:`ilrs.study.runner`); each chunk's rows are appended to
``DIR/runs.jsonl`` as it finishes. A study interrupted and started again with the same
``DIR`` runs only what is missing: a row is reused when its run key (the job) and the study
base key (the scenario, period and DEMs) both match.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from ilrs.errors import InputError
from ilrs.scale import INLINE, LOCAL, local_cluster, map_chunks
from ilrs.study.runner import Job, StudyBase, run_job, series_path

__all__ = ["RUNS_FILE", "cluster", "run_jobs"]

RUNS_FILE = "runs.jsonl"
#: Folder of ``out_dir`` with each run's binned time series, when asked for.
SERIES_DIR = "series"


def _run_chunk(base: StudyBase, jobs: list[Job],
               series_dir: str | None = None) -> list[dict[str, Any]]:
    return [run_job(base, job, series_dir) for job in jobs]


def _finished(path: Path, base_key: str) -> dict[str, dict]:
    """Rows already in ``runs.jsonl`` for this base (a torn last line is ignored)."""
    rows: dict[str, dict] = {}
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if row.get("base") == base_key:
                rows[row["key"]] = row["row"]
    return rows


def _chunks(jobs: list[Job], per_chunk: int) -> list[list[Job]]:
    """Runs of one site together, ``per_chunk`` at most per chunk."""
    by_site: dict[Any, list[Job]] = {}
    for job in jobs:
        by_site.setdefault(job.site, []).append(job)
    out = []
    for same in by_site.values():
        out += [same[i:i + per_chunk] for i in range(0, len(same), per_chunk)]
    return out


@contextmanager
def cluster(scheduler: Any = None, n_workers: int | None = None) -> Iterator[Any]:
    """A scheduler to pass to :func:`run_jobs` many times: ``"inline"`` as it is, else a
    ``distributed.Client`` of a local cluster (``None``) or of a running scheduler, kept
    open for the whole block (its workers keep their sites' geometry between calls)."""
    if scheduler == INLINE:
        yield scheduler
        return
    from distributed import Client

    with ExitStack() as stack:
        if scheduler is None or scheduler == LOCAL:
            workers = n_workers or os.cpu_count() or 1
            local = stack.enter_context(local_cluster(workers))
            yield stack.enter_context(Client(local))
        else:
            yield stack.enter_context(Client(str(scheduler)))


def run_jobs(base: StudyBase, jobs: list[Job], *, out_dir: Path | None = None,
             scheduler: Any = None, progress: bool = True, per_chunk: int | None = None,
             description: str = "twin runs", series: bool = False) -> list[dict[str, Any]]:
    """The row of every job (in the order given): finished ones read back from
    ``out_dir``, the others run where ``scheduler`` says (``"inline"``, ``None`` for a
    local cluster, or a scheduler address). With ``series``, each run's binned time series
    is kept in ``out_dir/series`` (a finished run without one is run again)."""
    if not jobs:
        raise InputError("study", "no runs", "at least one run")
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise InputError("study", "the same run twice", "distinct values of each field")
    base_key = base.key
    done: dict[str, dict] = {}
    path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / RUNS_FILE
        done = _finished(path, base_key)
    series_dir = None
    if series:
        if out_dir is None:
            raise InputError("--series", "no output folder", "an --out folder to write to")
        series_dir = str(out_dir / SERIES_DIR)
    todo = [job for job in jobs if job.key not in done
            or (series_dir is not None and not series_path(series_dir, job).exists())]
    if todo:
        workers = os.cpu_count() or 1
        size = per_chunk or max(1, min(10, math.ceil(len(todo) / (4 * workers))))
        chunks = _chunks(todo, size)

        def save(_: int, rows: list[dict]) -> None:
            for row in rows:
                done[row["key"]] = row
            if path is not None:
                with path.open("a", encoding="utf-8") as f:
                    for row in rows:
                        f.write(json.dumps({"base": base_key, "key": row["key"],
                                            "row": row}) + "\n")
                    f.flush()
                    os.fsync(f.fileno())

        map_chunks(partial(_run_chunk, base, series_dir=series_dir), chunks,
                   scheduler=scheduler, progress=progress, description=description,
                   on_result=save)
    return [done[key] for key in keys]
