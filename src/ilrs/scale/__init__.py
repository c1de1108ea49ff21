"""Run many independent, seeded jobs: in process, on a local Dask cluster or a real one.

Cut the work into fixed :class:`Block` s (each with its own random stream, see
:func:`block_rng`), group them into chunks and hand them to :func:`map_chunks`; for the same
seed the results do not depend on how the work was partitioned or where it ran.
"""

from ilrs.scale.blocks import Block, block_rng, group, split_blocks
from ilrs.scale.dask_map import INLINE, LOCAL, local_cluster, map_chunks

__all__ = [
    "INLINE",
    "LOCAL",
    "Block",
    "block_rng",
    "group",
    "local_cluster",
    "map_chunks",
    "split_blocks",
]
