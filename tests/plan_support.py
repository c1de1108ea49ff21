"""Shared set-up of the planner tests: a station, its horizon from a date and the greedy
plan of the built-in activity set over it."""

from __future__ import annotations

from typing import NamedTuple

from ilrs.plan import load_activities
from ilrs.plan.greedy import plan_greedy
from ilrs.plan.horizon import Horizon, utc_to_tdb
from ilrs.plan.problem import build_problem
from ilrs.plan.replay import warm_state
from ilrs.station import Twin, load_scenario


class Planned(NamedTuple):
    twin: Twin
    acts: object
    warm: dict | None
    horizon: Horizon
    problem: object
    plan: object
    chosen: list[int]


def planned(start: str, days: float = 1.0, scenario: str | None = None,
            warm_days: float = 0.0) -> Planned:
    """The ``scenario``'s station (None: the reference) planned greedily for ``days`` from
    ``start`` (UTC), after ``warm_days`` of its rules."""
    twin = Twin.from_scenario(load_scenario(scenario))
    acts = load_activities(None)
    t0 = utc_to_tdb(start)
    warm = warm_state(twin, t0, warm_days)
    horizon = Horizon.from_twin(twin, t0, days, acts.slot_s, warm)
    problem = build_problem(acts, horizon)
    plan, chosen = plan_greedy(problem)
    return Planned(twin, acts, warm, horizon, problem, plan, chosen)
