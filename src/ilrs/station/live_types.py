"""Value objects of the live twin: housekeeping records, command results, events.

>>> c = Check("payload.x.power_w", "==", 0.0, 60.0, 1e9)
>>> c.holds({"payload.x.power_w": 0.0}), c.holds({"payload.x.power_w": 12.5})
(True, False)
"""

from __future__ import annotations

import operator as _op
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ilrs.station.build import BlockInputs, Overrides
    from ilrs.station.live_catalog import Element

__all__ = [
    "Block",
    "Check",
    "CommandResult",
    "Housekeeping",
    "IsruHk",
    "LastStep",
    "LiveEvent",
    "LiveTwinView",
    "PayloadHk",
    "RoverHk",
    "StationHk",
]

_OPS = {"==": _op.eq, "!=": _op.ne, "<": _op.lt, "<=": _op.le, ">": _op.gt, ">=": _op.ge}


@dataclass(frozen=True)
class StationHk:
    """The station at the current time: state after the last step, flows during it."""

    utc: str
    tdb_s: float
    steps: int
    landed: bool
    soc: float
    energy_j: float
    capacity_j: float
    rfc_tank_j: float
    fuel_cell_on: bool
    generation_w: float
    fuel_cell_w: float
    survival_w: float
    comms_w: float
    science_w: float
    isru_w: float
    unserved_w: float
    unserved_survival_w: float
    charge_w: float
    discharge_w: float
    curtailed_w: float
    buffer_bit: float
    buffer_fill: float
    generated_bit_s: float
    downlink_bit_s: float
    link_rate_bit_s: float
    dte_contact: bool
    relay_contact: bool
    transmitting: bool
    safe_mode: bool
    fdir_safe_mode: bool
    science_shed: bool
    buffer_hold: bool
    brownout: bool
    data_loss: bool
    thermal_low: bool
    ops_safe_hold: bool
    ops_science_hold: bool
    temp_k: float
    surface_k: float
    heater_w: float
    o2_kg: float
    crew: int


@dataclass(frozen=True)
class PayloadHk:
    """A campaign payload: ground's switch, what it actually drew and produced."""

    id: str
    name: str
    landed: bool
    commanded_on: bool
    running: bool
    power_w: float
    data_rate_bit_s: float
    science_s: float


@dataclass(frozen=True)
class RoverHk:
    """A rover: state (one of ``ROVER_STATES``), distance driven and planned."""

    id: str
    landed: bool
    state: str
    state_code: int
    driving: bool
    held: bool
    driven_km: float
    planned_km: float
    power_w: float


@dataclass(frozen=True)
class IsruHk:
    """The ISRU plants together."""

    landed: bool
    commanded_on: bool
    running: bool
    stuck: bool
    power_w: float
    max_power_w: float
    o2_rate_kg_s: float
    o2_produced_kg: float


@dataclass(frozen=True)
class Housekeeping:
    """Current values by element (typed) and the flat ``{parameter name: value}`` view
    whose names are those of :meth:`LiveTwin.describe` (``station.battery.soc``,
    ``payload.<id>.power_w``, …)."""

    station: StationHk
    payloads: dict[str, PayloadHk]
    rovers: dict[str, RoverHk]
    isru: IsruHk | None
    values: dict[str, float | int | bool]


@dataclass(frozen=True)
class Check:
    """A verification predicate: ``parameter operator value`` must hold in housekeeping
    taken at or after ``deadline_tdb_s`` (``within_s`` after the command)."""

    parameter: str
    operator: str
    value: float
    within_s: float
    deadline_tdb_s: float

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the predicate holds in a flat housekeeping view."""
        return bool(_OPS[self.operator](float(values[self.parameter]), self.value))


@dataclass(frozen=True)
class CommandResult:
    """The outcome of :meth:`LiveTwin.execute`: accepted or rejected (with the reason); an
    accepted command acts from the step starting at ``tdb_s`` and is verified by
    ``checks``."""

    command: str
    args: dict[str, float]
    accepted: bool
    reason: str
    tdb_s: float
    utc: str
    significance: str = "none"
    checks: tuple[Check, ...] = field(default=())

    def verified(self, values: Mapping[str, Any]) -> bool:
        """Whether every check holds in ``values`` (an accepted command only)."""
        return self.accepted and all(c.holds(values) for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LiveEvent:
    """An event for PUS service 5: time, source, kind, text, event id and severity."""

    tdb_s: float
    utc: str
    source: str
    kind: str
    message: str
    event_id: int
    severity: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Block:
    """Inputs of steps ``i0 … i1 − 1`` and what the loop made of them so far."""

    i0: int
    i1: int
    t: np.ndarray
    inputs: BlockInputs
    km_before: np.ndarray          # rover plan (km) before the block
    flags: np.ndarray
    soc: np.ndarray
    temp: np.ndarray               # coldest thermal node after each step, K
    heater: np.ndarray             # survival heater power served, W


@dataclass
class LastStep:
    """The last step run: its block and index, its flows (accumulators of that step alone),
    its aggregate row and the element-height solar disk fraction."""

    block: Block
    j: int
    acc: np.ndarray
    agg: np.ndarray
    sun_elem: float


class LiveTwinView(Protocol):
    """What housekeeping (:mod:`~ilrs.station.live_hk`) and command handlers
    (:mod:`~ilrs.station.live_commands`) use of a :class:`~ilrs.station.LiveTwin`; they
    depend on this, not on the twin's module, so imports flow one way (live → hk, commands
    → types)."""

    scenario: Any
    twin: Any
    step_s: float
    state: np.ndarray
    acc: np.ndarray
    params: np.ndarray
    overrides: Overrides
    elements: tuple[Element, ...]
    by_id: dict[str, Element]
    parameter_specs: dict
    rover_km: np.ndarray
    km_per_step: np.ndarray
    payload_science_steps: np.ndarray
    fault_occurrences: list
    current_block: Block | None

    @property
    def steps(self) -> int: ...

    @property
    def now_tdb_s(self) -> float: ...

    def driven_km(self, index: int) -> float: ...

    def set_overrides(self, **changes: Any) -> None: ...

    def start_planned(self, kind: str, index: int, distance_km: float = 0.0) -> None: ...

    def stop_planned(self, kind: str, index: int, back_to_rule: bool = False) -> bool: ...

    def start_activity(self, slot: int, power_w: float, data_bit_s: float) -> None: ...

    def stop_activity(self, slot: int) -> bool: ...

    def running_planned(self, kind: str, index: int) -> bool: ...

    def invalidate_inputs(self) -> None: ...
