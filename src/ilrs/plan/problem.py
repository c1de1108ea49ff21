"""The planning problem: activity instances and their candidate placements on a horizon.

Each activity type's repetition goal becomes instances (one per ``per_day`` and UTC day,
one per ``duration`` of a ``hours_per_day`` goal and UTC day — a partial day in
proportion — or ``count`` over the horizon), each
with a release and a deadline; each instance gets candidate placements — a start slot and
a duration — inside the condition windows of the horizon (every slot of the candidate meets
every condition the type needs). Both planners (CP-SAT and greedy) choose at most one
candidate per instance. Energies are in Wh and data in units of :data:`DATA_UNIT_BIT` so
the CP-SAT model stays in integers.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ilrs.plan import _kernels as kern
from ilrs.plan.horizon import Horizon
from ilrs.plan.model import ActivitySet, ActivityType
from ilrs.sky.timescale import tdb_s_to_utc_iso, utc_to_tdb_s

__all__ = [
    "DATA_UNIT_BIT",
    "Budgets",
    "Candidate",
    "Instance",
    "Problem",
    "budgets",
    "build_problem",
    "controlled_loads",
    "day_windows",
    "exclusions",
    "groups",
    "midnight_tdb_s",
    "per_day_cap",
    "restore_slot",
    "science_slots",
    "slots_to_midnight",
    "to_plan",
]

#: Data are counted in 10 Mbit units inside the planners.
DATA_UNIT_BIT = 1.0e7
#: Times this close count as equal (s): the twin's steps are on a TDB grid, and TDB − UTC
#: wanders by milliseconds (its periodic term), so "midnight" is midnight within a second.
TIME_TOL_S = 1.0
#: At most this many candidate start slots per instance and duration.
MAX_STARTS = 12


@dataclass(frozen=True)
class Candidate:
    instance: int
    start: int          # slot
    dur: int            # slots
    #: seconds of the first / last slot it leaves unused (a condition window that opens /
    #: closes inside that slot: see :func:`build_problem`); resources book whole slots
    head_s: float = 0.0
    tail_s: float = 0.0

    @property
    def end(self) -> int:
        return self.start + self.dur


@dataclass
class Instance:
    type: ActivityType
    k: int                      # index among the instances of its type
    release: int                # first slot it may use
    deadline: int               # slot it must end by (exclusive)
    candidates: list[int] = field(default_factory=list)   # indices into Problem.candidates
    frozen: bool = False        # already executed: its only candidate is fixed


@dataclass
class Problem:
    acts: ActivitySet
    horizon: Horizon
    instances: list[Instance]
    candidates: list[Candidate]

    def value(self, c: Candidate) -> float:
        """Science value of a candidate (value per hour × hours)."""
        t = self.instances[c.instance].type
        return t.value_per_h * (c.dur * self.horizon.slot_s - c.head_s - c.tail_s) / 3600.0

    def load(self, t: ActivityType) -> str | None:
        """The twin load a type runs (``payload:NAME``, ``rover:ID``), None for none."""
        return f"payload:{t.payload}" if t.payload else f"rover:{t.rover}" if t.rover else None

    def energy_units(self, t: ActivityType) -> np.ndarray:
        """Whole Wh a type draws in each slot it runs (rounded up, against the plan): a
        twin load's own model (a payload's night-to-day power with the visible Sun, a
        rover's driving power), the type's ``power_w`` for a load the twin has no model of."""
        cache = self.__dict__.setdefault("_energy", {})
        if t.id not in cache:
            j = self.horizon.load_j.get(self.load(t))
            if j is None:
                j = np.full(self.horizon.n_slots, t.power_w * self.horizon.slot_s)
            cache[t.id] = np.ceil(j / 3600.0 - 1e-9).astype(np.int64)
        return cache[t.id]

    def data_units(self, t: ActivityType) -> np.ndarray:
        """Data units a type makes in each slot it runs (the twin's rate for a twin load)."""
        cache = self.__dict__.setdefault("_data", {})
        if t.id not in cache:
            bits = self.horizon.load_bit.get(self.load(t))
            if bits is None:
                bits = np.full(self.horizon.n_slots, t.data_bit_s * self.horizon.slot_s)
            cache[t.id] = np.ceil(bits / DATA_UNIT_BIT - 1e-9).astype(np.int64)
        return cache[t.id]

    def power_w(self, t: ActivityType) -> float:
        """A type's highest power on the science bus (its load's day or night power)."""
        return float(self.horizon.load_peak_w.get(self.load(t), t.power_w))

    @property
    def resources(self) -> list[str]:
        """Every resource the plan books: bus power, battery, buffer, crew, the unary ones."""
        unary = sorted({i.type.unary for i in self.instances})
        return ["bus-power", "battery-energy", "data-buffer", "crew", *unary]


def _durations(t: ActivityType, slot_s: float) -> list[int]:
    lo, hi = t.duration.range_h
    a = max(1, round(lo * 3600.0 / slot_s))
    b = max(a, round(hi * 3600.0 / slot_s))
    return sorted({a, (a + b) // 2, b})


def slots_to_midnight(start_tdb_s: float, slot_s: float) -> int:
    """Slots of ``slot_s`` from ``start_tdb_s`` to the first slot starting at or after the
    next UTC midnight (0 at a midnight): a day's repetition goal counts per UTC day,
    whatever time a plan starts (a re-plan at noon does not open a fresh day of them)."""
    midnight = midnight_tdb_s(start_tdb_s)
    if abs(start_tdb_s - midnight) <= TIME_TOL_S:
        return 0
    return math.ceil((midnight + 86400.0 - start_tdb_s - TIME_TOL_S) / slot_s)


def midnight_tdb_s(tdb_s: float) -> float:
    """TDB seconds of the UTC midnight that begins the day of ``tdb_s``."""
    day = tdb_s_to_utc_iso(np.array([tdb_s + TIME_TOL_S]), 0)[0][:10]
    return float(utc_to_tdb_s([f"{day}T00:00:00"])[0])


def day_windows(n_slots: int, first: int, day_slots: int) -> list[tuple[int, int]]:
    """The slots of each UTC day in ``n_slots`` whose first midnight is at slot ``first``
    (:func:`slots_to_midnight`; the first and last day may be partial)."""
    first = min(n_slots, first)
    edges = sorted({0, *range(first, n_slots, day_slots), n_slots})
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _windows(t: ActivityType, days: list[tuple[int, int]], n_slots: int, day_slots: int,
             done_today: dict[str, int] | None = None) -> list[tuple[int, int]]:
    """(release, deadline) of each instance of ``t``: ``count`` over the whole horizon,
    ``per_day`` / ``hours_per_day`` per UTC day of ``days`` (:func:`day_windows`), a
    partial day in proportion — or, for a horizon that starts inside a day whose earlier
    part ran (``done_today``: type id -> instances started since midnight), that first
    day's whole goal less those."""
    r = t.repeat
    if r.count is not None:
        return [(0, n_slots)] * r.count
    out = []
    for lo, hi in days:
        frac = (hi - lo) / day_slots
        if lo == 0 and done_today is not None:
            k = max(0, per_day_cap(t) - done_today.get(t.id, 0))
        elif r.per_day is not None:
            k = math.ceil(r.per_day * frac - 1e-9)
        else:
            k = math.ceil(r.hours_per_day * frac / t.duration.range_h[1] - 1e-9)
        out += [(lo, hi)] * k
    return out


def per_day_cap(t: ActivityType) -> int | None:
    """The most instances of ``t`` a whole UTC day holds (None for a ``count`` type)."""
    r = t.repeat
    if r.count is not None:
        return None
    if r.per_day is not None:
        return r.per_day
    return math.ceil(r.hours_per_day / t.duration.range_h[1] - 1e-9)


def _sample_starts(starts: np.ndarray, d: int, ok: np.ndarray, lo: int) -> np.ndarray:
    """At most :data:`MAX_STARTS` starts spread evenly, plus the starts that tile each
    condition window back to back from its beginning (so runs can fill a window whole)."""
    spread = starts[np.unique(np.linspace(0, starts.size - 1, MAX_STARTS).round().astype(int))]
    feasible = set(starts.tolist())
    tiles = []
    for s in starts:
        if s == lo or not ok[s - 1]:          # a condition window (or the instance's) opens
            t = s
            while t in feasible:
                tiles.append(t)
                t += d
    return np.union1d(spread, np.array(tiles, dtype=starts.dtype))


def build_problem(acts: ActivitySet, horizon: Horizon,
                  done_today: dict[str, int] | None = None) -> Problem:
    """Instances and candidates of every activity type over ``horizon``; ``done_today``:
    for a horizon starting inside a UTC day, the instances of each type that already
    started on board that day (a re-plan: the day keeps its goal, :func:`_windows`)."""
    slot_s = horizon.slot_s
    day_slots = round(86400.0 / slot_s)
    first = slots_to_midnight(horizon.start_tdb_s, slot_s)
    days = day_windows(horizon.n_slots, first, day_slots)
    if first == 0:
        done_today = None        # a whole first day: its goal as any day's
    instances: list[Instance] = []
    candidates: list[Candidate] = []
    science_from = horizon.science_from_slot
    served = science_slots(horizon)      # FDIR has not shed science (station alone)
    after = {t.after.activity for t in acts.activities if t.after is not None}
    for t in acts.activities:
        cond = horizon.ok(t.needs, t.thermal_window_k, t.radio_quiet)
        rest = served & horizon.on_site(t.payload, t.rover, t.arrives_with)
        held = horizon.held.get(f"rover:{t.rover}") if t.rover else None
        if held is not None:                # a fault holds the rover: the twin won't drive
            rest &= ~held
        ok = cond & rest
        edges = (horizon.edges_s(t.needs, t.radio_quiet)
                 if _fills_edges(t, after) and horizon.lead_s else None)
        if t.window is not None:           # absolute window: start after, end by
            w0, w1 = t.window.tdb_s()
            slots = horizon.slot_tdb_s(np.arange(horizon.n_slots))
            ok &= (slots >= w0 - 1e-3) & (slots + horizon.slot_s <= w1 + 1e-3)
        if t.crew:
            ok &= horizon.crew >= t.crew
        run = np.concatenate([[0], np.cumsum(ok)])
        durs = _durations(t, slot_s)
        for k, (lo, hi) in enumerate(_windows(t, days, horizon.n_slots, day_slots,
                                              done_today)):
            inst = Instance(t, k, lo, hi)
            lo = max(lo, science_from)   # FDIR holds science for the buffer before
            idx = len(instances)
            instances.append(inst)
            for d in durs:
                starts = np.arange(lo, hi - d + 1)
                if starts.size == 0:
                    continue
                starts = starts[run[starts + d] - run[starts] == d]
                if starts.size > MAX_STARTS and t.rolling is None:
                    # every start is kept under a rolling-window rule: how legs pack
                    # against "at most N minutes in any W hours" depends on the exact gaps
                    starts = _sample_starts(starts, d, ok, lo)
                for s in starts:
                    inst.candidates.append(len(candidates))
                    candidates.append(Candidate(idx, int(s), d))
                    if edges is not None:
                        for c in _edge_variants(t, idx, int(s), d, lo, hi, cond, rest,
                                                edges, slot_s):
                            inst.candidates.append(len(candidates))
                            candidates.append(c)
    return Problem(acts, horizon, instances, candidates)


def _fills_edges(t: ActivityType, predecessors: set[str]) -> bool:
    """Whether ``t``'s runs may reach into a slot its conditions hold for only in part: a
    type of flexible duration with no rolling rule, crew, absolute window or thermal
    window, and no other type's predecessor (whose gaps count whole slots)."""
    lo, hi = t.duration.range_h
    return (lo < hi and t.rolling is None and not t.crew and t.window is None
            and "thermal_window" not in t.needs and t.id not in predecessors)


def _edge_variants(t: ActivityType, idx: int, s: int, d: int, lo: int, hi: int,
                   cond: np.ndarray, rest: np.ndarray, edges, slot_s: float) -> list[Candidate]:
    """The run ``[s, s + d)`` started earlier / ended later inside the neighbouring slot
    where its conditions' window opens / closes part-way (``edges``: the seconds they hold
    at each slot's end and start, :meth:`Horizon.edges_s`), within the type's longest
    duration; the partial slot is booked whole (its power, data and instrument)."""
    lead, trail = edges
    most = t.duration.range_h[1] * 3600.0 + 1e-6
    head = (s - 1 >= lo and rest[s - 1] and not cond[s - 1] and lead[s - 1] > 0)
    tail = (s + d < hi and rest[s + d] and not cond[s + d] and trail[s + d] > 0)
    out = []
    if head and d * slot_s + lead[s - 1] <= most:
        out.append(Candidate(idx, s - 1, d + 1, head_s=float(slot_s - lead[s - 1])))
    if tail and d * slot_s + trail[s + d] <= most:
        out.append(Candidate(idx, s, d + 1, tail_s=float(slot_s - trail[s + d])))
    if head and tail and d * slot_s + lead[s - 1] + trail[s + d] <= most:
        out.append(Candidate(idx, s - 1, d + 2, head_s=float(slot_s - lead[s - 1]),
                             tail_s=float(slot_s - trail[s + d])))
    return out


def to_plan(problem: Problem, chosen: list[int], solver: dict):
    """The plan of the chosen candidates (indices into ``problem.candidates``)."""
    from ilrs.plan.plan import Activity, Plan

    h = problem.horizon
    acts = []
    for ci in chosen:
        c = problem.candidates[ci]
        inst = problem.instances[c.instance]
        t = inst.type
        acts.append(Activity(
            name=t.name, kind=t.id, instance=inst.k,
            start_tdb_s=float(h.slot_tdb_s(c.start)) + c.head_s,
            stop_tdb_s=float(h.slot_tdb_s(c.end)) - c.tail_s,
            power_w=float(problem.energy_units(t)[c.start:c.end].mean()
                          * 3600.0 / h.slot_s),
            data_bit_s=float(problem.data_units(t)[c.start:c.end].mean()
                             * DATA_UNIT_BIT / h.slot_s), needs=tuple(t.needs),
            payload=t.payload, rover=t.rover, resource=t.unary, crew=t.crew,
            value=problem.value(c), thermal_window_k=t.thermal_window_k,
            distance_km=h.rover_km_per_h.get(t.rover, 0.0) * c.dur * h.slot_s / 3600.0
            if t.rover else None))
    return Plan(h.start_tdb_s, h.stop_tdb_s, acts, solver, controls=controlled_loads(problem))


def groups(problem: Problem) -> list[tuple[str, ...]]:
    """The activity types with candidates, partitioned into groups a plan coordinates
    inside: a type with the type it must follow, every crew type together, types on one
    unary resource together — except a crew type and a type of a precedence chain (the
    crewed ascent and the robotic ascender's chain), a tie loose enough to drop
    (:mod:`ilrs.plan.bound`'s decomposition; CP-SAT's group neighbourhoods)."""
    types = [t for t in problem.acts.activities
             if any(i.candidates for i in problem.instances if i.type.id == t.id)]
    parent = {t.id: t.id for t in types}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        if a in parent and b in parent:
            parent[find(a)] = find(b)

    crew = [t.id for t in types if t.crew]
    for a in crew[1:]:
        union(a, crew[0])
    chained = set()
    for t in types:
        if t.after is not None:
            union(t.id, t.after.activity)
            chained |= {t.id, t.after.activity}
    on = defaultdict(list)
    for t in types:
        on[t.unary].append(t)
    for ts in on.values():
        for a, b in itertools.combinations(ts, 2):
            # a crew type and another type on its instrument stay together (the
            # laboratory's crew sessions and autonomous runs) unless one is in a chain
            # (the crewed ascent and the robotic ascender's: the crew group stays small)
            if bool(a.crew) != bool(b.crew) and (a.id in chained or b.id in chained):
                continue
            union(a.id, b.id)
    out = defaultdict(list)
    for t in types:
        out[find(t.id)].append(t.id)
    return [tuple(v) for v in out.values()]


def exclusions(acts: ActivitySet) -> list[tuple[str, str]]:
    """Pairs of activity types that may not overlap (``excludes``, either way round)."""
    pairs = {tuple(sorted((t.id, o))) for t in acts.activities for o in t.excludes
             if o != t.id}
    return sorted(pairs)


def controlled_loads(problem: Problem) -> tuple[str, ...]:
    """The loads a plan of ``problem`` drives: every payload and rover of its activity
    types the station has (inside the plan's span they run only as planned)."""
    known = problem.horizon.arrivals_tdb_s
    loads = {f"payload:{t.payload}" if t.payload else f"rover:{t.rover}"
             for t in problem.acts.activities if t.payload or t.rover}
    return tuple(sorted(x for x in loads if not known or x in known))


#: Efficiencies in the planners' integer arithmetic are multiples of 1 / ETA_SCALE.
ETA_SCALE = 1000


@dataclass
class Budgets:
    """The horizon's resources in the planners' integer units (Wh, data units, slots)."""

    gen_wh: np.ndarray
    base_wh: np.ndarray
    cap_wh: np.ndarray
    floor_wh: np.ndarray        # soc_min × capacity, never above the station without science
    charge_wh: np.ndarray       # most energy one slot can store
    e0_wh: int
    hk: np.ndarray
    downlink: np.ndarray
    buffer_max: int
    b0: int                     # data in the buffer at the start
    buffer_limit: np.ndarray    # per slot: buffer_max, or the whole buffer while FDIR holds
    eta_c: float
    eta_d: float
    fc_on_wh: np.ndarray        # FDIR switches the fuel cell on below this battery energy
    fc_off_wh: np.ndarray       # ... and off above this one
    fc_max_wh: np.ndarray       # most fuel-cell energy per slot
    fc0_wh: int                 # fuel-cell energy in the tanks at the start
    fc_on0: bool                # the fuel cell on at the start

    def energy(self, act) -> np.ndarray:
        """Battery energy after each slot with activities ``act`` (Wh per slot)."""
        return kern.battery_wh(self.gen_wh, self.base_wh, np.asarray(act, float), self.cap_wh,
                               self.charge_wh, self.e0_wh, self.eta_c, self.eta_d,
                               self.fc_on_wh, self.fc_off_wh, self.fc_max_wh, self.fc0_wh,
                               self.fc_on0)

    def energy_rounded(self, act) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CP-SAT model's integer battery energy after each slot, and the fuel cell's
        Wh and state in each slot."""
        fc = np.zeros(self.gen_wh.size, np.int64)
        on = np.zeros(self.gen_wh.size, np.bool_)
        e = kern.battery_wh_rounded(
            self.gen_wh, self.base_wh, np.asarray(act, np.int64), self.cap_wh, self.charge_wh,
            self.e0_wh, round(self.eta_c * ETA_SCALE), round(self.eta_d * ETA_SCALE),
            ETA_SCALE, self.fc_on_wh, self.fc_off_wh, self.fc_max_wh, self.fc0_wh,
            self.fc_on0, fc, on)
        return e, fc, on


def _energy_budgets(h: Horizon, soc_min: float) -> Budgets:
    """The battery's side of :func:`budgets` (rounded against the plan), its floor the
    plain ``soc_min`` one raised by the margins."""
    cap = np.floor(h.cap_j / 3600.0).astype(np.int64)
    e0 = min(int(h.initial_energy_j / 3600.0), int(cap[0]))
    gen = np.floor(h.gen_j / 3600.0).astype(np.int64)
    base = np.ceil(h.base_j / 3600.0).astype(np.int64)
    charge = np.floor(h.charge_max_w * h.slot_s / 3600.0 * h.eta_c).astype(np.int64)
    n = h.n_slots
    fc_on = (np.floor(h.fc_on_j / 3600.0).astype(np.int64) if h.fc_on_j is not None
             else np.zeros(n, np.int64))
    fc_off = (np.floor(h.fc_off_j / 3600.0).astype(np.int64) if h.fc_off_j is not None
              else np.zeros(n, np.int64))
    fc_max = np.full(n, math.floor(h.fc_max_w * h.slot_s / 3600.0), np.int64)
    fc0 = math.floor(h.fc_energy_j / 3600.0)
    margin = _margin_wh(h)
    nominal = h.cap_nominal_j if h.cap_nominal_j is not None else h.cap_j
    soc_floor = np.ceil(soc_min * nominal / 3600.0).astype(np.int64) + margin
    return Budgets(gen_wh=gen, base_wh=base, cap_wh=cap, floor_wh=soc_floor,
                   charge_wh=charge, e0_wh=e0, hk=None, downlink=None, buffer_max=0, b0=0,
                   buffer_limit=None, eta_c=h.eta_c, eta_d=h.eta_d, fc_on_wh=fc_on,
                   fc_off_wh=fc_off, fc_max_wh=fc_max, fc0_wh=fc0,
                   fc_on0=bool(h.fc_on_at_start))


def _margin_wh(h: Horizon) -> np.ndarray:
    """How far the twin's battery may fall below the planners' at a slot's end (Wh)."""
    n = h.n_slots
    # conservative: the floor holds at every step of the twin, not only at the slots'
    # ends: raised by the deepest dip inside the slots on either side of each end
    dip = (np.ceil(h.dip_j / 3600.0 / h.eta_d).astype(np.int64) if h.dip_j is not None
           else np.zeros(n, np.int64))
    # and by the most a full battery can lose to clipping inside one slot (the twin may
    # carry that shortfall until the battery next fills)
    clip = math.ceil(h.rise_j.max(initial=0.0) / 3600.0) if h.rise_j is not None else 0
    return np.maximum(dip, np.append(dip[1:], 0)) + clip + 1


def science_slots(h: Horizon) -> np.ndarray:
    """Per slot, whether FDIR lets science run in it whatever the plan does: the battery
    with survival, communications and the rules' loads alone (the planners' rounded
    projection, less the margins by which the twin may fall below it) goes through FDIR's
    hysteresis — shed from the slot whose end may find it below the shed threshold (or
    from the start, ``h.shed_at_start``), restored from the slot after the first whose end
    finds it above the restore threshold. Science only lowers the battery, so where the
    station alone is shed, no plan is served; where it is not, the plans' floor (at or
    above the shed threshold) keeps it so. All True without an FDIR model."""
    n = h.n_slots
    ok = np.ones(n, bool)
    if h.restore_j is None:
        return ok
    bud = _energy_budgets(h, 0.5)
    alone, _, _ = bud.energy_rounded(np.zeros(n, np.int64))
    margin = _margin_wh(h)
    restore = np.ceil(h.restore_j / 3600.0).astype(np.int64) + margin
    shed_below = (np.ceil(h.shed_j / 3600.0).astype(np.int64) + margin if h.shed_j is not None
                  else np.full(n, -1, np.int64))
    shed = h.shed_at_start and bud.e0_wh <= restore[0]
    for i in range(n):
        shed = shed or alone[i] < shed_below[i]
        ok[i] = not shed
        shed = shed and alone[i] <= restore[i]
    return ok


def restore_slot(h: Horizon) -> int:
    """The first slot science may run in when FDIR has shed it at the start (0 if it has
    not; see :func:`science_slots`); the horizon's length if it never restores."""
    if not h.shed_at_start:
        return 0
    ok = science_slots(h)
    first = np.flatnonzero(ok)
    return int(first[0]) if first.size else h.n_slots


def budgets(problem: Problem) -> Budgets:
    """Both planners' view of the resources (rounded against the plan)."""
    h, rules = problem.horizon, problem.acts.rules
    bud = _energy_budgets(h, rules.soc_min)
    soc_floor, e0, n = bud.floor_wh, bud.e0_wh, h.n_slots
    # the floor, or where survival and housekeeping alone take the battery below it (a
    # power-limited station in a long night), what they leave: science may not deepen
    # that discharge, but it may still run on the surplus and on what refills before it
    alone, _, _ = bud.energy_rounded(np.zeros(n, np.int64))
    floor = np.minimum(soc_floor, np.minimum(alone, e0))
    bmax = int(rules.buffer_max_fraction * h.buffer_bit / DATA_UNIT_BIT)
    b0 = math.ceil(h.initial_buffer_bit / DATA_UNIT_BIT)
    hk = np.ceil(h.hk_bit / DATA_UNIT_BIT).astype(np.int64)
    downlink = np.floor(h.downlink_bit / DATA_UNIT_BIT).astype(np.int64)
    # never below what housekeeping alone leaves in the buffer (no science at all)
    alone = kern.buffer_units(hk, np.zeros(h.n_slots), downlink, b0)
    limit = np.maximum(bmax, np.ceil(alone)).astype(np.int64)
    head = limit[:h.science_from_slot]
    head[:] = np.maximum(head, math.ceil(h.buffer_bit / DATA_UNIT_BIT))
    return dataclasses.replace(bud, floor_wh=floor, hk=hk, downlink=downlink, buffer_max=bmax,
                               b0=b0, buffer_limit=limit)
