"""A study on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, started here; the same study gives identical rows there, on a local cluster and
in this process."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ilrs.station import load_scenario
from ilrs.study import sweep

distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not DASK.exists():
        pytest.skip(f"no dask command beside {sys.executable}")
    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = [subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
         "--dashboard-address", "127.0.0.1:0"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                 "--no-dashboard", "--local-directory", str(folder)],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # the client retries the connection until the scheduler listens (or 60 s pass)
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=30)
            if p.poll() is None:
                p.kill()


def test_sweep_on_a_started_cluster_equals_inline(cluster, tmp_path):
    s = load_scenario(None)
    s = s.model_copy(update={"period": s.period.model_copy(update={"stop": "2031-09-15"})})
    values = {"batteries.battery-1.capacity_wh": [2e5, 4e5],
              "solar_arrays.array-1a.area_m2": [20.0, 35.0]}
    remote = sweep(s, values, scheduler=cluster, progress=False, out_dir=tmp_path / "r")
    inline = sweep(s, values, scheduler="inline", progress=False)
    assert _same(remote.rows, inline.rows)
    assert len(remote.rows) == 4


def _same(rows, other) -> bool:
    """Equal rows, NaN equal to NaN (a KPI without a value: e.g. the minimum SOC of a
    trial whose battery lands after the period; NaNs from other processes are other
    objects, which ``==`` on dicts would call different)."""
    return json.dumps(rows, sort_keys=True) == json.dumps(other, sort_keys=True)


def _short(stop: str):
    s = load_scenario(None)
    return s.model_copy(update={"period": s.period.model_copy(update={"stop": stop})})


def test_size_montecarlo_and_sites_on_the_cluster(cluster):
    from ilrs.study import size
    from ilrs.study.montecarlo import montecarlo
    from ilrs.study.sites import rank_sites

    example = Path(__file__).resolve().parents[1] / "examples" / "survival-1kw.yaml"
    sc = load_scenario(example)
    sc = sc.model_copy(update={"period": sc.period.model_copy(update={"stop": "2031-10-31"})})
    remote = size(sc, "batteries.battery-1.capacity_wh", "survival", scheduler=cluster)
    inline = size(sc, "batteries.battery-1.capacity_wh", "survival")
    assert remote.met and (remote.value, remote.runs) == (inline.value, inline.runs)
    mc = montecarlo(_short("2031-12-31"), 4, seed=2, scheduler=cluster, progress=False)
    assert _same(mc.rows, montecarlo(_short("2031-12-31"), 4, seed=2, scheduler="inline",
                                     progress=False).rows)
    ideal = _short("2031-08-20")
    ideal = ideal.model_copy(update={"site": ideal.site.model_copy(update={
        "horizon": "ideal", "height_m": 0.0})})
    sites = [(-89.5, 0.0), (-88.0, 45.0)]
    r = rank_sites(ideal, sites, scheduler=cluster, progress=False)
    assert r.rows == rank_sites(ideal, sites, scheduler="inline", progress=False).rows


def test_montecarlo_on_a_local_cluster_equals_inline():
    local = montecarlo_rows(None)
    assert _same(local, montecarlo_rows("inline"))


def montecarlo_rows(scheduler):
    from ilrs.study.montecarlo import montecarlo

    return montecarlo(_short("2031-11-30"), 3, seed=5, scheduler=scheduler,
                      progress=False).rows
