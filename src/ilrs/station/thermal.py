"""Thermal survival of the station: the surface under the landers, their nodes and RHUs as
the compiled loop reads them, and what a run says about them.

The surface temperature is a per-site input (:mod:`ilrs.station.regolith`), computed once
per geometry and property set and interpolated to the steps; the nodes live inside the
loop (:mod:`ilrs.station._kernels`), since their heaters draw on the battery.
"""

from __future__ import annotations

import numpy as np

from ilrs.station import _thermal_kernels as tk
from ilrs.station.components import J_PER_KWH, SECONDS_PER_YEAR
from ilrs.station.regolith import SurfaceSeries, surface_series

__all__ = ["continue_surface", "node_params", "rhu_power_w", "steady_heater_w",
           "surface_for", "thermal_inputs", "thermal_kpis"]


def node_params(scenario) -> np.ndarray:
    """The nodes' parameter rows (see ``_thermal_kernels.N_*``)."""
    nodes = scenario.thermal.nodes
    par = np.zeros((len(nodes), tk.N_NPAR))
    for j, n in enumerate(nodes):
        par[j, tk.N_C] = n.heat_capacity_j_per_k
        par[j, tk.N_G] = n.conductance_w_per_k
        par[j, tk.N_EPS_A] = n.emissivity * n.radiating_area_m2
        par[j, tk.N_F_SKY] = n.view_factor_sky
        par[j, tk.N_F_SURF] = n.view_factor_surface
        par[j, tk.N_INTERNAL] = n.internal_w
        par[j, tk.N_SET] = n.setpoint_k
        par[j, tk.N_MIN] = n.min_k
        par[j, tk.N_HEATER_MAX] = n.heater_max_w
    return par


def rhu_power_w(count: int, power_w: float, decay_per_yr: float, years) -> np.ndarray:
    """Heat of ``count`` radioisotope heater units ``years`` after arrival (0 before), W.

    One LWRHU gives ~1 W at fuelling (Pu-238); after one half-life, half:

    >>> float(rhu_power_w(10, 1.0, np.log(2) / 87.7, 87.7))
    5.0
    """
    years = np.asarray(years, float)
    return np.where(years >= 0.0, count * power_w * np.exp(-decay_per_yr
                                                            * np.maximum(years, 0.0)), 0.0)


def surface_key(scenario) -> tuple:
    """What the surface temperature depends on besides the site's geometry."""
    th = scenario.thermal
    return ("surface", th.model_dump_json(include={"regolith", "numerics", "surface"}),
            float(scenario.site.element_mast_m))


def surface_for(geo, scenario) -> SurfaceSeries:
    """The surface temperature under the landers over ``geo``'s span, kept on ``geo``."""
    key = surface_key(scenario)
    series = geo.surfaces.get(key)
    if series is None:
        series = surface_series(geo, scenario.thermal, scenario.site.element_mast_m)
        geo.surfaces[key] = series
    return series


def continue_surface(series: SurfaceSeries | None, geo, scenario,
                     start_tdb_s: float) -> SurfaceSeries:
    """The surface series from ``start_tdb_s`` run on through ``geo`` (started, spun up,
    if ``series`` is None) and kept on ``geo``: a twin computing its geometry piece by
    piece (the live twin) gets the very values of one run over the whole span."""
    if series is None:
        series = surface_series(geo, scenario.thermal, scenario.site.element_mast_m,
                                start_tdb_s=start_tdb_s)
    else:
        series.extend_to(geo, float(geo.tdb_s[-1]))
    geo.surfaces[surface_key(scenario)] = series
    return series


def thermal_inputs(t: np.ndarray, scenario, up, geo) -> dict[str, np.ndarray]:
    """Per-step thermal inputs of the loop at ``t``: the surface temperature (K), which
    nodes are present (steps × nodes) and their RHU heat (steps × nodes, W)."""
    th = scenario.thermal
    series = surface_for(geo, scenario)
    surface = geo.cached(surface_key(scenario), t, lambda: series.at(t))
    n = t.size
    on = np.zeros((n, len(th.nodes)), np.bool_)
    index = {}
    for j, node in enumerate(th.nodes):
        on[int(np.searchsorted(t, up.arrival(node.arrives_with), side="left")):, j] = True
        index[node.id] = j
    rhu = np.zeros((n, len(th.nodes)))
    for r in th.rhus:
        arrival = up.arrival(r.arrives_with)
        if r.count and t[-1] >= arrival:
            rhu[:, index[r.node]] += rhu_power_w(r.count, r.power_w, r.decay_per_yr,
                                                 (t - arrival) / SECONDS_PER_YEAR)
    return {"surface_k": surface, "node_on": on, "rhu_w": rhu}


