"""XTCE (OMG XML Telemetric and Command Exchange 1.2) export of the mission database, in
the forms Yamcs loads as is (import: :mod:`ilrs.ops.tmtc.xtce_read`).

Names: dotted names become ``_``-joined XTCE names with the dotted name as an alias in the
``ilrs`` namespace (:mod:`ilrs.ops.tmtc.xtce_names`). Telemetry: an abstract
``PUS_TM`` SequenceContainer with the APID, service and subservice; each container
derives from it with restriction criteria and places its entries at absolute bit offsets
from the packet start; ``PUS_VERIFICATION`` (service 1) carries the request id of PUS-1
reports and its failure children the failure code. Every encoding has its ``sizeInBits``
and every float type is 64 bits wide in engineering units (XTCE's default is 32).
Commands: an abstract ``PUS_TC`` MetaCommand whose CommandContainer lays out the CCSDS
primary and PUS-C secondary headers (the sequence count, length and CRC are filled by
Yamcs' ``PusCommandPostprocessor``); each command derives from it, assigning APID,
service and subservice. Verifiers run Yamcs' ``org.yamcs.pus.Pus1Verifier`` on the
PUS-1 reports (stage 1 accepted, 3 started, 7 completed). What XTCE has no element for
(APID owners, the declared raw type, command owners) travels as ``AncillaryData`` named
``ilrs.*``. ``import_xtce(export_xtce(db)) == db``.

>>> from ilrs.ops.tmtc.mdb_build import mdb_from_elements
>>> db = mdb_from_elements([{"id": "isru", "owner": "cnsa",
...     "parameters": [{"name": "o2_rate_kg_s", "type": "float32", "unit": "kg/s"}]}])
>>> text = export_xtce(db)
>>> text.splitlines()[0]
'<?xml version="1.0" encoding="UTF-8"?>'
>>> 'name="isru_o2_rate_kg_s"' in text and 'alias="isru.o2_rate_kg_s"' in text
True
>>> import_xtce(text) == db
True
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ilrs.ops.tmtc.mdb import SCALAR_BITS, Command, MissionDatabase, Parameter, Range
from ilrs.ops.tmtc.xtce_names import (
    ALIAS_NAMESPACE,
    FAILURE_CODE,
    HEADER_FIELDS,
    NS,
    TM_HEADER_BITS,
    VERIFICATION_FIELDS,
    check_unique,
    xtce_name,
)
from ilrs.ops.tmtc.xtce_read import import_xtce

__all__ = ["NS", "export_xtce", "import_xtce"]

#: XTCE verifier element and Pus1Verifier stage (the success subtype) per stage.
_VERIFIER = {"accepted": ("AcceptedVerifier", 1), "started": ("ExecutionVerifier", 3),
             "completed": ("CompleteVerifier", 7)}  # fmt: skip
#: PUS-1 failure subtypes with a failure code.
_FAILURES = (("ACCEPTANCE_FAILED", 2), ("START_FAILED", 4), ("COMPLETION_FAILED", 8))
#: The TC header fields before the arguments: (entry name, bits, fixed hex value or None
#: for an argument of that name).
_TC_HEADER = (("ccsds_version", 3, "00"), ("ccsds_type", 1, "01"), ("ccsds_sec_hdr", 1, "01"),
              ("ccsds_apid", 11, None), ("ccsds_seq_flags", 2, "03"),
              ("ccsds_seq_count", 14, "0000"), ("ccsds_length", 16, "0000"),
              ("pus_version", 4, "02"), ("pus_ack_flags", 4, None), ("pus_service", 8, None),
              ("pus_subservice", 8, None), ("pus_source_id", 16, None))  # fmt: skip
_TC_DEFAULTS = {"pus_ack_flags": 15, "pus_source_id": 0}


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: object) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), {k: str(v) for k, v in attrib.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _alias(parent: ET.Element, name: str) -> None:
    _sub(_sub(parent, "AliasSet"), "Alias", nameSpace=ALIAS_NAMESPACE, alias=name)


def _ancillary(parent: ET.Element, items: dict[str, object]) -> None:
    box = _sub(parent, "AncillaryDataSet")
    for name, value in items.items():
        _sub(box, "AncillaryData", json.dumps(value), name=f"ilrs.{name}")


def _encoding(parent: ET.Element, type_name: str, bits: int) -> ET.Element:
    if type_name.startswith("float"):
        return _sub(parent, "FloatDataEncoding", sizeInBits=bits, encoding="IEEE754_1985")
    signed = type_name.startswith("int")
    return _sub(parent, "IntegerDataEncoding", sizeInBits=bits,
                encoding="twosComplement" if signed else "unsigned")  # fmt: skip


def _uint(parent: ET.Element, tag: str, name: str, bits: int) -> None:
    t = _sub(parent, tag, name=name, signed="false", sizeInBits=32 if bits <= 32 else 64)
    _sub(t, "IntegerDataEncoding", sizeInBits=bits, encoding="unsigned")


def _number(value: float | None, integer: bool) -> str | None:
    """A bound as the type's parser reads it: integral values of integer types as integers."""
    if value is None:
        return None
    if integer and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _range(parent: ET.Element, tag: str, r: Range | None, integer: bool) -> None:
    if r is not None:
        _sub(parent, tag, minInclusive=_number(r.low, integer),
             maxInclusive=_number(r.high, integer))  # fmt: skip


