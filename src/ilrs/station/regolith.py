"""The regolith under the site: its surface temperature through every lunar day, night and
eclipse, from the insolation the site really gets.

A 1-D column of Hayne et al. (2017) regolith (:mod:`ilrs.station._thermal_kernels`) under
one surface facet (flat by default, or the slope and aspect of ``thermal.surface``),
driven by

* the Sun's visible disk fraction through the site's real horizon and the eclipse factor
  (:mod:`ilrs.station.geometry`, at the element mast: the ground around the landers), the
  facet's incidence angle and the albedo's rise with incidence (Hayne 2017 eq. A5);
* light from the terrain above the facet's horizon, to first order: each azimuth's terrain
  is a spherical bowl's wall rising to the horizon elevation ``h`` there, for which the
  scattered plus re-emitted flux at the facet is exactly ``sin²h cos²h`` times the
  sunlight through the bowl's opening, ``S sin e`` (Ingersoll, Svitek & Murray 1992,
  Icarus 100, 40: every point of a sphere sees every element of it equally; first order:
  one bounce, the walls re-emit at once what they absorb). The facet absorbs the light
  with ``1 − A₀`` and the infrared with ``ε``; a sloped facet adds the ground it sees,
  ``(1 − cos slope) / 2``, lit the same way.

The column is spun up to a periodic state over the year before the period (cycled, see
``column_spin_up``) on an hourly grid, then run at ``thermal.numerics.step_s`` through the
geometry's span. The result is a per-site input (it depends on the insolation only), kept
on the :class:`~ilrs.station.geometry.Geometry` by property set, so sweeps and Monte Carlo
trials over the same site compute it once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.station import _thermal_kernels as tk
from ilrs.station.components import AU_M, SOLAR_CONSTANT_W_M2

__all__ = ["Column", "SurfaceSeries", "albedo", "facet_absorbed_w_m2", "surface_series",
           "terrain_weight"]

#: Steps of ``numerics.step_s`` run per call of the kernel (bounds the fine-point arrays).
CHUNK_STEPS = 4096
#: The mean synodic day (new moon to new moon), s: the diurnal period that sets the grid.
SYNODIC_DAY_S = 29.530589 * 86400.0


def albedo(incidence_rad, props) -> np.ndarray:
    """Bond albedo at solar incidence ``incidence_rad`` (Hayne 2017 eq. A5).

    >>> from ilrs.station.config import RegolithProperties
    >>> p = RegolithProperties()
    >>> float(albedo(0.0, p)), round(float(albedo(math.pi / 4, p)), 4)
    (0.12, 0.181)
    """
    i = np.clip(np.asarray(incidence_rad, float), 0.0, math.pi / 2)
    return props.albedo + props.albedo_a * (i / (math.pi / 4)) ** 3 \
        + props.albedo_b * (i / (math.pi / 2)) ** 8


@dataclass
class Column:
    """A regolith column: the layer grid, its properties and its temperatures (K)."""

    z_m: np.ndarray
    rho_dz: np.ndarray           # ρ × cell thickness per node, kg/m²
    kc_mid: np.ndarray           # contact conductivity at each interface, W/m/K
    inv_dz: np.ndarray           # 1 / node spacing, 1/m
    par: np.ndarray              # see _thermal_kernels.R_*
    temp_k: np.ndarray
    n_iter: int = 2

    @classmethod
    def of(cls, props, numerics, temp_k: float = 250.0) -> Column:
        """The column of ``props`` on the grid of ``numerics``: the first layer a
        ``layers_per_skin_depth``-th of the diurnal skin depth, each next one ``growth``
        times thicker, down to ``bottom_skin_depths`` skin depths (Hayne 2017; heat1d)."""
        kappa = props.conductivity_surface_w_m_k / (
            props.density_surface_kg_m3 * numerics.skin_depth_heat_capacity_j_kg_k)
        skin_m = math.sqrt(kappa * SYNODIC_DAY_S / math.pi)
        dz = skin_m / numerics.layers_per_skin_depth
        z = [0.0]
        while z[-1] < skin_m * numerics.bottom_skin_depths:
            dz *= numerics.growth
            z.append(z[-1] + dz)
        z_m = np.array(z)
        gaps = np.diff(z_m)
        cell = np.empty(z_m.size)
        cell[0] = gaps[0] / 2
        cell[1:-1] = (gaps[:-1] + gaps[1:]) / 2
        cell[-1] = gaps[-1] / 2

        def profile(surface: float, deep: float, depth) -> np.ndarray:
            return deep - (deep - surface) * np.exp(-np.asarray(depth) / props.scale_depth_m)
        rho = profile(props.density_surface_kg_m3, props.density_deep_kg_m3, z_m)
        kc_mid = profile(props.conductivity_surface_w_m_k, props.conductivity_deep_w_m_k,
                         (z_m[:-1] + z_m[1:]) / 2)
        par = np.zeros(tk.N_RPAR)
        par[tk.R_EMISSIVITY] = props.emissivity
        par[tk.R_R350] = props.radiative_chi / 350.0 ** 3
        par[tk.R_QB] = props.geothermal_w_m2
        par[tk.R_CP0:tk.R_CP0 + 5] = props.heat_capacity_coefficients
        return cls(z_m, rho * cell, kc_mid, 1.0 / gaps, par, np.full(z_m.size, temp_k),
                   numerics.newton_iterations)

    def _args(self):
        return (self.rho_dz, self.kc_mid, self.inv_dz, self.par, self.n_iter)

    def run(self, q_abs_w_m2: np.ndarray, step_s) -> tuple[np.ndarray, np.ndarray]:
        """Step through the absorbed fluxes (one per step; ``step_s``: one step length, or
        one per step); the surface temperature after each step and the energy budget
        [absorbed, emitted, geothermal] in J/m²."""
        q = np.ascontiguousarray(q_abs_w_m2, dtype=float)
        dt = np.ascontiguousarray(np.broadcast_to(np.asarray(step_s, float), q.shape))
        out = np.empty(q.size)
        budget = np.zeros(3)
        rho_dz, kc_mid, inv_dz, par, n_iter = self._args()
        tk.column_run(self.temp_k, q, dt, rho_dz, kc_mid, inv_dz, par, n_iter, out, budget)
        return out, budget

    def run_cut(self, q_fine_w_m2: np.ndarray, per: int, fine_step_s: float,
                flux_tol_w_m2: float, temp_tol_k: float) -> tuple[np.ndarray, np.ndarray, int]:
        """Steps of ``per × fine_step_s``, cut into fine steps where they would change fast
        (see ``column_run_cut``) through the flux at the fine points (the first at the
        start): the indices of the points where a step ended, the surface temperature
        there, and the number of steps cut."""
        q = np.ascontiguousarray(q_fine_w_m2, dtype=float)
        ended = np.zeros(q.size - 1, np.bool_)
        surface = np.empty(q.size - 1)
        rho_dz, kc_mid, inv_dz, par, n_iter = self._args()
        n_cut = tk.column_run_cut(self.temp_k, q, per, fine_step_s, flux_tol_w_m2,
                                  temp_tol_k, rho_dz, kc_mid, inv_dz, par, n_iter, ended,
                                  surface)
        idx = np.flatnonzero(ended)
        return idx + 1, surface[idx], int(n_cut)

    def spin_up(self, q_cycle_w_m2: np.ndarray, step_s: float, tol_k: float = 0.05,
                max_cycles: int = 200) -> tuple[int, float]:
        """Cycle a period's absorbed fluxes until the column is periodic (see
        ``column_spin_up``); starts from the radiative equilibrium of the mean flux plus
        the geothermal gradient. Returns the cycles run and the last cycle's largest
        change (K)."""
        q = np.ascontiguousarray(q_cycle_w_m2, dtype=float)
        mean = max(float(np.mean(q)), 0.0) + self.par[tk.R_QB]
        t0 = (mean / (self.par[tk.R_EMISSIVITY] * tk.SIGMA)) ** 0.25
        self.temp_k[:] = t0 + self.par[tk.R_QB] * np.concatenate(
            [[0.0], np.cumsum(1.0 / (self.kc_mid * self.inv_dz))])
        rho_dz, kc_mid, inv_dz, par, n_iter = self._args()
        cycles, change = tk.column_spin_up(self.temp_k, q, step_s, rho_dz, kc_mid, inv_dz,
                                           par, n_iter, tol_k, max_cycles)
        return int(cycles), float(change)

    def enthalpy_j_m2(self) -> float:
        """Heat content of the column above 0 K, J/m² (``Σ ρ dz ∫ c_p dT``)."""
        return float(sum(self.rho_dz[i] * tk.enthalpy_j_per_kg(self.temp_k[i], self.par)
                         for i in range(self.temp_k.size)))


def terrain_weight(horizon_elevation_rad: np.ndarray, slope_deg: float = 0.0) -> float:
    """``W``: the terrain light at a facet is ``W × S sin e`` (see the module docstring);
    the mean over azimuth of ``sin²h cos²h`` (``h`` above 0), plus, for a sloped facet, the
    ground it sees.

    >>> round(terrain_weight(np.radians(np.full(360, 10.0))), 5)   # a bowl, rim at 10°
    0.02924
    >>> terrain_weight(np.zeros(8))
    0.0
    """
    h = np.maximum(np.asarray(horizon_elevation_rad, float), 0.0)
    w = float(np.mean(np.sin(h) ** 2 * np.cos(h) ** 2)) if h.size else 0.0
    return w + (1.0 - math.cos(math.radians(slope_deg))) / 2.0


def facet_absorbed_w_m2(sun_fraction, sun_elevation_rad, sun_azimuth_rad, sun_distance_m,
                        eclipse_hidden, props, surface, weight: float) -> np.ndarray:
    """Flux the facet absorbs, W/m²: direct sunlight through the horizon (visible disk
    fraction, eclipses included) at the facet's incidence with the albedo of that
    incidence, plus the terrain's scattered and infrared light (``weight``:
    :func:`terrain_weight`; 0 turns it off)."""
    el = np.asarray(sun_elevation_rad, float)
    irr = SOLAR_CONSTANT_W_M2 * (AU_M / np.asarray(sun_distance_m, float)) ** 2
    slope = math.radians(surface.slope_deg)
    cos_i = (math.cos(slope) * np.sin(el) + math.sin(slope) * np.cos(el)
             * np.cos(np.asarray(sun_azimuth_rad, float) - math.radians(surface.aspect_deg)))
    cos_i = np.clip(cos_i, 0.0, 1.0)
    direct = irr * np.asarray(sun_fraction, float) * cos_i * (1.0 - albedo(np.arccos(cos_i),
                                                                            props))
    if weight <= 0.0:
        return direct
    opening = irr * np.maximum(np.sin(el), 0.0) * (1.0 - np.asarray(eclipse_hidden, float))
    a0 = props.albedo
    return direct + weight * opening * (1.0 - a0) * (a0 + props.emissivity)


@dataclass
class SurfaceSeries:
    """Surface temperature of the facet (K) at TDB seconds, and how it was computed; it
    can be continued through a later geometry (:meth:`extend_to`, the live twin)."""

    tdb_s: np.ndarray
    temp_k: np.ndarray
    absorbed_w_m2: np.ndarray    # the flux absorbed at each point (the forcing)
    start_k: np.ndarray          # the column's spun-up profile at the first point
    column: Column               # the column at the last point
    thermal: object              # the scenario's thermal settings
    mast_m: float
    weight: float                # terrain weight (0: none)
    spin_up_cycles: int
    spin_up_change_k: float
    steps: int = 0               # steps of step_s run since the first point
    fine_steps: int = 0          # of which cut into fine steps
    _grid: tuple | None = None   # (geometry, absorbed flux on its grid)

    @property
    def step_s(self) -> float:
        """The column's step where the flux changes slowly, s."""
        return float(self.thermal.numerics.step_s)

    def at(self, tdb_s: np.ndarray) -> np.ndarray:
        """The surface temperature at ``tdb_s``, linearly interpolated."""
        if tdb_s.size and not (self.tdb_s[0] <= tdb_s[0] and tdb_s[-1] <= self.tdb_s[-1]):
            raise RuntimeError(
                f"surface temperature asked over {float(tdb_s[0])} … {float(tdb_s[-1])} s, "
                f"computed over {float(self.tdb_s[0])} … {float(self.tdb_s[-1])} s (the "
                "geometry must reach one regolith step past the last time step)")
        return np.interp(tdb_s, self.tdb_s, self.temp_k)

    def absorbed_at(self, geo, tdb_s: np.ndarray) -> np.ndarray:
        """The flux the facet absorbs at ``tdb_s``: computed on the grid of ``geo`` (kept
        for the last geometry asked) and interpolated linearly."""
        if self._grid is None or self._grid[0] is not geo:
            mast = float(self.mast_m)
            on_grid = {"sun_fraction": geo.sun_fraction[mast],
                       "sun_elevation_rad": geo.sun_elevation_rad,
                       "sun_azimuth_rad": geo.sun_azimuth_rad,
                       "sun_distance_m": geo.sun_distance_m,
                       "eclipse_hidden_fraction": geo.eclipse_hidden_fraction}
            self._grid = (geo, _absorbed(on_grid, self.thermal, self.weight))
        return np.interp(tdb_s, geo.tdb_s, self._grid[1])

    def extend_to(self, geo, until_tdb_s: float) -> None:
        """Run the column on through ``until_tdb_s`` (to the first step end at or after
        it, as far as ``geo`` reaches) with the insolation of ``geo``, which must cover the
        span from the series' last point.

        Steps of ``numerics.step_s`` from the first point; one whose flux at its
        ``fine_step_s`` points departs from its end value by more than ``flux_tol_w_m2``
        is run in fine steps. Each step depends only on the flux inside it, so a series
        extended piece by piece (the live twin) equals one computed at once."""
        num = self.thermal.numerics
        big, fine = float(num.step_s), float(num.fine_step_s)
        per = round(big / fine)
        t0 = float(self.tdb_s[0])
        done = round((float(self.tdb_s[-1]) - t0) / big)        # whole steps so far
        want = math.ceil((until_tdb_s - t0) / big - 1e-9)
        reach = math.floor((float(geo.tdb_s[-1]) - t0) / big + 1e-9)
        upto = min(want, reach)
        parts = [(self.tdb_s, self.temp_k, self.absorbed_w_m2)]
        for a in range(done, upto, CHUNK_STEPS):                 # bounded memory
            b = min(upto, a + CHUNK_STEPS)
            t = t0 + fine * np.arange(a * per, b * per + 1)      # fine points, both ends
            q = self.absorbed_at(geo, t)
            idx, temp, n_cut = self.column.run_cut(q, per, fine, num.flux_tol_w_m2,
                                                   num.temp_tol_k)
            parts.append((t[idx], temp, q[idx]))
            self.fine_steps += n_cut
            self.steps += b - a
        if len(parts) > 1:
            self.tdb_s, self.temp_k, self.absorbed_w_m2 = (
                np.concatenate(p) for p in zip(*parts, strict=True))

    def describe(self) -> dict:
        """The numerics of the series, for KPIs and reports."""
        return {"step_s": self.step_s, "layers": int(self.column.z_m.size),
                "bottom_m": float(self.column.z_m[-1]),
                "first_layer_m": float(self.column.z_m[1]),
                "spin_up_cycles": self.spin_up_cycles,
                "spin_up_change_k": self.spin_up_change_k, "terrain_weight": self.weight,
                "fine_step_s": float(self.thermal.numerics.fine_step_s),
                "fine_share": self.fine_steps / self.steps if self.steps else 0.0}


