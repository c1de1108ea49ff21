"""Run a function over many independent chunks: in this process or on a Dask cluster.

``scheduler`` chooses where:

* ``"inline"`` — in this process, one chunk after the other (no Dask);
* ``None`` or ``"local"`` — a ``dask.distributed.LocalCluster`` of worker processes bound to
  127.0.0.1, started for the call and closed after it;
* an address such as ``"tcp://10.0.0.5:8786"`` — an existing Dask scheduler;
* a ``distributed.Client`` — reuse a client the caller manages.

Results come back in the order of the chunks. ``func`` must be picklable (a module-level
function, or ``functools.partial`` of one) when it runs on a cluster.

>>> map_chunks(abs, [-1, 2, -3], scheduler="inline", progress=False)
[1, 2, 3]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["INLINE", "LOCAL", "local_cluster", "map_chunks"]

INLINE = "inline"
LOCAL = "local"


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=True,
    )


def local_cluster(n_workers: int, *, processes: bool = True):
    """A ``distributed.LocalCluster`` on 127.0.0.1 only: ``n_workers`` single-threaded
    workers, no dashboard, and its HTTP endpoint on a free local port (never 8787, so it
    does not clash with a cluster already running). Close it (or use ``with``) when done."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=processes,
        host="127.0.0.1",
        protocol="tcp://",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )


def map_chunks(
    func: Callable[[Any], Any],
    chunks: Iterable[Any],
    scheduler: Any = None,
    progress: bool = True,
    *,
    n_workers: int | None = None,
    processes: bool = True,
    description: str = "chunks",
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[func(c) for c in chunks]``, run where ``scheduler`` says (see the module doc);
    ``on_result(i, result)`` is called as each chunk finishes (in completion order), e.g.
    to save it so an interrupted study resumes."""
    chunks = list(chunks)
    if scheduler == INLINE:
        results = []
        with _progress(progress) as bar:
            task = bar.add_task(description, total=len(chunks))
            for i, chunk in enumerate(chunks):
                results.append(func(chunk))
                if on_result is not None:
                    on_result(i, results[-1])
                bar.advance(task)
        return results
    from distributed import Client

    with ExitStack() as stack:
        if isinstance(scheduler, Client):
            client = scheduler
        elif scheduler is None or scheduler == LOCAL:
            workers = n_workers or max(1, min(len(chunks), os.cpu_count() or 1))
            cluster = stack.enter_context(local_cluster(workers, processes=processes))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(str(scheduler)))
        return _run_on(client, func, chunks, progress, description, on_result)


def _run_on(client, func, chunks, progress, description, on_result=None) -> list[Any]:
    from distributed import as_completed

    futures = client.map(func, chunks, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    with _progress(progress) as bar:
        task = bar.add_task(description, total=len(futures))
        for done in as_completed(futures):
            if on_result is not None:
                on_result(index[done.key], done.result())
            bar.advance(task)
    results = client.gather(futures)
    for future in futures:
        future.release()
    return results
