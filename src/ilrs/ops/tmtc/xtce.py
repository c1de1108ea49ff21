"""XTCE (OMG XML Telemetric and Command Exchange 1.2) export and import of the mission
database, so that other tools (Yamcs, COSMOS converters) can read our definitions.

Packets derive from two abstract bases carrying the CCSDS/PUS header fields:
``PUS_TM`` (a SequenceContainer whose children restrict APID, service and subservice) and
``PUS_TC`` (a MetaCommand whose children assign them). Entries sit at absolute bit offsets
from the packet start. What XTCE has no element for (APID owners, the container's declared
raw type of a bit field, command owners) travels as ``AncillaryData`` named ``ilrs.*``.
Import reads what export writes: ``import_xtce(export_xtce(db)) == db``.

>>> from ilrs.ops.tmtc.mdb_build import mdb_from_elements
>>> db = mdb_from_elements([{"id": "isru", "owner": "cnsa",
...     "parameters": [{"name": "o2_rate_kg_s", "type": "float32", "unit": "kg/s"}]}])
>>> text = export_xtce(db)
>>> text.splitlines()[0]
'<?xml version="1.0" encoding="UTF-8"?>'
>>> import_xtce(text) == db
True
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

__all__ = ["NS", "export_xtce", "import_xtce"]

NS = "http://www.omg.org/spec/XTCE/20180204"
#: Bits of the TM primary + PUS-C secondary header (with a CDS short time) before the data.
TM_HEADER_BITS = (6 + 14) * 8
TC_HEADER_BITS = (6 + 5) * 8
_HDR = "_hdr."  # prefix of the header parameters / arguments of the abstract bases
_VERIFIER = {"accepted": "AcceptedVerifier", "started": "ExecutionVerifier",
             "completed": "CompleteVerifier"}  # fmt: skip
_STAGE = {v: k for k, v in _VERIFIER.items()}
_HEADER_FIELDS = (("apid", 5, 11), ("service", 56, 8), ("subservice", 64, 8))


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: object) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), {k: str(v) for k, v in attrib.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _ancillary(parent: ET.Element, items: dict[str, object]) -> None:
    box = _sub(parent, "AncillaryDataSet")
    for name, value in items.items():
        _sub(box, "AncillaryData", json.dumps(value), name=f"ilrs.{name}")


def _encoding(parent: ET.Element, type_name: str, bits: int) -> None:
    if type_name.startswith("float"):
        _sub(parent, "FloatDataEncoding", sizeInBits=bits, encoding="IEEE754_1985")
    else:
        signed = type_name.startswith("int")
        _sub(parent, "IntegerDataEncoding", sizeInBits=bits,
             encoding="twosComplement" if signed else "unsigned")  # fmt: skip


def _range(parent: ET.Element, tag: str, r: Range | None) -> None:
    if r is not None:
        _sub(parent, tag, minInclusive=r.low, maxInclusive=r.high)


def _parameter_type(ts: ET.Element, p: Parameter) -> None:
    if p.type == "bool" and p.calibration is None:
        tag = "BooleanParameterType"
    elif p.type.startswith("float") or p.calibration is not None:
        tag = "FloatParameterType"
    else:
        tag = "IntegerParameterType"
    el = _sub(ts, tag, name=f"{p.name}_t", shortDescription=p.description or None)
    if tag == "IntegerParameterType":
        el.set("signed", str(p.type.startswith("int")).lower())
    _ancillary(el, {"type": p.type})
    if p.unit:
        _sub(_sub(el, "UnitSet"), "Unit", p.unit)
    _encoding(el, p.type, p.bits)
    enc = el[-1]
    if p.calibration is not None:
        cal = _sub(enc, "DefaultCalibrator")
        if isinstance(p.calibration, Polynomial):
            poly = _sub(cal, "PolynomialCalibrator")
            for k, c in enumerate(p.calibration.coefficients):
                _sub(poly, "Term", coefficient=repr(c), exponent=k)
        else:
            spline = _sub(cal, "SplineCalibrator", order=1, extrapolate="true")
            for r, e in zip(p.calibration.raw, p.calibration.eng, strict=True):
                _sub(spline, "SplinePoint", raw=repr(r), calibrated=repr(e))
    if p.limits is not None and tag != "BooleanParameterType":
        ranges = _sub(_sub(el, "DefaultAlarm"), "StaticAlarmRanges")
        _range(ranges, "WarningRange", p.limits.yellow)
        _range(ranges, "CriticalRange", p.limits.red)


def export_xtce(db: MissionDatabase) -> str:
    """The database as an XTCE 1.2 document (UTF-8 text)."""
    ET.register_namespace("xtce", NS)
    root = ET.Element(_q("SpaceSystem"), {"name": db.name})
    _sub(root, "Header", version=db.version)
    _ancillary(root, {"apids": [a.model_dump() for a in db.apids]})
    tm = _sub(root, "TelemetryMetaData")
    types, params = _sub(tm, "ParameterTypeSet"), _sub(tm, "ParameterSet")
    for name, _, bits in _HEADER_FIELDS:
        t = _sub(types, "IntegerParameterType", name=f"{_HDR}{name}_t", signed="false")
        _sub(t, "IntegerDataEncoding", sizeInBits=bits, encoding="unsigned")
        _sub(params, "Parameter", name=f"{_HDR}{name}", parameterTypeRef=f"{_HDR}{name}_t")
    for p in db.parameters:
        _parameter_type(types, p)
        _sub(params, "Parameter", name=p.name, parameterTypeRef=f"{p.name}_t")
    containers = _sub(tm, "ContainerSet")
    base = _sub(containers, "SequenceContainer", name="PUS_TM", abstract="true")
    entries = _sub(base, "EntryList")
    for name, offset, _ in _HEADER_FIELDS:
        e = _sub(entries, "ParameterRefEntry", parameterRef=f"{_HDR}{name}")
        loc = _sub(e, "LocationInContainerInBits", referenceLocation="containerStart")
        _sub(loc, "FixedValue", str(offset))
    for c in db.containers:
        el = _sub(containers, "SequenceContainer", name=c.name)
        entries = _sub(el, "EntryList")
        for e in db.layout(c):
            ref = _sub(entries, "ParameterRefEntry", parameterRef=e.parameter)
            loc = _sub(ref, "LocationInContainerInBits", referenceLocation="containerStart")
            _sub(loc, "FixedValue", str(TM_HEADER_BITS + e.bit_offset))
        crit = _sub(_sub(_sub(el, "BaseContainer", containerRef="PUS_TM"),
                         "RestrictionCriteria"), "ComparisonList")  # fmt: skip
        for name, value in (("apid", c.apid), ("service", c.service),
                            ("subservice", c.subservice)):  # fmt: skip
            _sub(crit, "Comparison", parameterRef=f"{_HDR}{name}", value=value)
    _export_commands(_sub(root, "CommandMetaData"), db)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _export_commands(cm: ET.Element, db: MissionDatabase) -> None:
    types, commands = _sub(cm, "ArgumentTypeSet"), _sub(cm, "MetaCommandSet")
    base = _sub(commands, "MetaCommand", name="PUS_TC", abstract="true")
    args = _sub(base, "ArgumentList")
    for name, _, bits in _HEADER_FIELDS:
        t = _sub(types, "IntegerArgumentType", name=f"{_HDR}{name}_t", signed="false")
        _sub(t, "IntegerDataEncoding", sizeInBits=bits, encoding="unsigned")
        _sub(args, "Argument", name=name, argumentTypeRef=f"{_HDR}{name}_t")
    for cmd in db.commands:
        el = _sub(commands, "MetaCommand", name=cmd.name,
                  shortDescription=cmd.description or None)  # fmt: skip
        _ancillary(el, {"owner": cmd.owner})
        assign = _sub(_sub(el, "BaseMetaCommand", metaCommandRef="PUS_TC"),
                      "ArgumentAssignmentList")  # fmt: skip
        for name in ("apid", "service", "subservice"):
            _sub(assign, "ArgumentAssignment", argumentName=name,
                 argumentValue=getattr(cmd, name))  # fmt: skip
        if cmd.arguments:
            args = _sub(el, "ArgumentList")
        for a in cmd.arguments:
            tname = f"{cmd.name}.{a.name}_t"
            tag = ("Float" if a.type.startswith("float") else
                   "Boolean" if a.type == "bool" else "Integer") + "ArgumentType"  # fmt: skip
            t = _sub(types, tag, name=tname)
            _ancillary(t, {"type": a.type})
            if a.unit:
                _sub(_sub(t, "UnitSet"), "Unit", a.unit)
            _encoding(t, a.type, SCALAR_BITS[a.type])
            if a.min is not None or a.max is not None:
                _sub(_sub(t, "ValidRangeSet"), "ValidRange", minInclusive=a.min,
                     maxInclusive=a.max)  # fmt: skip
            _sub(args, "Argument", name=a.name, argumentTypeRef=tname)
        cont = _sub(_sub(el, "CommandContainer", name=f"{cmd.name}_cc"), "EntryList")
        for a in cmd.arguments:
            _sub(cont, "ArgumentRefEntry", argumentRef=a.name)
        _sub(el, "DefaultSignificance", consequenceLevel=cmd.significance)
        if cmd.constraints:
            tcl = _sub(el, "TransmissionConstraintList")
            for k in cmd.constraints:
                tc = _sub(tcl, "TransmissionConstraint", timeOut=f"PT{cmd.constraint_timeout_s!r}S")
                _sub(tc, "Comparison", parameterRef=k.parameter, value=repr(k.value),
                     comparisonOperator=k.operator)  # fmt: skip
        if cmd.verifiers:
            vs = _sub(el, "VerifierSet")
            for v in cmd.verifiers:
                ver = _sub(vs, _VERIFIER[v.stage])
                _sub(ver, "ContainerRef", containerRef=f"PUS_VERIFICATION_{v.stage.upper()}")
                _sub(ver, "CheckWindow", timeToStopChecking=f"PT{v.timeout_s!r}S",
                     timeWindowIsRelativeTo="commandRelease")  # fmt: skip


# ---------------------------------------------------------------------------------- import


def _anc(el: ET.Element) -> dict[str, object]:
    out = {}
    for a in el.iterfind(f"{_q('AncillaryDataSet')}/{_q('AncillaryData')}"):
        out[a.get("name", "").removeprefix("ilrs.")] = json.loads(a.text or "null")
    return out


def _num(value: str | None) -> float | None:
    return None if value is None else float(value)


def _seconds(duration: str) -> float:
    return float(duration.removeprefix("PT").removesuffix("S"))


def _read_range(el: ET.Element | None) -> Range | None:
    if el is None:
        return None
    return Range(low=_num(el.get("minInclusive")), high=_num(el.get("maxInclusive")))


def _read_parameter(name: str, t: ET.Element) -> Parameter:
    type_name = str(_anc(t)["type"])
    enc = next(e for e in t if e.tag.endswith("DataEncoding"))
    bits = int(enc.get("sizeInBits", "0"))
    unit = t.find(f"{_q('UnitSet')}/{_q('Unit')}")
    cal = None
    poly = enc.find(f"{_q('DefaultCalibrator')}/{_q('PolynomialCalibrator')}")
    spline = enc.find(f"{_q('DefaultCalibrator')}/{_q('SplineCalibrator')}")
    if poly is not None:
        terms = sorted((int(x.get("exponent")), float(x.get("coefficient"))) for x in poly)
        cal = Polynomial(coefficients=tuple(c for _, c in terms))
    elif spline is not None:
        cal = Table(raw=tuple(float(x.get("raw")) for x in spline),
                    eng=tuple(float(x.get("calibrated")) for x in spline))  # fmt: skip
    limits = None
    ranges = t.find(f"{_q('DefaultAlarm')}/{_q('StaticAlarmRanges')}")
    if ranges is not None:
        limits = Limits(yellow=_read_range(ranges.find(_q("WarningRange"))),
                        red=_read_range(ranges.find(_q("CriticalRange"))))  # fmt: skip
    return Parameter(
        name=name,
        type=type_name,
        unit=unit.text or "" if unit is not None else "",
        description=t.get("shortDescription", ""),
        bit_size=None if bits == SCALAR_BITS[type_name] else bits,
        calibration=cal,
        limits=limits,
    )


def import_xtce(source: str | Path) -> MissionDatabase:
    """Read an XTCE document written by :func:`export_xtce` (text or a file path)."""
    file = "<xtce>"
    if isinstance(source, Path) or not source.lstrip().startswith("<"):
        file = str(source)
        source = Path(source).read_text(encoding="utf-8")
    try:
        root = ET.fromstring(source)
        return _import(root)
    except (ET.ParseError, KeyError, StopIteration, TypeError, ValueError) as exc:
        raise MissionDatabaseError(file, "", None, "an XTCE document from export_xtce",
                                   f"{type(exc).__name__}: {exc}") from None  # fmt: skip


def _import(root: ET.Element) -> MissionDatabase:
    if root.tag != _q("SpaceSystem"):
        raise ValueError(f"root element SpaceSystem in namespace {NS}, not {root.tag}")
    tm, cm = root.find(_q("TelemetryMetaData")), root.find(_q("CommandMetaData"))
    ptypes = {t.get("name"): t for t in tm.find(_q("ParameterTypeSet"))}
    params = [
        _read_parameter(p.get("name"), ptypes[p.get("parameterTypeRef")])
        for p in tm.find(_q("ParameterSet"))
        if not p.get("name").startswith(_HDR)
    ]
    by_name = {p.name: p for p in params}
    containers = []
    for c in tm.find(_q("ContainerSet")):
        if c.get("abstract") == "true":
            continue
        key = {x.get("parameterRef").removeprefix(_HDR): int(x.get("value"))
               for x in c.iter(_q("Comparison"))}  # fmt: skip
        entries = []
        offset = 0
        for e in c.find(_q("EntryList")):
            p = by_name[e.get("parameterRef")]
            at = int(e.find(f".//{_q('FixedValue')}").text) - TM_HEADER_BITS
            implied = offset if p.bit_size is not None else -(-offset // 8) * 8
            entries.append(Entry(parameter=p.name, bit_offset=None if at == implied else at))
            offset = at + p.bits
        containers.append(Container(name=c.get("name"), entries=tuple(entries), **key))
    atypes = {t.get("name"): t for t in cm.find(_q("ArgumentTypeSet"))}
    commands = []
    for mc in cm.find(_q("MetaCommandSet")):
        if mc.get("abstract") == "true":
            continue
        key = {a.get("argumentName"): int(a.get("argumentValue"))
               for a in mc.iter(_q("ArgumentAssignment"))}  # fmt: skip
        args = []
        for a in mc.iterfind(f"{_q('ArgumentList')}/{_q('Argument')}"):
            t = atypes[a.get("argumentTypeRef")]
            unit = t.find(f"{_q('UnitSet')}/{_q('Unit')}")
            rng = t.find(f"{_q('ValidRangeSet')}/{_q('ValidRange')}")
            args.append(Argument(
                name=a.get("name"), type=str(_anc(t)["type"]),
                unit=unit.text or "" if unit is not None else "",
                min=_num(rng.get("minInclusive")) if rng is not None else None,
                max=_num(rng.get("maxInclusive")) if rng is not None else None,
            ))  # fmt: skip
        tcs = list(mc.iter(_q("TransmissionConstraint")))
        constraints = tuple(
            Comparison(parameter=k.get("parameterRef"), operator=k.get("comparisonOperator"),
                       value=float(k.get("value")))
            for tc in tcs for k in tc.iter(_q("Comparison"))
        )  # fmt: skip
        verifiers = tuple(
            Verifier(stage=_STAGE[v.tag.removeprefix(f"{{{NS}}}")],
                     timeout_s=_seconds(v.find(_q("CheckWindow")).get("timeToStopChecking")))
            for vs in mc.iter(_q("VerifierSet")) for v in vs
        )  # fmt: skip
        commands.append(Command(
            name=mc.get("name"), owner=str(_anc(mc)["owner"]),
            description=mc.get("shortDescription", ""),
            significance=mc.find(_q("DefaultSignificance")).get("consequenceLevel"),
            arguments=tuple(args), constraints=constraints,
            constraint_timeout_s=_seconds(tcs[0].get("timeOut")) if tcs else 0.0,
            verifiers=verifiers, **key,
        ))  # fmt: skip
    header = root.find(_q("Header"))
    return MissionDatabase(
        name=root.get("name"),
        version=header.get("version", "1") if header is not None else "1",
        apids=tuple(Apid.model_validate(a) for a in _anc(root).get("apids", [])),
        parameters=tuple(params),
        containers=tuple(containers),
        commands=tuple(commands),
    )
