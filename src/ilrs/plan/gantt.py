"""The plan's Gantt chart with the resource profiles the twin replayed (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ilrs.plan.plan import Plan
from ilrs.station import _kernels as k

__all__ = ["write_gantt"]


def write_gantt(plan: Plan, result, path: str | Path) -> Path:
    """Activities by resource, then bus power, battery SOC, buffer fill and crew busy,
    against days from the plan's start; ``result``: the replay's twin results."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = plan.start_tdb_s
    rows = sorted({a.resource for a in plan.activities})
    fig, ax = plt.subplots(5, 1, figsize=(12, 9), sharex=True,
                           gridspec_kw={"height_ratios": [4, 1, 1, 1, 1]})
    cmap = plt.get_cmap("tab20")
    kinds = sorted({a.kind for a in plan.activities})
    for a in plan.activities:
        y = rows.index(a.resource)
        ax[0].barh(y, a.hours / 24.0, left=(a.start_tdb_s - t0) / 86400.0, height=0.7,
                   color=cmap(kinds.index(a.kind) % 20))
    ax[0].set_yticks(range(len(rows)), [r[:28] for r in rows], fontsize=7)
    ax[0].set_title(f"Plan v{plan.version}: {len(plan.activities)} activities, "
                    f"science value {plan.value:,.0f}")
    keep = result.bin_tdb_s >= t0 - 1e-3            # not the warm-up before the plan
    days = (result.bin_tdb_s[keep] - t0) / 86400.0
    agg = result.agg[keep]
    power = np.zeros_like(days)
    crew = np.zeros_like(days)
    for a in plan.activities:
        on = (result.bin_tdb_s[keep] >= a.start_tdb_s) & (result.bin_tdb_s[keep]
                                                          < a.stop_tdb_s)
        power += on * a.power_w
        crew += on * a.crew
    ax[1].step(days, power / 1e3, where="post")
    ax[1].set_ylabel("bus kW")
    ax[2].plot(days, 100 * agg[:, k.G_SOC_MIN])
    ax[2].set_ylabel("SOC %")
    cap = result.scenario.comms.buffer_bit if result.scenario.comms else 1.0
    ax[3].plot(days, 100 * agg[:, k.G_BUF_END] / cap)
    ax[3].set_ylabel("buffer %")
    ax[4].step(days, crew, where="post")
    ax[4].set_ylabel("crew busy")
    ax[4].set_xlabel("days from " + plan.to_json()["start_utc"][:16] + " UTC")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