def _tag_of(type_name: str, calibrated: bool, kind: str) -> str:
    if type_name == "bool" and not calibrated:
        return f"Boolean{kind}Type"
    if type_name.startswith("float") or calibrated:
        return f"Float{kind}Type"
    return f"Integer{kind}Type"


def _value_type(parent: ET.Element, tag: str, name: str, type_name: str, bits: int,
                unit: str, description: str, extra: dict | None = None) -> ET.Element:  # fmt: skip
    """A parameter or argument type: engineering size, raw type (ancillary), unit, encoding."""
    el = _sub(parent, tag, name=name, shortDescription=description or None)
    if tag.startswith("Integer"):
        el.set("signed", str(type_name.startswith("int")).lower())
        el.set("sizeInBits", "64" if bits > 32 else "32")
    elif tag.startswith("Float"):
        el.set("sizeInBits", "64")  # engineering values are doubles, like ours
    _ancillary(el, {"type": type_name} | (extra or {}))
    if unit:
        _sub(_sub(el, "UnitSet"), "Unit", unit)
    _encoding(el, type_name, bits)
    return el


def _parameter_type(ts: ET.Element, p: Parameter) -> None:
    tag = _tag_of(p.type, p.calibration is not None, "Parameter")
    # a boolean has no range alarms in XTCE: its limits travel as ancillary data
    extra = {"limits": p.limits.model_dump()} if p.limits and tag.startswith("Boolean") else {}
    el = _value_type(ts, tag, f"{xtce_name(p.name)}_t", p.type, p.bits, p.unit, p.description,
                     extra)  # fmt: skip
    enc = el[-1]
    if p.calibration is not None:
        cal = _sub(enc, "DefaultCalibrator")
        if p.calibration.kind == "polynomial":
            poly = _sub(cal, "PolynomialCalibrator")
            for k, c in enumerate(p.calibration.coefficients):
                _sub(poly, "Term", coefficient=repr(c), exponent=k)
        else:
            spline = _sub(cal, "SplineCalibrator", order=1, extrapolate="true")
            for r, e in zip(p.calibration.raw, p.calibration.eng, strict=True):
                _sub(spline, "SplinePoint", raw=repr(r), calibrated=repr(e))
    if p.limits is not None and not tag.startswith("Boolean"):
        ranges = _sub(_sub(el, "DefaultAlarm"), "StaticAlarmRanges")
        integer = tag.startswith("Integer")
        _range(ranges, "WarningRange", p.limits.yellow, integer)
        _range(ranges, "CriticalRange", p.limits.red, integer)


def _at(entries: ET.Element, parameter: str, offset_bits: int) -> None:
    ref = _sub(entries, "ParameterRefEntry", parameterRef=parameter)
    loc = _sub(ref, "LocationInContainerInBits", referenceLocation="containerStart")
    _sub(loc, "FixedValue", str(offset_bits))