def _absorbed(sun, thermal, weight: float) -> np.ndarray:
    return facet_absorbed_w_m2(sun["sun_fraction"], sun["sun_elevation_rad"],
                               sun["sun_azimuth_rad"], sun["sun_distance_m"],
                               sun["eclipse_hidden_fraction"], thermal.regolith,
                               thermal.surface, weight)


def surface_series(geo, thermal, mast_m: float, start_tdb_s: float | None = None,
                   until_tdb_s: float | None = None, sky=None) -> SurfaceSeries:
    """The facet's surface temperature from ``start_tdb_s`` (default: the start of
    ``geo``, a :class:`~ilrs.station.geometry.Geometry`) through ``until_tdb_s`` (default:
    its end), spun up over the ``spin_up_days`` before the start. The Sun is seen through
    the horizon of ``mast_m`` (the element mast)."""
    from ilrs.station.geometry import sun_columns

    num = thermal.numerics
    horizon = geo.horizons[float(mast_m)]
    weight = terrain_weight(horizon.elevation_rad, thermal.surface.slope_deg) \
        if thermal.surface.terrain else 0.0
    column = Column.of(thermal.regolith, num)
    t0 = float(geo.tdb_s[0]) if start_tdb_s is None else float(start_tdb_s)
    # the year before: hourly, cycled to a periodic state
    spin_step = 3600.0
    n_spin = max(2, round(num.spin_up_days * 86400.0 / spin_step))
    before = sun_columns(geo.site, horizon, t0 - spin_step * np.arange(n_spin, 0, -1), sky)
    cycles, change = column.spin_up(_absorbed(before, thermal, weight), spin_step,
                                    num.spin_up_tol_k)
    # the first point is the spun-up state; each step ends at the next point
    start = column.temp_k.copy()
    series = SurfaceSeries(np.array([t0]), start[:1].copy(), np.zeros(1), start, column,
                           thermal, float(mast_m), weight, cycles, change)
    series.absorbed_w_m2[0] = series.absorbed_at(geo, series.tdb_s)[0]
    series.extend_to(geo, float(geo.tdb_s[-1]) if until_tdb_s is None else until_tdb_s)
    return series
