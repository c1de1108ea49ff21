"""Schedule risk: a Monte Carlo of launch slips through the mission dependency graph.

For every trial, each mission still to fly draws a slip rate from its agency's model (see
:mod:`ilrs.campaign.slips`), slips by ``rate × lead time`` from the data cut-off to its
planned date, and cannot launch before the missions it depends on (``depends_on`` and the
first providers of the facilities it ``requires``) have arrived, nor before the first
flight of its launch vehicle when that is still to come (first flights slip too, with the
vehicle agency's model). Missions that have flown
keep their dates. Trials run in fixed blocks with their own random streams
(:mod:`ilrs.scale`), and every block is reduced to integer counts per day, so a study gives
identical results for the same seed in one process or on any Dask cluster.

>>> from ilrs.campaign import Roadmap, schedule_risk
>>> result = schedule_risk(Roadmap.load_builtin(), trials=20_000, seed=1)
>>> row = result.mission_percentiles()[-1]
>>> row["mission"], row["p10_launch"] <= row["p50_launch"] <= row["p90_launch"]
('ILRS-5', True)
>>> 0.0 <= result.p_basic_by_due <= 1.0
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ilrs.campaign import _kernels
from ilrs.campaign.dates import decimal_year, from_mjd, to_mjd
from ilrs.campaign.model import LaunchVehicle, Roadmap
from ilrs.campaign.slips import SlipModel, fit_slip_models, model_for
from ilrs.errors import InputError
from ilrs.scale import INLINE, Block, block_rng, group, map_chunks, split_blocks

__all__ = ["BLOCK_SIZE", "VEHICLE_PREFIX", "RiskInputs", "RiskResult", "prepare", "schedule_risk"]

#: Prefix of the nodes that stand for a launch vehicle's first flight.
VEHICLE_PREFIX = "first flight: "
#: Trials per random stream; fixed so results never depend on how work is partitioned.
BLOCK_SIZE = 10_000
#: Default upper bound on the number of tasks (each returns one array of day counts).
MAX_CHUNKS = 32
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class RiskInputs:
    """The roadmap reduced to arrays, missions in topological order."""

    ids: tuple[str, ...]
    statuses: tuple[str, ...]
    base_mjd: np.ndarray
    lead_days: np.ndarray
    offset_days: np.ndarray
    fixed: np.ndarray
    deps: np.ndarray
    p_on_time: np.ndarray
    log_mean: np.ndarray
    log_sd: np.ndarray
    max_rate: np.ndarray
    basic_columns: np.ndarray
    roadmap_order: tuple[str, ...]
    first_mjd: int
    n_days: int


def _topological(roadmap: Roadmap) -> tuple[list[str], dict[str, list[str]]]:
    by_id = {m.id: m for m in reversed(roadmap.missions)}
    deps: dict[str, list[str]] = {}
    for m in by_id.values():
        found = [d for d in m.depends_on if d in by_id]
        for fac in m.requires:
            providers = [x for x in by_id.values() if fac in x.facilities and x.delivers]
            if providers:
                found.append(min(providers, key=roadmap.arrival_mjd).id)
        deps[m.id] = sorted(set(found) - {m.id})
    order: list[str] = []
    ready = [m.id for m in roadmap.missions if m.id in by_id and not deps[m.id]]
    ready = list(dict.fromkeys(ready))
    waiting = {k: set(v) for k, v in deps.items() if v}
    while ready:
        current = ready.pop(0)
        order.append(current)
        for key in [k for k, v in waiting.items() if current in v]:
            waiting[key].discard(current)
            if not waiting[key]:
                del waiting[key]
                ready.append(key)
    if waiting:
        raise InputError("mission dependencies", sorted(waiting), "no dependency cycle")
    return order, deps


def prepare(
    roadmap: Roadmap, *, widen: float = 1.0, models: dict[str, SlipModel] | None = None
) -> RiskInputs:
    """Arrays for the kernels; ``widen`` multiplies every slip rate."""
    if not widen > 0:
        raise InputError("slip widening factor", widen, "a number > 0")
    models = models if models is not None else fit_slip_models(roadmap)
    as_of = to_mjd(roadmap.as_of)
    order, deps = _topological(roadmap)
    by_id = {m.id: m for m in reversed(roadmap.missions)}
    # Vehicles still to make their first flight are nodes too: their first flight slips
    # like a mission of their agency, and no mission launches on them before it.
    vehicles = {v.id: v for v in reversed(roadmap.vehicles)}
    unflown: dict[str, LaunchVehicle] = {}
    for key in order:
        m, v = by_id[key], vehicles.get(by_id[key].vehicle)
        if m.launched is not None or m.status == "cancelled" or v is None:
            continue
        if v.first_flight is not None and v.status != "cancelled" and (
            v.first_flight.planned or to_mjd(v.first_flight.date) > as_of
        ):
            unflown[VEHICLE_PREFIX + v.id] = v
            deps[key] = [*deps[key], VEHICLE_PREFIX + v.id]
    order = [*unflown, *order]
    column = {key: i for i, key in enumerate(order)}
    n = len(order)
    base, lead, offset = np.zeros(n), np.zeros(n), np.zeros(n)
    fixed = np.zeros(n, dtype=bool)
    params = np.zeros((4, n))
    width = max([len(v) for v in deps.values()] + [1])
    dep_cols = np.full((n, width), -1, dtype=np.int64)
    statuses = []
    for i, key in enumerate(order):
        if key in unflown:
            v = unflown[key]
            planned, agency = to_mjd(v.first_flight.date), v.agency
            base[i], lead[i] = max(planned, as_of), max(planned - as_of, 0.0)
            statuses.append(str(v.status))
        else:
            m = by_id[key]
            launch, agency = to_mjd(m.launch_date), m.agency
            offset[i] = roadmap.arrival_mjd(m) - launch
            if m.launched is not None or m.status == "cancelled":
                fixed[i], base[i] = True, launch
            else:
                base[i], lead[i] = max(launch, as_of), max(launch - as_of, 0.0)
            statuses.append(str(m.status))
            for k, dep in enumerate(deps[key]):
                dep_cols[i, k] = column[dep]
        model = model_for(models, agency).widened(widen)
        params[:, i] = (model.p_on_time, model.log_mean, model.log_sd, model.max_rate)
    basic = np.array([column[k] for k in roadmap.basic_model if k in column], dtype=np.int64)
    upper = float(np.max(base + params[3] * lead)) + float(offset.sum()) + 2.0
    first = int(np.floor(base.min()))
    return RiskInputs(
        ids=tuple(order),
        statuses=tuple(statuses),
        base_mjd=base,
        lead_days=lead,
        offset_days=offset,
        fixed=fixed,
        deps=dep_cols,
        p_on_time=params[0],
        log_mean=params[1],
        log_sd=params[2],
        max_rate=params[3],
        basic_columns=basic,
        roadmap_order=tuple(dict.fromkeys(m.id for m in roadmap.missions)),
        first_mjd=first,
        n_days=int(np.ceil(upper)) - first + 1,
    )


def simulate_block(inputs: RiskInputs, seed: int, block: Block) -> np.ndarray:
    """Launch MJDs ``(block.size, n_missions)`` of one block of trials."""
    rng = block_rng(seed, block.index)
    rates = _kernels.draw_rates(
        rng, block.size, inputs.p_on_time, inputs.log_mean, inputs.log_sd, inputs.max_rate
    )
    return _kernels.propagate(
        inputs.base_mjd, inputs.lead_days, inputs.offset_days, inputs.fixed, inputs.deps, rates
    )


def count_chunk(inputs: RiskInputs, seed: int, blocks: list[Block]) -> np.ndarray:
    """Day counts ``(n_missions + 1, n_days)`` of launches (and, last row, basic-model
    completion by arrival) over a chunk of blocks."""
    total = np.zeros((len(inputs.ids) + 1, inputs.n_days), dtype=np.int64)
    for block in blocks:
        launch = simulate_block(inputs, seed, block)
        if inputs.basic_columns.size:
            arrival = launch[:, inputs.basic_columns] + inputs.offset_days[inputs.basic_columns]
            done = arrival.max(axis=1)
        else:
            done = np.full(block.size, np.nan)
        total += _kernels.count_days(
            np.column_stack([launch, done]), inputs.first_mjd, inputs.n_days
        )
    return total


@dataclass(frozen=True)
class RiskResult:
    """Counts of launch days per mission (and basic-model completion) over all trials."""

    inputs: RiskInputs
    counts: np.ndarray
    trials: int
    seed: int
    widen: float
    due: str
    models: dict[str, SlipModel] = field(default_factory=dict)

    def _quantile_mjd(self, row: int, q: float) -> float:
        cum = np.cumsum(self.counts[row])
        return float(self.inputs.first_mjd + np.searchsorted(cum, q * self.trials))

    def mission_percentiles(self) -> list[dict]:
        """Per mission (roadmap order): P10/P50/P90 launch dates and P50 arrival."""
        rows = []
        column = {key: i for i, key in enumerate(self.inputs.ids)}
        for key in self.inputs.roadmap_order:
            i = column[key]
            p = [self._quantile_mjd(i, q) for q in QUANTILES]
            rows.append({
                "mission": key,
                "status": self.inputs.statuses[i],
                "p10_launch": from_mjd(p[0]),
                "p50_launch": from_mjd(p[1]),
                "p90_launch": from_mjd(p[2]),
                "p50_arrival": from_mjd(p[1] + self.inputs.offset_days[i]),
            })
        return rows

    def vehicle_percentiles(self) -> list[dict]:
        """Per launch vehicle still to fly: P10/P50/P90 first-flight dates."""
        rows = []
        for i, key in enumerate(self.inputs.ids):
            if key.startswith(VEHICLE_PREFIX):
                p = [self._quantile_mjd(i, q) for q in QUANTILES]
                rows.append({"vehicle": key.removeprefix(VEHICLE_PREFIX),
                             "p10_first_flight": from_mjd(p[0]),
                             "p50_first_flight": from_mjd(p[1]),
                             "p90_first_flight": from_mjd(p[2])})
        return rows

    @property
    def p_basic_by_due(self) -> float:
        """Probability that every basic-model mission has arrived by the due date."""
        last = int(np.floor(to_mjd(self.due))) - self.inputs.first_mjd
        return float(self.counts[-1, : max(last + 1, 0)].sum() / self.trials)

    def completion_percentiles(self, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)) -> dict[str, str]:
        """Basic-model completion date at the given quantiles, ISO dates keyed ``P10`` …"""
        row = len(self.inputs.ids)
        return {f"P{round(100 * q)}": from_mjd(self._quantile_mjd(row, q)) for q in quantiles}

    def completion_by_year(self) -> dict[int, float]:
        """Probability that the basic model is complete by the end of each year."""
        counts = self.counts[-1]
        days = self.inputs.first_mjd + np.arange(counts.size)
        years = np.floor(decimal_year(days.astype(float))).astype(int)
        cum = np.cumsum(counts) / self.trials
        last_of_year = {int(y): float(cum[np.nonzero(years == y)[0][-1]]) for y in np.unique(years)}
        return {y: p for y, p in last_of_year.items() if p > 0.0}

    def to_dict(self) -> dict:
        return {
            "trials": self.trials,
            "seed": self.seed,
            "widen": self.widen,
            "due": self.due,
            "p_basic_model_by_due": self.p_basic_by_due,
            "completion": self.completion_percentiles(),
            "completion_by_year": self.completion_by_year(),
            "missions": self.mission_percentiles(),
            "vehicles": self.vehicle_percentiles(),
            "slip_models": {
                key: {
                    "observations": m.n_observations,
                    "p_on_time": m.p_on_time,
                    "median_rate": m.median_rate,
                    "log_mean": m.log_mean,
                    "log_sd": m.log_sd,
                    "max_rate": m.max_rate,
                }
                for key, m in self.models.items()
            },
        }


def schedule_risk(
    roadmap: Roadmap,
    *,
    trials: int = 100_000,
    seed: int = 0,
    widen: float = 1.0,
    scheduler=INLINE,
    progress: bool = False,
    blocks_per_chunk: int | None = None,
    n_workers: int | None = None,
) -> RiskResult:
    """Run the slip Monte Carlo. ``scheduler``: ``"inline"`` (this process, default),
    ``"local"`` (a local Dask cluster), a scheduler address or a ``distributed.Client``.
    ``blocks_per_chunk`` (blocks of ``BLOCK_SIZE`` trials per task) changes only how the
    work is spread, never the result; by default there are at most ``MAX_CHUNKS`` tasks."""
    models = fit_slip_models(roadmap)
    inputs = prepare(roadmap, widen=widen, models=models)
    blocks = split_blocks(trials, block_size=BLOCK_SIZE)
    per_chunk = blocks_per_chunk or -(-len(blocks) // MAX_CHUNKS)
    chunks = group(blocks, per_chunk=per_chunk)
    parts = map_chunks(
        partial(count_chunk, inputs, seed),
        chunks,
        scheduler=scheduler,
        progress=progress,
        n_workers=n_workers,
        description="slip trials",
    )
    counts = np.sum(parts, axis=0)
    return RiskResult(inputs, counts, trials, seed, widen, roadmap.basic_model_due, models)