def _derive(el: ET.Element, base: str, criteria: dict[str, int]) -> None:
    crit = _sub(_sub(_sub(el, "BaseContainer", containerRef=base), "RestrictionCriteria"),
                "ComparisonList")  # fmt: skip
    for name, value in criteria.items():
        _sub(crit, "Comparison", parameterRef=name, value=value)


def export_xtce(db: MissionDatabase) -> str:
    """The database as an XTCE 1.2 document (UTF-8 text) that Yamcs loads as is."""
    check_unique("parameter", (p.name for p in db.parameters))
    check_unique("container", (c.name for c in db.containers))
    check_unique("command", (c.name for c in db.commands))
    ET.register_namespace("xtce", NS)
    root = ET.Element(_q("SpaceSystem"), {"name": db.name})
    _sub(root, "Header", version=db.version)
    _ancillary(root, {"apids": [a.model_dump() for a in db.apids]})
    tm = _sub(root, "TelemetryMetaData")
    types, params = _sub(tm, "ParameterTypeSet"), _sub(tm, "ParameterSet")
    for name, _, bits in (*HEADER_FIELDS, *VERIFICATION_FIELDS, FAILURE_CODE):
        _uint(types, "IntegerParameterType", f"{name}_t", bits)
        _sub(params, "Parameter", name=name, parameterTypeRef=f"{name}_t")
    for p in db.parameters:
        _parameter_type(types, p)
        el = _sub(params, "Parameter", name=xtce_name(p.name),
                  parameterTypeRef=f"{xtce_name(p.name)}_t")  # fmt: skip
        _alias(el, p.name)
    containers = _sub(tm, "ContainerSet")
    entries = _sub(_sub(containers, "SequenceContainer", name="PUS_TM", abstract="true"),
                   "EntryList")  # fmt: skip
    for name, offset, _ in HEADER_FIELDS:
        _at(entries, name, offset)
    verification = _sub(containers, "SequenceContainer", name="PUS_VERIFICATION")
    entries = _sub(verification, "EntryList")
    for name, offset, _ in VERIFICATION_FIELDS:
        _at(entries, name, offset)
    _derive(verification, "PUS_TM", {"pus_service": 1})
    for stage, subtype in _FAILURES:
        el = _sub(containers, "SequenceContainer", name=f"PUS_VERIFICATION_{stage}")
        _at(_sub(el, "EntryList"), FAILURE_CODE[0], FAILURE_CODE[1])
        _derive(el, "PUS_VERIFICATION", {"pus_subservice": subtype})
    for c in db.containers:
        el = _sub(containers, "SequenceContainer", name=xtce_name(c.name))
        _alias(el, c.name)
        entries = _sub(el, "EntryList")
        for e in db.layout(c):
            _at(entries, xtce_name(e.parameter), TM_HEADER_BITS + e.bit_offset)
        _derive(el, "PUS_TM", {"ccsds_apid": c.apid, "pus_service": c.service,
                               "pus_subservice": c.subservice})  # fmt: skip
    _export_commands(_sub(root, "CommandMetaData"), db)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _tc_base(types: ET.Element, commands: ET.Element) -> None:
    """The abstract ``PUS_TC``: its header arguments and the container of both headers."""
    base = _sub(commands, "MetaCommand", name="PUS_TC", abstract="true",
                shortDescription="CCSDS primary + PUS-C secondary TC header")  # fmt: skip
    args = _sub(base, "ArgumentList")
    entries = _sub(_sub(base, "CommandContainer", name="PUS_TC"), "EntryList")
    for name, bits, fixed in _TC_HEADER:
        if fixed is not None:
            _sub(entries, "FixedValueEntry", name=name, binaryValue=fixed, sizeInBits=bits)
            continue
        _uint(types, "IntegerArgumentType", f"{name}_t", bits)
        _sub(args, "Argument", name=name, argumentTypeRef=f"{name}_t",
             initialValue=_TC_DEFAULTS.get(name))  # fmt: skip
        _sub(entries, "ArgumentRefEntry", argumentRef=name)


def _comparison_value(db: MissionDatabase, parameter: str, value: float) -> str:
    """A constraint's value as Yamcs parses it for the parameter's engineering type."""
    p = db.parameter(parameter)
    tag = _tag_of(p.type, p.calibration is not None, "Parameter")
    if tag.startswith("Boolean"):
        return "true" if value else "false"
    return _number(value, tag.startswith("Integer"))


