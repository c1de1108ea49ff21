"""Component physics: solar arrays, radioisotope generators, link budgets, ISRU.

Pure vectorized functions in SI units (W, J, K, m, s, bit/s); the scenario models in
:mod:`ilrs.station.config` hold the parameters, :mod:`ilrs.station.build` applies these
functions per time step. Thermal nodes and the regolith are in :mod:`ilrs.station.thermal`
and :mod:`ilrs.station.regolith`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "AU_M",
    "BOLTZMANN_DBW_PER_K_HZ",
    "J_PER_KWH",
    "SOLAR_CONSTANT_W_M2",
    "dish_gain_dbi",
    "free_space_loss_db",
    "link_rate_bit_s",
    "o2_mass_kg",
    "rtg_power_w",
    "solar_array_power_w",
]

#: Total solar irradiance at 1 au, W/m² (Kopp & Lean 2011, GRL 38, L01706: 1360.8 ± 0.5).
SOLAR_CONSTANT_W_M2 = 1361.0
#: The astronomical unit, m (IAU 2012 Resolution B2).
AU_M = 149_597_870_700.0
#: Boltzmann's constant in dB(W/K/Hz): 10 log10(1.380649e-23) (SI 2019 exact value).
BOLTZMANN_DBW_PER_K_HZ = 10.0 * math.log10(1.380649e-23)
SPEED_OF_LIGHT_M_S = 299_792_458.0
J_PER_KWH = 3.6e6
J_PER_WH = 3600.0
SECONDS_PER_YEAR = 365.25 * 86400.0


def solar_array_power_w(
    sun_fraction, sun_elevation_rad, sun_azimuth_rad, sun_distance_m, *, area_m2: float,
    efficiency: float, mount: str = "tracking", azimuth_deg: float = 0.0,
) -> np.ndarray:
    """Electric power of a vertical solar array, W (before degradation).

    ``sun_fraction`` is the visible part of the solar disk (terrain and eclipses, from
    :mod:`ilrs.lighting`); a ``tracking`` array turns about its vertical axis so the
    incidence cosine is ``cos(elevation)``; a fixed ``vertical`` one facing ``azimuth_deg``
    gets ``cos(elevation) · max(0, cos(Δazimuth))``.

    >>> round(float(solar_array_power_w(1.0, 0.0, 0.0, AU_M, area_m2=35, efficiency=0.21)))
    10003
    >>> float(solar_array_power_w(0.0, 0.0, 0.0, AU_M, area_m2=35, efficiency=0.21))
    0.0
    """
    cos_inc = np.cos(sun_elevation_rad) * np.ones_like(np.asarray(sun_azimuth_rad, float))
    if mount == "vertical":
        cos_inc = cos_inc * np.maximum(0.0, np.cos(sun_azimuth_rad - math.radians(azimuth_deg)))
    irradiance = SOLAR_CONSTANT_W_M2 * (AU_M / np.asarray(sun_distance_m, float)) ** 2
    return np.maximum(0.0, area_m2 * efficiency * irradiance * np.asarray(sun_fraction) * cos_inc)


def degradation_factor(years, per_yr: float) -> np.ndarray:
    """Remaining fraction after ``years`` at a constant relative loss ``per_yr``
    (compounded continuously: ``exp(−per_yr · years)``, 0 before arrival)."""
    years = np.asarray(years, float)
    return np.where(years >= 0.0, np.exp(-per_yr * np.maximum(years, 0.0)), 0.0)


def rtg_power_w(power_w: float, decay_per_yr: float, years) -> np.ndarray:
    """Radioisotope generator output ``years`` after arrival, W.

    With Pu-238's own decay (0.79 %/yr, half-life 87.7 yr) the output halves in 87.7 yr:

    >>> round(float(rtg_power_w(125.0, math.log(2) / 87.7, 87.7)), 6)
    62.5
    """
    return power_w * degradation_factor(years, decay_per_yr)


def dish_gain_dbi(diameter_m: float, frequency_hz: float, efficiency: float = 0.6) -> float:
    """Gain of a parabolic dish, dBi: ``η (π D f / c)²``.

    >>> round(dish_gain_dbi(35.0, 26e9), 1)
    77.4
    """
    return 10.0 * math.log10(efficiency * (math.pi * diameter_m * frequency_hz
                                           / SPEED_OF_LIGHT_M_S) ** 2)


def free_space_loss_db(range_m, frequency_hz: float) -> np.ndarray:
    """Free-space path loss ``(4π d f / c)²`` in dB.

    >>> round(float(free_space_loss_db(384_400e3, 8.4e9)), 2)
    222.63
    """
    return 20.0 * np.log10(4.0 * math.pi * np.asarray(range_m, float) * frequency_hz
                           / SPEED_OF_LIGHT_M_S)


def link_rate_bit_s(range_m, *, tx_power_w: float, tx_gain_dbi: float, rx_gain_dbi: float,
                    frequency_hz: float, system_noise_k: float, required_ebn0_db: float,
                    margin_db: float, other_losses_db: float, max_rate_bit_s: float,
                    **_ignored) -> np.ndarray:
    """Data rate a link closes at ``range_m``, bit/s, capped at ``max_rate_bit_s``.

    ``C/N0 = P_t + G_t + G_r − L_fs − L_other − k − T_sys`` (dB); the rate is the one at
    which ``Eb/N0 = C/N0 − 10 log10(R)`` equals the required value plus the margin.
    """
    cn0_dbhz = (10.0 * math.log10(tx_power_w) + tx_gain_dbi + rx_gain_dbi
                - free_space_loss_db(range_m, frequency_hz) - other_losses_db
                - BOLTZMANN_DBW_PER_K_HZ - 10.0 * math.log10(system_noise_k))
    rate = 10.0 ** ((cn0_dbhz - required_ebn0_db - margin_db) / 10.0)
    return np.minimum(rate, max_rate_bit_s)


def o2_mass_kg(energy_j, kwh_per_kg: float) -> np.ndarray:
    """Oxygen produced by ``energy_j`` at a specific energy of ``kwh_per_kg``.

    >>> float(o2_mass_kg(24 * J_PER_KWH, 24.0))
    1.0
    """
    return np.asarray(energy_j, float) / (kwh_per_kg * J_PER_KWH)
