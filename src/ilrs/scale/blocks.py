"""Split seeded work into fixed blocks, each with its own random stream.

A study of ``n_items`` (trials, map tiles, …) is cut into blocks of a fixed size, and block
``i`` always draws from the stream ``SeedSequence(seed, spawn_key=(i,))``. However the blocks
are then grouped into chunks and spread over workers, every item sees the same random
numbers, so the results are identical for the same seed.

>>> [(b.index, b.start, b.stop) for b in split_blocks(25, block_size=10)]
[(0, 0, 10), (1, 10, 20), (2, 20, 25)]
>>> float(block_rng(7, 1).random()) == float(block_rng(7, 1).random())
True
>>> [len(c) for c in group(split_blocks(25, block_size=10), per_chunk=2)]
[2, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError

__all__ = ["Block", "block_rng", "group", "split_blocks"]


@dataclass(frozen=True)
class Block:
    """Items ``start`` … ``stop - 1`` of a study; ``index`` names its random stream."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def split_blocks(n_items: int, *, block_size: int) -> list[Block]:
    """Cut ``n_items`` into consecutive blocks of ``block_size`` (the last may be shorter)."""
    if n_items < 1:
        raise InputError("number of items", n_items, "an integer >= 1")
    if block_size < 1:
        raise InputError("block size", block_size, "an integer >= 1")
    return [
        Block(i, start, min(start + block_size, n_items))
        for i, start in enumerate(range(0, n_items, block_size))
    ]


def block_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of block ``index`` of a study seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def group(blocks: Sequence[Block], *, per_chunk: int) -> list[list[Block]]:
    """Group consecutive blocks into chunks of ``per_chunk`` blocks (one task each)."""
    if per_chunk < 1:
        raise InputError("blocks per chunk", per_chunk, "an integer >= 1")
    return [list(blocks[i : i + per_chunk]) for i in range(0, len(blocks), per_chunk)]