def _export_commands(cm: ET.Element, db: MissionDatabase) -> None:
    types, commands = _sub(cm, "ArgumentTypeSet"), _sub(cm, "MetaCommandSet")
    _tc_base(types, commands)
    for cmd in db.commands:
        x = xtce_name(cmd.name)
        el = _sub(commands, "MetaCommand", name=x, shortDescription=cmd.description or None)
        _alias(el, cmd.name)
        _ancillary(el, {"owner": cmd.owner})
        assign = _sub(_sub(el, "BaseMetaCommand", metaCommandRef="PUS_TC"),
                      "ArgumentAssignmentList")  # fmt: skip
        for name, value in (("ccsds_apid", cmd.apid), ("pus_service", cmd.service),
                            ("pus_subservice", cmd.subservice)):  # fmt: skip
            _sub(assign, "ArgumentAssignment", argumentName=name, argumentValue=value)
        if cmd.arguments:
            args = _sub(el, "ArgumentList")
        for a in cmd.arguments:
            tname = f"{x}__{a.name}_t"
            tag = _tag_of(a.type, False, "Argument")
            t = _value_type(types, tag, tname, a.type, SCALAR_BITS[a.type], a.unit, "")
            if a.min is not None or a.max is not None:
                _range(_sub(t, "ValidRangeSet"), "ValidRange", Range(low=a.min, high=a.max),
                       tag.startswith("Integer"))  # fmt: skip
            _sub(args, "Argument", name=a.name, argumentTypeRef=tname)
        cont = _sub(el, "CommandContainer", name=f"{x}_cc")
        entries = _sub(cont, "EntryList")
        for a in cmd.arguments:
            _sub(entries, "ArgumentRefEntry", argumentRef=a.name)
        _sub(cont, "BaseContainer", containerRef="PUS_TC")
        _constraints(el, db, cmd)
        _sub(el, "DefaultSignificance", consequenceLevel=cmd.significance)
        _verifiers(el, cmd)


def _constraints(el: ET.Element, db: MissionDatabase, cmd: Command) -> None:
    if not cmd.constraints:
        return
    tcl = _sub(el, "TransmissionConstraintList")
    for k in cmd.constraints:
        tc = _sub(tcl, "TransmissionConstraint", timeOut=f"PT{cmd.constraint_timeout_s!r}S")
        _sub(tc, "Comparison", parameterRef=xtce_name(k.parameter),
             value=_comparison_value(db, k.parameter, k.value),
             comparisonOperator=k.operator)  # fmt: skip


def _verifiers(el: ET.Element, cmd: Command) -> None:
    """One verifier per stage, run by Yamcs' Pus1Verifier on the PUS-1 reports: the sent
    APID and sequence count against the report's request id, then the subtype."""
    if not cmd.verifiers:
        return
    vs = _sub(el, "VerifierSet")
    inputs = (("/yamcs/cmd/arg/ccsds_apid", "sentApid"),
              ("/yamcs/cmdHist/ccsds-seqcount", "sentSeq"),
              ("pus1_request_apid", "rcvdApid"), ("pus1_request_seq", "rcvdSeq"),
              ("pus_subservice", "subtype"), ("pus1_failure_code", "errorCode"))  # fmt: skip
    for v in cmd.verifiers:
        tag, subtype = _VERIFIER[v.stage]
        ver = _sub(vs, tag, name=v.stage.capitalize())
        alg = _sub(ver, "CustomAlgorithm", name=f"{xtce_name(cmd.name)}_{v.stage}")
        _sub(alg, "AlgorithmText", f"org.yamcs.pus.Pus1Verifier({{stage: {subtype}, "
             'template: "failure code {errorCode}"})', language="Java")  # fmt: skip
        ins = _sub(alg, "InputSet")
        for ref, name in inputs:
            _sub(ins, "InputParameterInstanceRef", parameterRef=ref, inputName=name)
        _sub(ver, "CheckWindow", timeToStopChecking=f"PT{v.timeout_s!r}S",
             timeWindowIsRelativeTo="commandRelease")  # fmt: skip
