"""Shared fixtures: the sky engine over the default kernels and SPICE over the same files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ilrs.sky import Sky
from ilrs.sky.kernels import default_kernel_paths

#: ``../shared`` beside the repository: real LOLA data (CI has it; tests skip without it).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def sky() -> Sky:
    return Sky()


@pytest.fixture(scope="session")
def spice():
    """SpiceyPy with the DE421 SPK, the Moon PA DE421 PCK and moon_080317.tf furnished."""
    sp = pytest.importorskip("spiceypy")
    for path in default_kernel_paths().values():
        sp.furnsh(str(path))
    yield sp
    sp.kclear()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20300101)
