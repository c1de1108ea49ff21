"""What the CFDP tests share: a science file of random bytes and a pair of simulated links
(256 kbit/s down, 64 kbit/s up, 1.3 s light time each way)."""

from __future__ import annotations

import numpy as np

from ilrs.ops.tmtc.channel import SimulatedLink

RATE_BIT_S = 256_000.0
LIGHT_S = 1.3


def links(loss: float, outages=(), seed: int = 1) -> tuple[SimulatedLink, SimulatedLink]:
    """(downlink, uplink) losing ``loss`` of their frames, down during ``outages``."""
    return (SimulatedLink(rate_bit_s=RATE_BIT_S, delay_s=LIGHT_S, loss=loss, outages=outages,
                          seed=seed),
            SimulatedLink(rate_bit_s=64_000.0, delay_s=LIGHT_S, loss=loss, outages=outages,
                          seed=seed + 1))  # fmt: skip


def science_file(tmp_path, size: int):
    """``tmp_path/science.bin`` of ``size`` random bytes (seeded by the size): (path, bytes)."""
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "science.bin"
    path.write_bytes(data)
    return path, data
