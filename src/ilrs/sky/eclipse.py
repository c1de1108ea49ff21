"""Eclipse geometry: the overlap of two disks on the sky, exact on the sphere.

Two bodies seen from a point are two spherical caps of angular radii ``a`` and ``b`` whose
centres are ``c`` apart. Their common area has a closed form (Tovchigrechko & Vakser
2001, Protein Sci. 10, 1572, eq. 2; also Mazur 1984 for the sphere–sphere case); the
fraction of the Sun hidden by the Earth is that area over the Sun's cap area
2π(1 − cos a). The solar disk is treated as uniformly bright (no limb darkening).
"""

from __future__ import annotations

import numpy as np


def cap_area_sr(radius_rad: np.ndarray) -> np.ndarray:
    """Solid angle of a spherical cap of angular radius ``radius_rad``, steradians."""
    return 4.0 * np.pi * np.sin(np.asarray(radius_rad) / 2.0) ** 2


def cap_overlap_sr(a_rad, b_rad, separation_rad) -> np.ndarray:
    """Solid angle common to two spherical caps (radii ``a``, ``b``, centres ``c`` apart).

    >>> float(cap_overlap_sr(0.1, 0.1, 0.3))
    0.0
    >>> bool(np.isclose(cap_overlap_sr(0.01, 0.02, 0.0), cap_area_sr(0.01)))
    True
    """
    a, b, c = np.broadcast_arrays(
        np.asarray(a_rad, float), np.asarray(b_rad, float), np.asarray(separation_rad, float)
    )
    out = np.zeros(a.shape)
    inside = c <= np.abs(a - b)
    out[inside] = cap_area_sr(np.minimum(a, b)[inside])
    lens = (c < a + b) & ~inside
    if lens.any():
        a, b, c = a[lens], b[lens], c[lens]
        ca, cb, cc = np.cos(a), np.cos(b), np.cos(c)
        sa, sb, sc = np.sin(a), np.sin(b), np.sin(c)
        t_c = np.arccos(np.clip((cc - ca * cb) / (sa * sb), -1.0, 1.0))
        t_a = np.arccos(np.clip((cb - ca * cc) / (sa * sc), -1.0, 1.0))
        t_b = np.arccos(np.clip((ca - cb * cc) / (sb * sc), -1.0, 1.0))
        out[lens] = 2.0 * (np.pi - t_c - ca * t_a - cb * t_b)
    return out


def hidden_fraction(sun_radius_rad, occulter_radius_rad, separation_rad) -> np.ndarray:
    """Fraction (0–1) of the solar disk hidden by an occulting disk, uniformly bright.

    >>> float(hidden_fraction(0.0045, 0.0165, 0.0))
    1.0
    >>> float(hidden_fraction(0.0045, 0.0165, 0.03))
    0.0
    """
    sun = np.asarray(sun_radius_rad, float)
    fraction = cap_overlap_sr(sun, occulter_radius_rad, separation_rad) / cap_area_sr(sun)
    return np.clip(fraction, 0.0, 1.0)


def separation_rad(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between vectors ``u`` and ``v`` (N, 3), radians; stable at small angles."""
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.einsum("ij,ij->i", u, v)
    return np.arctan2(cross, dot)
