"""The station twin's figures: power and state of charge over the hardest month and the
thermal survival beside it (surface, nodes, heaters), the yearly energy balance, data
returned and lost with oxygen produced, the station build-up and the event timeline (PNG,
matplotlib)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from ilrs.station import Results

__all__ = ["RunView", "buildup_figure", "buildup_rows", "hardest_month",
           "power_month_figure", "twin_figures", "yearly_energy_figure"]


class RunView:
    """A run's results with the UTC time of every bin and the event table computed once
    (each call of ``Results.bin_utc`` / ``events_table`` converts them all again); every
    other attribute is the run's."""

    def __init__(self, res: Results):
        self._res = res
        self._bins: np.ndarray | None = None
        self._events: list[dict] | None = None

    def __getattr__(self, name: str):
        return getattr(self._res, name)

    def bin_utc(self) -> np.ndarray:
        if self._bins is None:
            self._bins = self._res.bin_utc()
        return self._bins

    def events_table(self) -> list[dict]:
        if self._events is None:
            self._events = self._res.events_table()
        return self._events

J_PER_KWH = 3.6e6


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def hardest_month(res: Results) -> slice:
    soc = res.series("soc_min")
    finite = np.isfinite(soc)
    i = int(np.argmin(np.where(finite, soc, np.inf))) if finite.any() else 0
    per_day = max(1, round(86400.0 / res.bin_s))
    half = 15 * per_day
    lo = max(0, min(i - half, soc.size - 2 * half))
    return slice(lo, min(soc.size, lo + 2 * half))


def power_month_figure(res: Results):
    """Power flows over the hardest month above the battery's state of charge; the legend
    beside the plot, never over it."""
    s = hardest_month(res)
    t = res.bin_utc()[s]
    kw = 1.0 / (res.bin_steps[s] * res.step_s * 1000.0)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True, layout="constrained",
                                  height_ratios=(2, 1))
    ax.plot(t, res.series("generation_j")[s] * kw, color="gold", lw=1.2, label="generation")
    loads = [("survival_j", "survival"), ("comms_j", "communications"),
             ("science_j", "science & rovers"), ("isru_j", "ISRU")]
    ax.stackplot(t, *[res.series(c)[s] * kw for c, _ in loads],
                 labels=[lbl for _, lbl in loads], alpha=0.7)
    ax.plot(t, res.series("battery_discharge_j")[s] * kw, color="k", lw=0.8, ls="--",
            label="battery discharge")
    ax.plot(t, res.series("rfc_fuel_cell_j")[s] * kw, color="tab:purple", lw=0.8, ls=":",
            label="fuel cell")
    ax.set(ylabel="mean power per hour (kW)",
           title="Power flows and state of charge over the hardest month (lowest SOC)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax2.plot(t, 100 * res.series("soc_min")[s], color="tab:green")
    ax2.set(ylabel="battery SOC, min per hour (%)", ylim=(0, 102))
    ax2.grid(alpha=0.3)
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    return fig


def fig_power_month(res: Results, path: Path) -> Path:
    return _save(power_month_figure(res), path)


def fig_thermal_month(res: Results, path: Path) -> Path:
    """The regolith surface under the landers, the nodes' temperatures and the survival
    heater power over the hardest month (the same days as the power figure)."""
    s = hardest_month(res)
    t = res.bin_utc()[s]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, layout="constrained",
                                  height_ratios=(2, 1))
    ax.plot(t, res.series("surface_temp_k")[s], color="tab:brown", lw=1.2,
            label="regolith surface (1-D column)")
    lo, hi = res.series("thermal_min_k")[s], res.series("thermal_max_k")[s]
    there = np.isfinite(lo) & np.isfinite(hi)
    ax.fill_between(t, np.where(there, lo, np.nan), np.where(there, hi, np.nan),
                    color="tab:red", alpha=0.4, lw=0.8, label="thermal nodes (coldest … warmest)")
    nodes = res.scenario.thermal.nodes
    if nodes:
        ax.axhline(min(n.min_k for n in nodes), color="tab:red", ls="--", lw=0.8,
                   label="lowest node limit")
    ax.set(ylabel="temperature (K)", ylim=(0, None), title="Thermal survival over the hardest "
           "month: the surface under the landers, their nodes and heaters")
    ax.legend(loc="center right", fontsize=8)
    ax.grid(alpha=0.3)
    kw = 1.0 / (res.bin_steps[s] * res.step_s * 1000.0)
    heat = res.series("heater_j")[s] * kw
    ax2.plot(t, heat, color="tab:orange")
    ax2.set(ylabel="survival heaters (kW)", ylim=(0, 1.15 * max(float(heat.max()), 0.1)))
    ax2.grid(alpha=0.3)
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    return _save(fig, path)


def _yearly(res: Results, columns) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    years = res.bin_utc().astype("datetime64[Y]").astype(int) + 1970
    uniq = np.unique(years)
    out = {c: np.array([res.series(c)[years == y].sum() for y in uniq]) for c in columns}
    return uniq, out


