"""XTCE import: the mission database back from what :func:`ilrs.ops.tmtc.xtce.export_xtce`
wrote. The database's own parameters, containers and commands are those with an alias in
the ``ilrs`` namespace (their dotted name); the export's header parameters, PUS-1
containers and the ``PUS_TC`` base have none and are skipped.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from ilrs.errors import MissionDatabaseError
from ilrs.ops.tmtc.mdb import (
    SCALAR_BITS,
    Apid,
    Argument,
    Command,
    Comparison,
    Container,
    Entry,
    Limits,
    MissionDatabase,
    Parameter,
    Polynomial,
    Range,
    Table,
    Verifier,
)
from ilrs.ops.tmtc.xtce_names import ALIAS_NAMESPACE, NS, TM_HEADER_BITS

__all__ = ["import_xtce"]

_STAGE = {"AcceptedVerifier": "accepted", "ExecutionVerifier": "started",
          "CompleteVerifier": "completed"}  # fmt: skip
_KEY = {"ccsds_apid": "apid", "pus_service": "service", "pus_subservice": "subservice"}


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _anc(el: ET.Element) -> dict[str, object]:
    out = {}
    for a in el.iterfind(f"{_q('AncillaryDataSet')}/{_q('AncillaryData')}"):
        out[a.get("name", "").removeprefix("ilrs.")] = json.loads(a.text or "null")
    return out


def _own_name(el: ET.Element) -> str | None:
    """The database's (dotted) name of an exported item, None for the export's own."""
    for a in el.iterfind(f"{_q('AliasSet')}/{_q('Alias')}"):
        if a.get("nameSpace") == ALIAS_NAMESPACE:
            return a.get("alias")
    return None


def _num(value: str | None) -> float | None:
    return None if value is None else float(value)


def _seconds(duration: str) -> float:
    return float(duration.removeprefix("PT").removesuffix("S"))


def _read_range(el: ET.Element | None) -> Range | None:
    if el is None:
        return None
    return Range(low=_num(el.get("minInclusive")), high=_num(el.get("maxInclusive")))


def _unit(t: ET.Element) -> str:
    unit = t.find(f"{_q('UnitSet')}/{_q('Unit')}")
    return unit.text or "" if unit is not None else ""


def _read_parameter(name: str, t: ET.Element) -> Parameter:
    type_name = str(_anc(t)["type"])
    enc = next(e for e in t if e.tag.endswith("DataEncoding"))
    bits = int(enc.get("sizeInBits", "0"))
    cal = None
    poly = enc.find(f"{_q('DefaultCalibrator')}/{_q('PolynomialCalibrator')}")
    spline = enc.find(f"{_q('DefaultCalibrator')}/{_q('SplineCalibrator')}")
    if poly is not None:
        terms = sorted((int(x.get("exponent")), float(x.get("coefficient"))) for x in poly)
        cal = Polynomial(coefficients=tuple(c for _, c in terms))
    elif spline is not None:
        cal = Table(raw=tuple(float(x.get("raw")) for x in spline),
                    eng=tuple(float(x.get("calibrated")) for x in spline))  # fmt: skip
    limits = _anc(t).get("limits")  # a boolean's, as ancillary data
    limits = None if limits is None else Limits.model_validate(limits)
    ranges = t.find(f"{_q('DefaultAlarm')}/{_q('StaticAlarmRanges')}")
    if ranges is not None:
        limits = Limits(yellow=_read_range(ranges.find(_q("WarningRange"))),
                        red=_read_range(ranges.find(_q("CriticalRange"))))  # fmt: skip
    return Parameter(
        name=name,
        type=type_name,
        unit=_unit(t),
        description=t.get("shortDescription", ""),
        bit_size=None if bits == SCALAR_BITS[type_name] else bits,
        calibration=cal,
        limits=limits,
    )


def import_xtce(source: str | Path) -> MissionDatabase:
    """Read an XTCE document written by ``export_xtce`` (text or a file path)."""
    file = "<xtce>"
    if isinstance(source, Path) or not source.lstrip().startswith("<"):
        file = str(source)
        source = Path(source).read_text(encoding="utf-8")
    try:
        root = ET.fromstring(source)
        return _import(root)
    except (ET.ParseError, AttributeError, KeyError, StopIteration, TypeError,
            ValueError) as exc:  # fmt: skip
        raise MissionDatabaseError(file, "", None, "an XTCE document from export_xtce",
                                   f"{type(exc).__name__}: {exc}") from None  # fmt: skip


def _import(root: ET.Element) -> MissionDatabase:
    if root.tag != _q("SpaceSystem"):
        raise ValueError(f"root element SpaceSystem in namespace {NS}, not {root.tag}")
    tm, cm = root.find(_q("TelemetryMetaData")), root.find(_q("CommandMetaData"))
    ptypes = {t.get("name"): t for t in tm.find(_q("ParameterTypeSet"))}
    names: dict[str, str] = {}  # XTCE name → database name
    params = []
    for p in tm.find(_q("ParameterSet")):
        own = _own_name(p)
        if own is not None:
            names[p.get("name")] = own
            params.append(_read_parameter(own, ptypes[p.get("parameterTypeRef")]))
    by_name = {p.name: p for p in params}
    containers = []
    for c in tm.find(_q("ContainerSet")):
        own = _own_name(c)
        if own is None:
            continue
        key = {_KEY[x.get("parameterRef")]: int(x.get("value"))
               for x in c.iter(_q("Comparison"))}  # fmt: skip
        entries = []
        offset = 0
        for e in c.find(_q("EntryList")):
            p = by_name[names[e.get("parameterRef")]]
            at = int(e.find(f".//{_q('FixedValue')}").text) - TM_HEADER_BITS
            implied = offset if p.bit_size is not None else -(-offset // 8) * 8
            entries.append(Entry(parameter=p.name, bit_offset=None if at == implied else at))
            offset = at + p.bits
        containers.append(Container(name=own, entries=tuple(entries), **key))
    atypes = {t.get("name"): t for t in cm.find(_q("ArgumentTypeSet"))}
    commands = [_read_command(mc, atypes, names)
                for mc in cm.find(_q("MetaCommandSet")) if _own_name(mc) is not None]
    header = root.find(_q("Header"))
    return MissionDatabase(
        name=root.get("name"),
        version=header.get("version", "1") if header is not None else "1",
        apids=tuple(Apid.model_validate(a) for a in _anc(root).get("apids", [])),
        parameters=tuple(params),
        containers=tuple(containers),
        commands=tuple(commands),
    )


def _comparison(k: ET.Element, names: dict[str, str]) -> Comparison:
    value = k.get("value")
    number = {"true": 1.0, "false": 0.0}.get(value.lower()) if value else None
    return Comparison(parameter=names[k.get("parameterRef")],
                      operator=k.get("comparisonOperator", "=="),
                      value=float(value) if number is None else number)  # fmt: skip


def _read_command(mc: ET.Element, atypes: dict, names: dict[str, str]) -> Command:
    key = {_KEY[a.get("argumentName")]: int(a.get("argumentValue"))
           for a in mc.iter(_q("ArgumentAssignment"))}  # fmt: skip
    args = []
    for a in mc.iterfind(f"{_q('ArgumentList')}/{_q('Argument')}"):
        t = atypes[a.get("argumentTypeRef")]
        rng = t.find(f"{_q('ValidRangeSet')}/{_q('ValidRange')}")
        args.append(Argument(
            name=a.get("name"), type=str(_anc(t)["type"]), unit=_unit(t),
            min=_num(rng.get("minInclusive")) if rng is not None else None,
            max=_num(rng.get("maxInclusive")) if rng is not None else None,
        ))  # fmt: skip
    tcs = list(mc.iter(_q("TransmissionConstraint")))
    constraints = tuple(_comparison(k, names) for tc in tcs for k in tc.iter(_q("Comparison")))
    verifiers = tuple(
        Verifier(stage=_STAGE[v.tag.removeprefix(f"{{{NS}}}")],
                 timeout_s=_seconds(v.find(_q("CheckWindow")).get("timeToStopChecking")))
        for vs in mc.iter(_q("VerifierSet")) for v in vs
    )  # fmt: skip
    return Command(
        name=_own_name(mc), owner=str(_anc(mc)["owner"]),
        description=mc.get("shortDescription", ""),
        significance=mc.find(_q("DefaultSignificance")).get("consequenceLevel"),
        arguments=tuple(args), constraints=constraints,
        constraint_timeout_s=_seconds(tcs[0].get("timeOut")) if tcs else 0.0,
        verifiers=verifiers, **key,
    )  # fmt: skip
