"""Sizing: the smallest value of one field that meets a goal, in few full twin runs.

A goal turns a run's KPIs into a continuous *margin* that is ≥ 0 exactly when the goal is
met and grows with the field (a bigger battery or array never does worse):

* ``survival`` — no survival energy unserved over the whole period: the margin is the
  minimum state of charge when met, minus the unserved survival energy (in units of the
  battery's capacity) when not. The twin lets survival loads drain the battery to empty
  (below its depth-of-discharge floor: that is what the floor is kept for), so this answer
  may leave the battery at 0 %; ``Goal("survival", floor=1 − DoD)`` (``--keep-dod``) asks
  for survival with the battery never below its floor: the margin is ``min_soc − floor``;
* ``min-soc=X`` — the minimum state of charge is at least X: ``min_soc − X``;
* ``science-hours=N`` — at least N payload-hours of science: ``hours / N − 1``.

The search brackets the answer by doubling or halving from the scenario's own value, then
closes the bracket by regula falsi on the margin (the Illinois variant, which keeps both
ends moving), falling back to bisection, until it is narrower than ``tolerance`` of the
value. The answer is the smallest value *run* that met the goal, so it is confirmed by a
full run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ilrs.errors import InputError
from ilrs.station import Scenario
from ilrs.study.engine import cluster, run_jobs
from ilrs.study.fields import get_field, set_fields
from ilrs.study.runner import Job, StudyBase

__all__ = ["Goal", "SizeResult", "size"]

#: Doublings (or halvings) tried before giving up on a bracket.
MAX_EXPANSIONS = 12


@dataclass(frozen=True)
class Goal:
    """A sizing goal: ``survival``, ``min-soc=X`` or ``science-hours=N``; a survival goal
    with a ``floor`` also keeps the battery's state of charge at or above it."""

    kind: str
    target: float = 0.0
    floor: float = 0.0

    def keeping(self, floor: float) -> Goal:
        """This survival goal with the battery kept at or above ``floor`` (1 − DoD)."""
        if self.kind != "survival":
            raise InputError("--keep-dod", str(self), "the survival goal (min-soc=X sets its "
                             "own floor)")
        return Goal("survival", floor=float(floor))

    @property
    def rule(self) -> str:
        """The rule the answer assumes, in words."""
        if self.kind != "survival":
            return ""
        if self.floor > 0.0:
            return (f"the battery kept at or above its depth-of-discharge floor "
                    f"({100 * self.floor:g} % state of charge)")
        return ("survival loads may drain the battery to 0 %, below its depth-of-discharge "
                "floor (--keep-dod keeps it above)")

    @classmethod
    def parse(cls, text: str) -> Goal:
        """
        >>> Goal.parse("min-soc=0.3")
        Goal(kind='min-soc', target=0.3, floor=0.0)
        >>> str(Goal.parse("survival").keeping(0.3))
        'survival keeping SOC >= 0.3'
        """
        kind, _, value = text.strip().partition("=")
        try:
            if kind == "survival" and not value:
                return cls("survival")
            if kind == "min-soc" and 0.0 <= float(value) <= 1.0:
                return cls(kind, float(value))
            if kind == "science-hours" and float(value) > 0:
                return cls(kind, float(value))
        except ValueError:
            pass
        raise InputError("--goal", text, "survival, min-soc=X (0..1) or science-hours=N (> 0)")

    def __str__(self) -> str:
        if self.kind == "survival":
            return "survival" + (f" keeping SOC >= {self.floor:g}" if self.floor else "")
        return f"{self.kind}={self.target:g}"

    def margin(self, row: dict[str, Any], capacity_kwh: float) -> float:
        if self.kind == "survival":
            unserved = row["survival_unserved_kwh"]
            if unserved > 0.0:
                return -self.floor - unserved / max(capacity_kwh, 1e-9)
            soc = max(row["min_soc"], 0.0) if math.isfinite(row["min_soc"]) else 0.0
            return soc - self.floor
        if self.kind == "min-soc":
            return row["min_soc"] - self.target
        return row["science_hours"] / self.target - 1.0