def yearly_energy_figure(res: Results):
    cols = ["survival_j", "comms_j", "science_j", "isru_j", "battery_loss_j", "curtailed_j"]
    years, sums = _yearly(res, [*cols, "generation_j", "rfc_electrolyser_j",
                                "rfc_fuel_cell_j"])
    sums["rfc_net_j"] = sums["rfc_electrolyser_j"] - sums["rfc_fuel_cell_j"]
    cols = [*cols[:5], "rfc_net_j", cols[5]]
    fig, ax = plt.subplots(figsize=(11, 4.5), layout="constrained")
    bottom = np.zeros(years.size)
    for c in cols:
        v = sums[c] / 1e9 * (1e9 / J_PER_KWH) / 1000.0
        ax.bar(years, v, bottom=bottom, label=c.removesuffix("_j").replace("_", " "))
        bottom += v
    ax.plot(years, sums["generation_j"] / J_PER_KWH / 1000.0, "k_", ms=30, mew=2,
            label="generated")
    ax.set(ylabel="MWh per year", title="Yearly energy balance (where the generated energy went)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(alpha=0.3, axis="y")
    return fig


def fig_yearly_energy(res: Results, path: Path) -> Path:
    return _save(yearly_energy_figure(res), path)


def fig_data_o2(res: Results, path: Path) -> Path:
    # cumulative curves: one point a day (and the last) draws the same line, 24× faster
    every = np.unique(np.append(np.arange(0, res.bin_utc().size, 24), res.bin_utc().size - 1))
    t = res.bin_utc()[every]

    def total(name: str) -> np.ndarray:
        return np.cumsum(res.series(name))[every]

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    ax.plot(t, total("data_returned_bit") / 8e12, label="returned to Earth")
    ax.plot(t, total("data_lost_bit") / 8e12, label="lost (buffer full)")
    ax.set(ylabel="cumulative data (TB)", title="Data returned and lost")
    ax.legend(loc="upper left", fontsize=8)  # cumulative curves start at 0: the corner is free
    ax.grid(alpha=0.3)
    ax2.plot(t, total("o2_produced_kg") / 1000.0, color="tab:red")
    ax2.set(ylabel="cumulative O2 produced (t)", title="ISRU oxygen (surplus power only)")
    ax2.grid(alpha=0.3)
    return _save(fig, path)


def buildup_rows(res: Results) -> list[tuple[str, str]]:
    """(label, mission) of every station element and payload, names in full."""
    sc, up = res.scenario, res.build_up
    rows = []
    for group in ("solar_arrays", "rtgs", "fission_units", "batteries", "rfcs", "isru",
                  "rovers", "thermal.nodes", "thermal.rhus"):
        for c in sc.group(group):
            rows.append((f"{c.id} ({group.split('.')[-1].replace('_', ' ')})",
                         c.arrives_with))
    if sc.comms:
        rows.append((f"{sc.comms.id} (comms)", sc.comms.arrives_with))
    for p in up.payloads:
        rows.append((p.name, p.mission_id))
    return rows


def buildup_figure(res: Results):
    """Each element as a bar from the landing that brings it; labels whole (wrapped), the
    mission's name inside its bar."""
    import textwrap

    up = res.build_up
    stop = res.bin_utc()[-1]
    rows = buildup_rows(res)
    labels = [textwrap.fill(label, 48) for label, _ in rows]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = plt.subplots(figsize=(12, 0.2 * lines + 0.1 * len(rows) + 1.5),
                           layout="constrained")
    start = res.bin_utc()[0]
    for i, (_label, mission) in enumerate(rows):
        date = up.landing_dates.get(mission)
        if date is None:
            continue
        d0 = max(np.datetime64(date), start)
        if d0 >= stop:  # lands after the period run: no bar, a note at the end
            ax.text(stop, i, f"{mission} lands {str(date)[:10]}, after the period ",
                    va="center", ha="right", fontsize=7, color="0.4")
            continue
        ax.barh(i, (stop - d0).astype("timedelta64[D]").astype(float), left=d0, height=0.6,
                color=f"C{int(mission[-1]) % 10 if mission[-1].isdigit() else 0}")
        ax.text(d0, i, f" {mission}", va="center", fontsize=7, clip_on=True)
    ax.set_xlim(start, stop)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set(title="Station build-up: each element from the landing that brings it")
    ax.grid(alpha=0.3, axis="x")
    return fig


def fig_buildup(res: Results, path: Path) -> Path:
    return _save(buildup_figure(res), path)


def fig_events(res: Results, path: Path) -> Path:
    sources = ["campaign", "fault", "fdir", "power", "thermal", "data"]
    fig, ax = plt.subplots(figsize=(11, 3.2), layout="constrained")
    table = res.events_table()
    for i, src in enumerate(sources):
        times = [np.datetime64(e["time_utc"][:19]) for e in table if e["source"] == src]
        ax.scatter(times, np.full(len(times), i), s=12, marker="|" if src != "fault" else "x")
    ax.set_yticks(range(len(sources)), sources)
    ax.set(title=f"Events ({len(res.events)})")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def twin_figures(res: Results, out_dir: Path) -> dict[str, Path]:
    """Write the report's PNG figures; returns name → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    res = res if isinstance(res, RunView) else RunView(res)
    return {
        "power-month": fig_power_month(res, out_dir / "power-month.png"),
        "thermal-month": fig_thermal_month(res, out_dir / "thermal-month.png"),
        "energy-yearly": fig_yearly_energy(res, out_dir / "energy-yearly.png"),
        "data-o2": fig_data_o2(res, out_dir / "data-o2.png"),
        "buildup": fig_buildup(res, out_dir / "buildup.png"),
        "events": fig_events(res, out_dir / "events.png"),
    }
