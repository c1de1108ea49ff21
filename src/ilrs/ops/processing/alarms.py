"""Limit checking and alarms with the ISA-18.2 lifecycle: raised (unacknowledged),
acknowledged, returned to normal unacknowledged, shelved with expiry, cleared.

Limits are checked vectorized over a batch of samples; only the samples where the limit
level changes drive the state machine, so a batch of N in-limit samples costs one numpy
comparison.

>>> import numpy as np
>>> from ilrs.ops.tmtc.mdb import Limits, Range
>>> alarms = AlarmManager()
>>> limits = Limits(yellow=Range(high=30.0), red=Range(high=32.0))
>>> moves = alarms.update("bus_v", np.array([1, 2, 3]), np.array([29.0, 31.0, 33.0]), limits)
>>> [(m.state.value, m.severity) for m in moves]
[('unacknowledged', 'warning'), ('unacknowledged', 'critical')]
>>> alarms.acknowledge("bus_v", user="ana", now_ns=4).state
<AlarmState.ACKNOWLEDGED: 'acknowledged'>
>>> alarms.update("bus_v", np.array([5]), np.array([28.0]), limits)[0].state.value
'normal'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields

import numpy as np

from ilrs.errors import InputError
from ilrs.ops._kernels import LEVEL_OK, limit_levels
from ilrs.ops.tmtc.mdb import Limits

__all__ = ["Alarm", "AlarmManager", "AlarmState", "AlarmTransition", "check_limits"]

_SEVERITY = {1: "warning", 2: "critical"}


class AlarmState(enum.StrEnum):
    """ISA-18.2 alarm states (the ``normal`` state means no alarm is kept)."""

    NORMAL = "normal"
    UNACKNOWLEDGED = "unacknowledged"
    ACKNOWLEDGED = "acknowledged"
    RTN_UNACKNOWLEDGED = "rtn_unacknowledged"
    SHELVED = "shelved"


def check_limits(values: np.ndarray, limits: Limits | None) -> np.ndarray:
    """Limit level per sample: 0 in limits, 1 outside yellow, 2 outside red."""
    if limits is None:
        return np.zeros(np.shape(values), dtype=np.int8)

    def bounds(r):
        return None if r is None else (r.low, r.high)

    return limit_levels(values, bounds(limits.yellow), bounds(limits.red))


@dataclass(frozen=True, slots=True)
class Alarm:
    """The alarm of one parameter. ``level`` is the current limit level (0 in limits),
    ``acked_level`` the highest level acknowledged so far."""

    parameter: str
    state: AlarmState
    level: int
    max_level: int
    trigger_ns: int
    trigger_value: float
    last_ns: int
    last_value: float
    acked_level: int = 0
    ack_user: str | None = None
    ack_ns: int | None = None
    shelved_until_ns: int | None = None
    shelve_user: str | None = None

    @property
    def severity(self) -> str:
        """``warning`` / ``critical`` for the current level, ``ok`` back in limits."""
        return _SEVERITY.get(self.level, "ok")


_ALARM_FIELDS = tuple(f.name for f in fields(Alarm))


def replace(alarm: Alarm, **changes) -> Alarm:
    """``dataclasses.replace`` for an :class:`Alarm`, without its per-call introspection
    (the state machine makes one per limit crossing: tens of thousands a second)."""
    return Alarm(*[changes[n] if n in changes else getattr(alarm, n) for n in _ALARM_FIELDS])


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """One move of the state machine, for the event log and live clients."""

    parameter: str
    time_ns: int
    previous: AlarmState
    state: AlarmState
    severity: str
    value: float
    user: str | None = None


class AlarmManager:
    """The alarms of every parameter; not thread-safe (one processor owns it)."""

    def __init__(self) -> None:
        self._alarms: dict[str, Alarm] = {}
        self._levels: dict[str, int] = {}

    def get(self, parameter: str) -> Alarm | None:
        return self._alarms.get(parameter)

    def active(self) -> list[Alarm]:
        """Every alarm not yet cleared, shelved ones included."""
        return sorted(self._alarms.values(), key=lambda a: (-a.max_level, a.trigger_ns))

    def _move(self, alarm: Alarm, state: AlarmState, time_ns: int, user: str | None = None,
              **changes) -> AlarmTransition:  # fmt: skip
        previous = alarm.state
        new = replace(alarm, state=state, **changes)
        if state is AlarmState.NORMAL:
            self._alarms.pop(alarm.parameter, None)
        else:
            self._alarms[alarm.parameter] = new
        return AlarmTransition(alarm.parameter, time_ns, previous, state,
                               _SEVERITY.get(max(new.level, new.max_level), "ok"),
                               new.last_value, user)  # fmt: skip

    def update(
        self, parameter: str, times_ns: np.ndarray, values: np.ndarray, limits: Limits | None,
        levels: np.ndarray | None = None,
    ) -> list[AlarmTransition]:
        """Check a batch of samples (time-ordered) against limits (or take their ``levels``,
        already checked); return the transitions."""
        if levels is None:
            levels = check_limits(values, limits)
        previous = self._levels.get(parameter, LEVEL_OK)
        changes = np.flatnonzero(levels[1:] != levels[:-1]) + 1
        if levels.size and levels[0] != previous:
            changes = np.concatenate(([0], changes))
        out: list[AlarmTransition] = []
        for i in changes:  # only where the level changes
            out += self._on_level(parameter, int(levels[i]), int(times_ns[i]), float(values[i]))
        if levels.size:
            self._levels[parameter] = int(levels[-1])
            alarm = self._alarms.get(parameter)
            if alarm is not None:
                self._alarms[parameter] = replace(
                    alarm, last_ns=int(times_ns[-1]), last_value=float(values[-1])
                )
        return out

    def _on_level(self, parameter: str, level: int, t: int, value: float) -> list:
        alarm = self._alarms.get(parameter)
        S = AlarmState
        if alarm is None:
            if level == LEVEL_OK:
                return []
            alarm = Alarm(parameter, S.NORMAL, level, level, t, value, t, value)
            return [self._move(alarm, S.UNACKNOWLEDGED, t)]
        alarm = replace(alarm, level=level, max_level=max(alarm.max_level, level),
                        last_ns=t, last_value=value)  # fmt: skip
        if alarm.state is S.SHELVED:
            self._alarms[parameter] = alarm
            return []
        if level == LEVEL_OK:
            if alarm.state is S.ACKNOWLEDGED:
                return [self._move(alarm, S.NORMAL, t)]  # cleared
            if alarm.state is S.UNACKNOWLEDGED:
                return [self._move(alarm, S.RTN_UNACKNOWLEDGED, t)]
            self._alarms[parameter] = alarm
            return []
        if alarm.state is S.RTN_UNACKNOWLEDGED or (
            alarm.state is S.ACKNOWLEDGED and level > alarm.acked_level
        ):
            return [self._move(alarm, S.UNACKNOWLEDGED, t)]  # re-raised / escalated
        if alarm.state is S.UNACKNOWLEDGED and level > self._alarms[parameter].level:
            return [self._move(alarm, S.UNACKNOWLEDGED, t)]  # severity increased
        self._alarms[parameter] = alarm
        return []

    def _require(self, parameter: str, states: tuple[AlarmState, ...], action: str) -> Alarm:
        alarm = self._alarms.get(parameter)
        if alarm is None or alarm.state not in states:
            found = "no alarm" if alarm is None else alarm.state.value
            allowed = " or ".join(s.value for s in states)
            raise InputError(f"{action} {parameter}", found, f"an alarm in state {allowed}")
        return alarm

    def acknowledge(self, parameter: str, *, user: str, now_ns: int) -> AlarmTransition:
        """Operator acknowledgement: active → acknowledged, returned → cleared."""
        alarm = self._require(
            parameter, (AlarmState.UNACKNOWLEDGED, AlarmState.RTN_UNACKNOWLEDGED), "acknowledge"
        )
        target = (AlarmState.ACKNOWLEDGED if alarm.level != LEVEL_OK
                  else AlarmState.NORMAL)  # fmt: skip
        return self._move(alarm, target, now_ns, user, ack_user=user, ack_ns=now_ns,
                          acked_level=max(alarm.acked_level, alarm.level))  # fmt: skip

    def shelve(
        self, parameter: str, *, user: str, now_ns: int, duration_s: float
    ) -> AlarmTransition:
        """Suppress an alarm for ``duration_s`` (ISA-18.2 shelving always expires)."""
        if not 0 < duration_s <= 7 * 86_400:
            raise InputError("shelve duration_s", duration_s, "0 < duration ≤ 7 days")
        alarm = self._require(parameter, (AlarmState.UNACKNOWLEDGED, AlarmState.ACKNOWLEDGED,
                              AlarmState.RTN_UNACKNOWLEDGED), "shelve")  # fmt: skip
        return self._move(alarm, AlarmState.SHELVED, now_ns, user, shelve_user=user,
                          shelved_until_ns=now_ns + int(duration_s * 1e9))  # fmt: skip

    def unshelve(self, parameter: str, *, user: str | None, now_ns: int) -> AlarmTransition:
        """End shelving: still out of limits → raised again, else cleared."""
        alarm = self._require(parameter, (AlarmState.SHELVED,), "unshelve")
        target = (AlarmState.UNACKNOWLEDGED if alarm.level != LEVEL_OK
                  else AlarmState.NORMAL)  # fmt: skip
        return self._move(alarm, target, now_ns, user, shelved_until_ns=None, shelve_user=None,
                          acked_level=0, max_level=alarm.level, trigger_ns=now_ns)  # fmt: skip

    def expire_shelves(self, now_ns: int) -> list[AlarmTransition]:
        """Unshelve every alarm whose shelving ended by ``now_ns``."""
        due = [a.parameter for a in self._alarms.values()
               if a.state is AlarmState.SHELVED and a.shelved_until_ns <= now_ns]  # fmt: skip
        return [self.unshelve(p, user=None, now_ns=now_ns) for p in due]