@dataclass
class SizeResult:
    """The answer and every run it took (value, margin, met), in the order run."""

    field: str
    goal: Goal
    value: float | None
    met: bool
    runs: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "goal": str(self.goal),
                "rule": self.goal.rule, "battery_floor_soc": self.goal.floor,
                "met": self.met, "runs": len(self.runs), "tolerance_reached": self.met,
                "trials": self.runs, "kpis": self.row}


def size(scenario: Scenario, field_name: str, goal: Goal | str, *, dems=(),
         tolerance: float = 0.01, lower: float | None = None, upper: float | None = None,
         scheduler: Any = "inline", max_runs: int = 40,
         progress: Callable[[dict], None] | None = None) -> SizeResult:
    """The smallest value of ``field_name`` meeting ``goal`` (see the module doc); each run
    goes to ``scheduler`` (``"inline"``, ``None`` for a local cluster, an address) and is
    reported to ``progress`` as it finishes."""
    with cluster(scheduler, n_workers=1) as where:
        return _search(scenario, field_name, goal, dems, tolerance, lower, upper, where,
                       max_runs, progress)


def _search(scenario, field_name, goal, dems, tolerance, lower, upper, scheduler, max_runs,
            progress) -> SizeResult:
    goal = Goal.parse(goal) if isinstance(goal, str) else goal
    start = get_field(scenario, field_name)
    if not isinstance(start, int | float) or isinstance(start, bool) or not start > 0:
        raise InputError("--vary", field_name, "a positive number of the scenario to size")
    set_fields(scenario, {field_name: float(start)})
    if not 0.0 < tolerance < 1.0:
        raise InputError("--tolerance", tolerance, "a fraction in (0, 1)")
    base = StudyBase.of(scenario, dems)
    capacity_kwh = sum(b.capacity_wh for b in scenario.batteries) / 1000.0
    result = SizeResult(field_name, goal, None, False)

    def margin(value: float) -> float:
        if len(result.runs) >= max_runs:
            raise InputError("sizing", f"{max_runs} runs", "a goal reachable in fewer runs")
        if field_name.startswith("batteries."):
            cap = capacity_kwh - float(start) / 1000.0 + value / 1000.0 \
                if field_name.endswith(".capacity_wh") else capacity_kwh
        else:
            cap = capacity_kwh
        row = run_jobs(base, [Job(values={field_name: value})], scheduler=scheduler,
                       progress=False)[0]
        m = goal.margin(row, cap)
        result.runs.append({"value": value, "margin": m, "met": m >= 0.0})
        if progress is not None:
            progress(result.runs[-1])
        if m >= 0.0 and (result.value is None or value < result.value):
            result.value, result.met, result.row = value, True, row
        return m

    # -- bracket: lo fails, hi meets ---------------------------------------------------
    lo, hi = lower, upper
    m_lo = m_hi = None
    if lo is not None:
        m_lo = margin(lo)
        if m_lo >= 0.0:
            return result                   # already met at the lower bound
    if hi is not None:
        m_hi = margin(hi)
        if m_hi < 0.0:
            return result                   # not met even at the upper bound
    if lo is None or hi is None:
        v = float(start) if hi is None else float(hi)
        m = margin(v) if hi is None else m_hi
        factor = 2.0 if m < 0.0 else 0.5
        for _ in range(MAX_EXPANSIONS):
            if m < 0.0:
                lo, m_lo = v, m
            else:
                hi, m_hi = v, m
            if lo is not None and hi is not None:
                break
            v *= factor
            m = margin(v)
        else:
            return result
        if hi is None or lo is None:
            return result
    # -- close the bracket: Illinois regula falsi, bisection as a fallback -----------------
    side = 0
    while hi - lo > tolerance * hi:
        guess = hi - m_hi * (hi - lo) / (m_hi - m_lo) if m_hi != m_lo else 0.5 * (lo + hi)
        # stay well inside the bracket, so each run cuts it by a useful amount
        width = hi - lo
        v = min(max(guess, lo + 0.05 * width), hi - 0.05 * width)
        if hi - v < tolerance * hi:      # a last step that lands within the tolerance
            v = hi - 0.999 * tolerance * hi
        m = margin(v)
        if m >= 0.0:
            hi, m_hi = v, m
            if side == 1:
                m_lo *= 0.5
            side = 1
        else:
            lo, m_lo = v, m
            if side == -1:
                m_hi *= 0.5
            side = -1
    return result
