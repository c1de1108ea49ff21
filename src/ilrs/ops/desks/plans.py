"""The plan desk of ``ilrs serve``: plans uploaded by operators, checked against their
permissions, stored as versions in the archive and the audit log, and delivered to the
station as PUS-11 time-tagged commands (:mod:`ilrs.ops.desks.upload`).

A partner operator may upload activities on its own partner's elements only (an
activity's payload or rover is an element with an APID and an owner); an activity with no
twin load (ISRU excavation, an EVA) runs on the station's bus, so it needs the right to
command the station element. A viewer may upload nothing. Everything is checked before
anything is stored or sent: a refused or malformed plan leaves no version, no command.

Each accepted plan gets the next version number (the archive's highest + 1, whatever the
file says); the commands whose release time has not passed on board are issued through
the commander as the uploading user (authorization, history, verification as any
command). A new version supersedes the previous one: its commands still queued on the
ground are cancelled, those waiting in the on-board schedule deleted there (TC[11,5],
:mod:`ilrs.ops.tmtc.pus11`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ilrs.errors import InputError, PermissionDeniedError
from ilrs.ops.archive import PlanRecord
from ilrs.ops.commanding.entry import CommandEntry, CommandState
from ilrs.ops.desks.upload import UplinkCommand, plan_commands
from ilrs.ops.security.policy import Action
from ilrs.ops.service import OpsService
from ilrs.ops.tmtc.codec import encode_arguments
from ilrs.ops.tmtc.timecodes import CdsTime

#: A scheduled command is deleted on board only if released at least this far ahead, s.
WITHDRAW_MARGIN_S = 1.0

if TYPE_CHECKING:  # the twin and the planner load with the first plan (the API starts fast)
    from ilrs.plan.plan import Plan

__all__ = ["ActivityIn", "Delivery", "PlanDesk", "PlanIn", "to_plan"]

#: The station's state a plan starts from, from housekeeping: parameter of the station
#: element → (``Horizon.from_twin``'s ``initial`` key, its type).
_STATE = (("battery.energy_j", ("energy_j", float)), ("data.buffer_bit", ("buffer_bit", float)),
          ("fdir.buffer_hold", ("hold", bool)), ("fdir.science_shed", ("shed", bool)))
#: Activities one upload may hold (the API's body limit bounds it too).
MAX_ACTIVITIES = 2000
#: Commands released sooner than this after the twin's time now are left out (they
#: would reach the on-board scheduler after their time).
RELEASE_MARGIN_S = 1.0


class _In(BaseModel):
    # plan.json as ``ilrs plan`` writes it carries more (tdb seconds, solver report)
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class ActivityIn(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=100)
    instance: int = Field(default=0, ge=0, le=1_000_000)
    start_utc: str = Field(max_length=40)
    stop_utc: str = Field(max_length=40)
    power_w: float = Field(ge=0, le=1e7)
    data_bit_s: float = Field(default=0.0, ge=0, le=1e12)
    needs: list[str] = Field(default_factory=list, max_length=16)
    payload: str | None = Field(default=None, max_length=200)
    rover: str | None = Field(default=None, max_length=200)
    resource: str | None = Field(default=None, max_length=200)
    crew: int = Field(default=0, ge=0, le=100)
    value: float = Field(default=0.0, ge=0, le=1e9)
    distance_km: float | None = Field(default=None, ge=0, le=1e4)


class PlanIn(_In):
    """A plan to upload: ``plan.json`` as ``ilrs plan`` writes it (extra keys ignored)."""

    start_utc: str = Field(max_length=40)
    stop_utc: str = Field(max_length=40)
    activities: list[ActivityIn] = Field(max_length=MAX_ACTIVITIES)
    solver: dict[str, Any] = Field(default_factory=dict)


def _tdb(iso: str, what: str) -> float:
    from ilrs.plan.horizon import utc_to_tdb

    text = iso.strip().removesuffix("Z")
    try:
        CdsTime.from_utc_iso(text)  # in the range the on-board clock can carry
        return utc_to_tdb(text)
    except (InputError, ValueError, TypeError, OverflowError):
        raise InputError(what, iso, "a UTC ISO-8601 instant, 1958 to 2137 "
                         "(2036-01-01T06:00:00)") from None


def to_plan(body: PlanIn) -> Plan:
    """The :class:`~ilrs.plan.plan.Plan` of an upload; ``InputError`` naming the field."""
    from ilrs.plan.plan import Activity, Plan
    from ilrs.station.schedule import CONDITIONS

    start, stop = _tdb(body.start_utc, "start_utc"), _tdb(body.stop_utc, "stop_utc")
    if stop <= start:
        raise InputError("stop_utc", body.stop_utc,
                         f"an instant after start_utc ({body.start_utc})")
    acts = []
    for i, a in enumerate(body.activities):
        where = f"activities.{i}"
        t0, t1 = _tdb(a.start_utc, f"{where}.start_utc"), _tdb(a.stop_utc, f"{where}.stop_utc")
        if not start - 1e-3 <= t0 < t1 <= stop + 1e-3:
            raise InputError(f"{where}.stop_utc", a.stop_utc,
                             "after the activity's start_utc, both inside the plan's span")
        unknown = sorted(set(a.needs) - set(CONDITIONS))
        if unknown:
            raise InputError(f"{where}.needs", unknown, f"conditions among {list(CONDITIONS)}")
        if a.payload is not None and a.rover is not None:
            raise InputError(f"{where}.rover", a.rover, "null when a payload is given")
        acts.append(Activity(name=a.name, kind=a.kind, instance=a.instance, start_tdb_s=t0,
                             stop_tdb_s=t1, power_w=a.power_w, data_bit_s=a.data_bit_s,
                             needs=tuple(a.needs), payload=a.payload, rover=a.rover,
                             resource=a.resource or a.payload or a.rover or a.kind,
                             crew=a.crew, value=a.value,
                             distance_km=a.distance_km))  # fmt: skip
    return Plan(start, stop, acts, dict(body.solver))


def _rest(plan: Plan, from_tdb_s: float) -> Plan:
    """``plan`` from ``from_tdb_s`` on: running activities cut to start then."""
    from ilrs.plan.plan import Plan

    acts = [dataclasses.replace(a, start_tdb_s=max(a.start_tdb_s, from_tdb_s))
            for a in plan.activities if a.stop_tdb_s > from_tdb_s]  # fmt: skip
    return Plan(max(plan.start_tdb_s, from_tdb_s), plan.stop_tdb_s, acts, version=plan.version,
                controls=plan.controls)


@dataclass
class Delivery:
    """A stored plan version and the commands issued for it."""

    record: PlanRecord
    plan: Plan
    commands: list[CommandEntry] = field(default_factory=list)
    #: Commands of the plan left out: their release time had passed on board.
    skipped: int = 0
    #: For a repair: seconds from the trigger to the commands issued.
    repair_s: float | None = None
    #: From when its commands set the loads (TDB s; a repair's time, else the start).
    from_tdb_s: float | None = None
    #: The station's state the plan starts from, for its repairs (``Horizon.from_twin``'s
    #: ``initial``): the housekeeping at the upload, inherited by the repaired versions.
    initial: dict[str, Any] | None = None

    def public(self, *, body: bool = False) -> dict[str, Any]:
        out = {"version": self.record.version, "user": self.record.user,
               "reason": self.record.reason, "activities": self.record.activities,
               "commands": [c.id for c in self.commands], "skipped": self.skipped,
               "repair_s": self.repair_s}  # fmt: skip
        if body:
            out["plan"] = json.loads(self.record.body)
        return out


class PlanDesk:
    """Uploads, versions and delivery of plans for one running command center."""

    def __init__(self, ops: OpsService, elements, *, station_element: str = "station"):
        self.ops = ops
        self.elements = list(elements)
        self._apid = {e.id: ops.mdb.apid_of(e.id) for e in self.elements
                      if any(a.name == e.id for a in ops.mdb.apids)}  # fmt: skip
        self._by_load = {e.name: e for e in self.elements if e.role in ("payload", "rover")}
        self.station_apid = self._apid.get(station_element)
        self.state_element = station_element
        self._lock = threading.Lock()
        self.deliveries: dict[int, Delivery] = {}
        #: What repairs the current plan (``ilrs.ops.desks.repair.Replanner``), if any.
        self.replanner: Any = None

    # -- checks ---------------------------------------------------------------------------
    def _element(self, activity, where: str = "activity"):
        """The element an activity switches (None: the station's bus) and its APID."""
        load = activity.payload or activity.rover
        element = self._by_load.get(load) if load else None
        if load is not None and element is None:
            raise InputError(f"{where}.{'payload' if activity.payload else 'rover'}", load,
                             "a payload or rover element of the station")
        return element, self.station_apid if element is None else self._apid.get(element.id)

    def allowed(self, user: str, activity) -> bool:
        """May ``user`` plan ``activity`` (its element's APID, else the station's)?"""
        try:
            _, apid = self._element(activity)
        except InputError:
            return False
        return self.ops.policy.can(user, Action.COMMAND, apid=apid)

    def driven(self, plan: Plan) -> dict[Any, list[tuple[float, float]]]:
        """The elements whose loads ``plan`` switches, each with its activities' spans."""
        out: dict[Any, list[tuple[float, float]]] = {}
        for a in plan.activities:
            element = self._by_load.get(a.payload or a.rover or "")
            if element is not None:
                out.setdefault(element, []).append((a.start_tdb_s, a.stop_tdb_s))
        return out

    def _authorize(self, user: str, plan: Plan) -> None:
        """Every activity's element must be one ``user`` may command."""
        self.ops.policy.require(user, Action.COMMAND)
        for i, a in enumerate(plan.activities):
            element, apid = self._element(a, f"activities.{i}")
            if not self.ops.policy.can(user, Action.COMMAND, apid=apid):
                target = "the station bus" if element is None else element.id
                raise PermissionDeniedError(user, "plan activities on", target)

    def _due(self, cmds: list[UplinkCommand]) -> tuple[list[UplinkCommand], int]:
        """The commands still ahead of the twin's clock, and how many are not."""
        now_s = self.ops.mission_clock() / 1e9 + RELEASE_MARGIN_S
        ahead = [c for c in cmds if CdsTime.from_utc_iso(c.release_utc).unix_s >= now_s]
        return ahead, len(cmds) - len(ahead)

    # -- delivery -------------------------------------------------------------------------
    def upload(self, *, user: str, body: PlanIn, reason: str = "upload") -> Delivery:
        """Check, store, audit and deliver a plan (see the module doc)."""
        digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        request = {"start_utc": body.start_utc, "stop_utc": body.stop_utc,
                   "activities": len(body.activities), "sha256": digest, "reason": reason}
        with self._lock, self.ops.audited(user, "plan.upload", request):
            plan = to_plan(body)
            self._authorize(user, plan)
            return self._deliver(user, plan, reason)

    def deliver(self, *, user: str, plan: Plan, reason: str,
                from_tdb_s: float | None = None) -> Delivery:  # fmt: skip
        """Store and deliver a plan made here (a repair) in ``user``'s name, superseding
        the current version; ``user`` must be allowed every activity. ``from_tdb_s``: the
        commands set every load the plan drives to its planned state from then on (those
        of the plan before it are left out)."""
        with self._lock:
            self._authorize(user, plan)
            return self._deliver(user, plan, reason, from_tdb_s)

    @property
    def current(self) -> Delivery | None:
        """The latest version delivered by this desk."""
        return self.deliveries[max(self.deliveries)] if self.deliveries else None

    def _deliver(self, user: str, plan: Plan, reason: str,
                 from_tdb_s: float | None = None) -> Delivery:  # fmt: skip
        rest = plan if from_tdb_s is None else _rest(plan, from_tdb_s)
        cmds, skipped = self._due(plan_commands(rest, self.elements))
        for c in cmds:  # every command encodes before anything is stored or sent
            encode_arguments(self.ops.mdb.command(c.command), c.arguments)
        plan.version = self.ops.archive.last_plan_version() + 1
        record = PlanRecord(plan.version, self.ops.clock(), user, reason,
                            len(plan.activities), len(cmds),
                            json.dumps(plan.to_json(), sort_keys=True))  # fmt: skip
        self.ops.archive.append_plan(record)
        self._supersede(plan.version)
        delivery = Delivery(record, plan, skipped=skipped, from_tdb_s=rest.start_tdb_s,
                            initial=self._initial(from_tdb_s is not None))
        self.deliveries[plan.version] = delivery
        for c in cmds:
            delivery.commands.append(self.ops.commander.issue(
                user=user, name=c.command, arguments=c.arguments,
                release_at_utc=c.release_utc))
        return delivery

    def _supersede(self, version: int) -> None:
        """Withdraw what the previous versions still hold: on the ground (cancelled in
        each command's issuer's name: the new version replaces their plan) and on board
        (deleted from the time-based schedule by TC[11,5])."""
        for old in self.deliveries.values():
            for entry in old.commands:
                if entry.state in (CommandState.WAITING_CONSTRAINTS,
                                   CommandState.AWAITING_APPROVAL):  # fmt: skip
                    self.ops.commander.cancel(entry.id, user=entry.user)
            # only commands still WITHDRAW_MARGIN_S ahead of the mission clock can be caught
            self.ops.commander.withdraw_scheduled(
                old.commands, not_before_s=self.ops.mission_clock() / 1e9 + WITHDRAW_MARGIN_S,
                detail=f"superseded by plan v{version}: deleted from the on-board schedule "
                "(TC[11,5])")

    def _initial(self, repair: bool) -> dict[str, Any] | None:
        """A repair keeps its plan's starting state; an upload takes the housekeeping's
        stored energy, buffer content and FDIR buffer hold (None while any is unknown)."""
        current = self.current
        if repair:
            return None if current is None else current.initial
        latest = self.ops.processor.latest_value
        values = [latest(f"{self.state_element}.{n}") for n, _ in _STATE]
        if any(v is None for v in values):
            return None
        return {key: cast(v) for (_, (key, cast)), v in zip(_STATE, values, strict=True)}

    # -- reading --------------------------------------------------------------------------
    def versions(self, *, after_version: int = 0, limit: int = 1000) -> list[PlanRecord]:
        return self.ops.archive.plans(after_version=after_version, limit=limit)

    def version(self, version: int) -> PlanRecord | None:
        return self.ops.archive.plan(version)