def steady_heater_w(scenario, inputs) -> np.ndarray:
    """The survival heaters' power at each step of ``inputs`` (a block's
    :class:`~ilrs.station.build.BlockInputs`) with every node present held at its set point
    over the surface there — what the loop's heaters draw while the station keeps them
    warm; a planner's estimate of the heater load (W)."""
    par = node_params(scenario)
    sky_k = scenario.thermal.regolith.sky_k
    surface = np.ascontiguousarray(inputs.surface_k, dtype=float)
    total = np.zeros(surface.size)
    for j in range(par.shape[0]):
        p = par[j]
        loss, _ = tk.node_losses(np.full(surface.size, p[tk.N_SET]), surface, sky_k, p)
        need = np.clip(loss - p[tk.N_INTERNAL] - inputs.rhu_w[:, j], 0.0, p[tk.N_HEATER_MAX])
        total += np.where(inputs.node_on[:, j], need, 0.0)
    return total


def _nights(dark: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) bin indices of each run of dark bins."""
    edges = np.diff(np.concatenate([[0], dark.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def thermal_kpis(scenario, node_t, node_acc, agg, bin_tdb_s, bin_s, geo, series,
                 utc) -> dict:
    """The thermal KPIs: surface temperatures, each node's extremes, heater energy and time
    below its limit, and the survival heater energy per night of the arrays."""
    from ilrs.station import _kernels as k

    nodes = {}
    for j, node in enumerate(scenario.thermal.nodes):
        row = node_acc[j]
        present = np.isfinite(row[tk.NA_MIN_K])
        nodes[node.id] = {
            "min_k": float(row[tk.NA_MIN_K]) if present else None,
            "max_k": float(row[tk.NA_MAX_K]) if present else None,
            "end_k": float(node_t[j]) if present else None,
            "heater_kwh": float(row[tk.NA_HEATER_J] / J_PER_KWH),
            "hours_below_limit": float(row[tk.NA_COLD_S] / 3600.0),
        }
    tmin = agg[:, k.G_TEMP_MIN]
    finite = np.isfinite(tmin)
    i_min = int(np.argmin(np.where(finite, tmin, np.inf))) if finite.any() else None
    heater = agg[:, k.G_HEATER]
    # nights of the arrays: bins with no Sun at the highest mast
    mast = max(geo.sun_fraction)
    sun = np.interp(bin_tdb_s + bin_s / 2, geo.tdb_s, geo.sun_fraction[mast])
    per_night = [(float(heater[a:b].sum() / J_PER_KWH), (b - a) * bin_s / 3600.0, a)
                 for a, b in _nights(sun <= 1e-3)]
    worst = max(per_night, default=None)
    longest = max(per_night, key=lambda x: x[1], default=None)
    in_run = (series.tdb_s >= bin_tdb_s[0]) & (series.tdb_s <= bin_tdb_s[-1] + bin_s)
    surf = series.temp_k[in_run] if in_run.any() else series.temp_k
    return {
        "surface_k": {"min": float(surf.min()), "mean": float(surf.mean()),
                      "max": float(surf.max())},
        "regolith": series.describe(),
        "node_min_k": float(tmin[i_min]) if i_min is not None else None,
        "node_min_utc": utc(bin_tdb_s[i_min]) if i_min is not None else None,
        "heater_kwh": float(heater.sum() / J_PER_KWH),
        "heater_per_night_kwh": {
            "nights": len(per_night),
            "max": worst[0] if worst else 0.0,
            "max_night_utc": utc(bin_tdb_s[worst[2]]) if worst else None,
            "max_night_hours": float(worst[1]) if worst else 0.0,
            "longest_night_hours": float(longest[1]) if longest else 0.0,
            "longest_night_kwh": longest[0] if longest else 0.0,
        },
        "nodes": nodes,
    }
