"""A study on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, started here; the same study gives identical rows there, on a local cluster and
in this process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import dask_cluster
from ilrs.station import load_scenario
from ilrs.study import sweep

distributed = pytest.importorskip("distributed")

@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A started ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    with dask_cluster(tmp_path_factory.mktemp("dask"), n_workers=2) as address:
        yield address


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
