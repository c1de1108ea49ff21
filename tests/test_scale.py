"""ilrs.scale: seeded blocks, and Dask runs equal to the single-process run for a seed."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import numpy as np
import pytest

from ilrs.campaign import Roadmap, schedule_risk
from ilrs.errors import InputError
from ilrs.scale import block_rng, group, local_cluster, map_chunks, split_blocks


def _block_sums(seed: int, blocks) -> list[float]:
    return [float(block_rng(seed, b.index).random(b.size).sum()) for b in blocks]


def test_blocks_cover_the_items_once():
    blocks = split_blocks(1_003, block_size=100)
    assert blocks[0].start == 0 and blocks[-1].stop == 1_003
    assert all(a.stop == b.start for a, b in pairwise(blocks))
    assert sum(b.size for b in blocks) == 1_003
    for bad in (0, -5):
        with pytest.raises(InputError):
            split_blocks(bad, block_size=10)


def test_streams_depend_on_seed_and_block_only():
    a = block_rng(5, 3).random(4)
    assert np.array_equal(a, block_rng(5, 3).random(4))
    assert not np.array_equal(a, block_rng(5, 4).random(4))
    assert not np.array_equal(a, block_rng(6, 3).random(4))


def test_grouping_does_not_change_inline_results():
    blocks = split_blocks(50, block_size=7)
    flat = [x for part in map_chunks(partial(_block_sums, 1), group(blocks, per_chunk=1),
                                     scheduler="inline", progress=False) for x in part]
    coarse = [x for part in map_chunks(partial(_block_sums, 1), group(blocks, per_chunk=3),
                                       scheduler="inline", progress=False) for x in part]
    assert flat == coarse


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = local_cluster(2, processes=True)
    client = distributed.Client(cluster)
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    yield client
    client.close()
    cluster.close()


def test_dask_map_equals_inline(client):
    blocks = split_blocks(40, block_size=6)
    chunks = group(blocks, per_chunk=2)
    inline = map_chunks(partial(_block_sums, 9), chunks, scheduler="inline", progress=False)
    on_dask = map_chunks(partial(_block_sums, 9), chunks, scheduler=client, progress=False)
    assert on_dask == inline


def test_dask_by_address_equals_inline(client):
    chunks = group(split_blocks(12, block_size=5), per_chunk=1)
    inline = map_chunks(partial(_block_sums, 2), chunks, scheduler="inline", progress=False)
    by_address = map_chunks(partial(_block_sums, 2), chunks, scheduler=client.scheduler.address,
                            progress=False)
    assert by_address == inline


def test_schedule_risk_on_dask_equals_single_process(client):
    roadmap = Roadmap.load_builtin()
    inline = schedule_risk(roadmap, trials=35_000, seed=21)
    on_dask = schedule_risk(roadmap, trials=35_000, seed=21, scheduler=client, blocks_per_chunk=2)
    assert np.array_equal(inline.counts, on_dask.counts)
    assert inline.mission_percentiles() == on_dask.mission_percentiles()


def test_local_cluster_started_and_closed_by_map_chunks():
    chunks = group(split_blocks(9, block_size=3), per_chunk=1)
    inline = map_chunks(partial(_block_sums, 4), chunks, scheduler="inline", progress=False)
    local = map_chunks(partial(_block_sums, 4), chunks, scheduler="local", progress=False,
                       n_workers=2, processes=False)
    assert local == inline


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory):
    """A real ``dask scheduler`` and ``dask worker`` as separate processes on 127.0.0.1."""
    from conftest import dask_cluster

    with dask_cluster(tmp_path_factory.mktemp("cluster"), n_workers=1) as address:
        yield address


def test_polar_products_on_a_real_scheduler_and_worker(real_cluster, lunar_dems, tmp_path):
    """Tiles with halos on separate dask processes give the same products as inline, and
    the finished tiles a rerun finds are not recomputed."""
    from ilrs.lighting.products import ProductGrid, polar_products
    from ilrs.terrain import as_dems

    dems = lunar_dems[1:]
    grid = ProductGrid.square(as_dems(dems)[0], -89.6374, 199.73, 0.96, 240.0)
    args = (dems, grid, "2030-01-01", "2030-02-01", 6 * 3600.0)
    inline = polar_products(*args, scheduler="inline", tile_px=2, progress=False)
    on_cluster = polar_products(*args, scheduler=real_cluster, tile_px=2, progress=False,
                                work_dir=tmp_path)
    np.testing.assert_allclose(on_cluster.sun_any_pct.values, inline.sun_any_pct.values)
    np.testing.assert_array_equal(on_cluster.psr.values, inline.psr.values)
    tiles = sorted(tmp_path.glob("tiles-*/tile-*.npz"))
    assert len(tiles) == 4
    stamps = [p.stat().st_mtime_ns for p in tiles]
    again = polar_products(*args, scheduler=real_cluster, tile_px=2, progress=False,
                           work_dir=tmp_path)
    np.testing.assert_allclose(again.sun_any_pct.values, inline.sun_any_pct.values)
    assert [p.stat().st_mtime_ns for p in tiles] == stamps
