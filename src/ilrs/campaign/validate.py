"""Roadmap validation: ids, dates, mass against capacity, vehicles, dependencies, coverage.

Each problem is a :class:`Finding` with a severity: ``error`` (the plan cannot work as
written), ``warning`` (it works only if something uncertain goes right) or ``info``
(worth knowing). A mission's launch date is its actual launch, else its latest plan.

>>> from ilrs.campaign import Roadmap, validate
>>> findings = validate(Roadmap.load_builtin())
>>> sorted({f.code for f in findings if f.severity == "warning"})
['VEHICLE_ALTERNATIVE_CANCELLED', 'VEHICLE_UNFLOWN']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum

from ilrs.campaign.dates import decimal_year, from_mjd, to_mjd
from ilrs.campaign.model import Mission, Roadmap, VehicleStatus

__all__ = ["Finding", "Severity", "validate"]


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


_ORDER = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


@dataclass(frozen=True)
class Finding:
    """One validation result: severity, a stable code, the mission (if any) and a message."""

    severity: Severity
    code: str
    mission: str | None
    message: str

    def to_dict(self) -> dict:
        return {**asdict(self), "severity": str(self.severity)}


def _fmt_kg(value: float) -> str:
    return f"{value:,.0f} kg"


def _year(mjd: float) -> str:
    return f"{decimal_year(mjd):.1f}"


def validate(roadmap: Roadmap) -> list[Finding]:
    """All findings for a roadmap, errors first."""
    out: list[Finding] = []
    out += _unique_ids(roadmap)
    out += _references(roadmap)
    for m in roadmap.missions:
        out += _dates(roadmap, m)
        out += _mass(roadmap, m)
        out += _vehicles(roadmap, m)
        out += _dependencies(roadmap, m)
        out += _phase(roadmap, m)
    out += _coverage(roadmap)
    return sorted(out, key=lambda f: _ORDER[f.severity])


def _unique_ids(roadmap: Roadmap) -> list[Finding]:
    out = []
    for what in ("missions", "vehicles", "partners", "facilities"):
        counts = Counter(x.id for x in getattr(roadmap, what))
        for key, n in counts.items():
            if n > 1:
                out.append(
                    Finding(Severity.error, "DUPLICATE_ID", key if what == "missions" else None,
                            f"{what[:-1]} id {key!r} is used {n} times")
                )
    return out


def _references(roadmap: Roadmap) -> list[Finding]:
    out = []
    missions = {m.id for m in roadmap.missions}
    vehicles = {v.id for v in roadmap.vehicles}
    facilities = {f.id for f in roadmap.facilities}
    partners = {p.id for p in roadmap.partners}
    for key in roadmap.basic_model:
        if key not in missions:
            out.append(Finding(Severity.error, "UNKNOWN_MISSION", key,
                               f"basic_model names mission {key!r}, which does not exist"))
    for m in roadmap.missions:
        def add(severity, code, message, m=m):
            out.append(Finding(severity, code, m.id, message))

        if m.vehicle not in vehicles:
            add(Severity.error, "UNKNOWN_VEHICLE", f"{m.id}: vehicle {m.vehicle!r} is not defined")
        for alt in m.alternative_vehicles:
            if alt not in vehicles:
                add(Severity.warning, "UNKNOWN_VEHICLE",
                    f"{m.id}: alternative vehicle {alt!r} is not defined")
        for fac in (*m.facilities, *m.requires):
            if fac not in facilities:
                add(Severity.error, "UNKNOWN_FACILITY", f"{m.id}: facility {fac!r} is not defined")
        for dep in m.depends_on:
            if dep not in missions:
                add(Severity.error, "UNKNOWN_MISSION",
                    f"{m.id} depends on mission {dep!r}, which does not exist")
        if roadmap.phase_of(m) is None:
            add(Severity.error, "UNKNOWN_PHASE", f"{m.id}: phase {m.phase!r} is not defined")
        for country in m.countries:
            if country not in partners:
                add(Severity.warning, "UNKNOWN_PARTNER",
                    f"{m.id}: country {country!r} is not a listed partner")
        for p in m.payloads:
            if p.owner not in partners:
                add(Severity.info, "OWNER_NOT_PARTNER",
                    f"{m.id}: payload {p.name!r} is owned by {p.owner!r}, "
                    "not a listed ILRS partner")
    return out


def _dates(roadmap: Roadmap, m: Mission) -> list[Finding]:
    out = []
    launched = m.launched
    for d in m.dates:
        if launched and d.kind in ("landed", "ended") and to_mjd(d.date) < to_mjd(launched):
            out.append(Finding(Severity.error, "DATE_ORDER", m.id,
                               f"{m.id}: {d.kind} {d.date}, before its launch {launched}"))
    landed = m.landed
    for d in m.dates:
        if landed and d.kind == "ended" and to_mjd(d.date) < to_mjd(landed):
            out.append(Finding(Severity.error, "DATE_ORDER", m.id,
                               f"{m.id} ends {d.date}, before it landed {landed}"))
    for d in m.dates:
        if d.announced is not None and d.kind != "planned" and to_mjd(d.announced) > to_mjd(d.date):
            out.append(Finding(Severity.error, "DATE_ORDER", m.id,
                               f"{m.id}: {d.kind} date {d.date} announced later, {d.announced}"))
    if m.is_done and launched is None:
        out.append(Finding(Severity.error, "STATUS_DATES", m.id,
                           f"{m.id} has status {m.status} but no launch date"))
    if m.status == "planned" and launched is not None:
        out.append(Finding(Severity.warning, "STATUS_DATES", m.id,
                           f"{m.id} is 'planned' but has a launch date {launched}"))
    if m.status == "planned" and to_mjd(m.launch_date) < to_mjd(roadmap.as_of):
        out.append(Finding(Severity.warning, "OVERDUE", m.id,
                           f"{m.id}: planned launch {m.launch_date} is before the data cut-off "
                           f"{roadmap.as_of}"))
    return out


def _mass(roadmap: Roadmap, m: Mission) -> list[Finding]:
    vehicle = next((v for v in roadmap.vehicles if v.id == m.vehicle), None)
    if vehicle is None:
        return []
    if m.mass_kg is None or vehicle.capacity_emt_kg is None:
        missing = "mass" if m.mass_kg is None else f"{vehicle.name}'s capacity"
        return [Finding(Severity.info, "MASS_UNCHECKED", m.id,
                        f"{m.id}: mass against capacity not checked ({missing} not published)")]
    mass, capacity = m.mass_kg.value, vehicle.capacity_emt_kg.value
    margin = capacity - mass
    if margin < 0:
        return [Finding(Severity.error, "OVERWEIGHT", m.id,
                        f"{m.id}: mass {_fmt_kg(mass)} exceeds {vehicle.name} capacity "
                        f"{_fmt_kg(capacity)} to Earth-Moon transfer; margin {_fmt_kg(margin)} "
                        f"({100 * margin / capacity:+.1f} %)")]
    return []


def _vehicles(roadmap: Roadmap, m: Mission) -> list[Finding]:
    out = []
    launch = to_mjd(m.launch_date)
    as_of = to_mjd(roadmap.as_of)
    for vid in dict.fromkeys((m.vehicle, *m.alternative_vehicles)):
        vehicle = next((v for v in roadmap.vehicles if v.id == vid), None)
        if vehicle is None:
            continue
        primary = vid == m.vehicle
        if vehicle.status == VehicleStatus.cancelled:
            if primary and not m.is_done:
                out.append(Finding(Severity.error, "VEHICLE_CANCELLED", m.id,
                                   f"{m.id} is planned on {vehicle.name}, which is cancelled "
                                   f"({vehicle.status_source})"))
            elif not primary:
                out.append(Finding(Severity.warning, "VEHICLE_ALTERNATIVE_CANCELLED", m.id,
                                   f"{m.id}: alternative vehicle {vehicle.name} is cancelled "
                                   f"({vehicle.status_source})"))
            continue
        if not primary:
            continue
        first = vehicle.first_flight
        if first is None:
            out.append(Finding(Severity.warning, "VEHICLE_UNFLOWN", m.id,
                               f"{m.id} uses {vehicle.name}, which has no first-flight date"))
            continue
        first_mjd = to_mjd(first.date)
        if first_mjd > launch:
            out.append(Finding(Severity.error, "VEHICLE_LATE", m.id,
                               f"{m.id} launches {m.launch_date} on {vehicle.name}, whose first "
                               f"flight is {first.date}"))
        elif first.planned or first_mjd > as_of:
            lead = (launch - first_mjd) / 365.2425
            out.append(Finding(Severity.warning, "VEHICLE_UNFLOWN", m.id,
                               f"{m.id} launches {m.launch_date} on {vehicle.name}, not yet flown "
                               f"(first flight planned {first.date}, {lead:.1f} yr before)"))
    return out


def _dependencies(roadmap: Roadmap, m: Mission) -> list[Finding]:
    out = []
    launch = to_mjd(m.launch_date)
    by_id = {x.id: x for x in reversed(roadmap.missions)}
    for dep_id in m.depends_on:
        dep = by_id.get(dep_id)
        if dep is None:
            continue
        if not dep.delivers:
            out.append(Finding(Severity.error, "DEPENDENCY_FAILED", m.id,
                               f"{m.id} depends on {dep.id}, which is {dep.status}"))
        elif roadmap.arrival_mjd(dep) > launch:
            out.append(Finding(Severity.error, "DEPENDENCY_LATE", m.id,
                               f"{m.id} launches {m.launch_date} but depends on {dep.id}, which "
                               f"arrives {roadmap.landing_date(dep)}"))
    for fac in m.requires:
        providers = [x for x in roadmap.missions if fac in x.facilities and x.delivers]
        if not providers:
            out.append(Finding(Severity.error, "REQUIRED_FACILITY_MISSING", m.id,
                               f"{m.id} requires facility {fac!r}, which no mission delivers"))
            continue
        first = min(providers, key=roadmap.arrival_mjd)
        if roadmap.arrival_mjd(first) > launch:
            out.append(Finding(Severity.error, "DEPENDENCY_LATE", m.id,
                               f"{m.id} launches {m.launch_date} but requires {fac!r}, delivered "
                               f"by {first.id} only on {roadmap.landing_date(first)}"))
    return out


def _phase(roadmap: Roadmap, m: Mission) -> list[Finding]:
    found = roadmap.phase_of(m)
    if found is None:
        return []
    span = found[1] or found[0]
    year = int(m.launch_date[:4])
    after_end = span.end_year is not None and year > span.end_year
    if year < span.start_year or after_end:
        end = span.end_year if span.end_year is not None else "..."
        return [Finding(Severity.info, "OUTSIDE_PHASE", m.id,
                        f"{m.id} launches {m.launch_date}, outside its {span.name} "
                        f"({span.start_year}-{end})")]
    return []


def _coverage(roadmap: Roadmap) -> list[Finding]:
    out = []
    due = to_mjd(roadmap.basic_model_due)
    for fac in roadmap.facilities:
        providers = [m for m in roadmap.missions if fac.id in m.facilities and m.delivers]
        arrivals = [roadmap.arrival_mjd(m) for m in providers]
        if not arrivals or min(arrivals) > due:
            when = f"first on {from_mjd(min(arrivals))}" if arrivals else "by no mission"
            out.append(Finding(Severity.error, "COVERAGE", None,
                               f"facility {fac.id!r} is not in place by {roadmap.basic_model_due}"
                               f" (delivered {when})"))
    basic = [m for m in roadmap.missions if m.id in roadmap.basic_model]
    if basic:
        done = max(roadmap.arrival_mjd(m) for m in basic)
        out.append(Finding(Severity.info, "BASIC_MODEL", None,
                           f"basic model ({', '.join(roadmap.basic_model)}) planned complete "
                           f"{from_mjd(done)} (~{_year(done)}), due {roadmap.basic_model_due}"))
    return out
