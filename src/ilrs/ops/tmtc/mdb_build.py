"""Building the mission database: from a YAML file (errors name the file, the path inside it,
the line and what was expected) or from a plain description of the station's elements and
partner payloads (:func:`mdb_from_elements`), so that every element the campaign lands has
its packets.

>>> db = mdb_from_elements([
...     {"id": "power", "owner": "cnsa", "parameters": [
...         {"name": "bus_voltage_v", "type": "float32", "unit": "V",
...          "limits": {"yellow": {"low": 26, "high": 30}, "red": {"low": 24, "high": 32}}}],
...      "commands": [{"name": "set_mode", "arguments": [
...         {"name": "mode", "type": "uint8", "min": 0, "max": 3}]}]},
... ])
>>> db.apid_of("power"), db.container("power.hk").apid
(256, 256)
>>> [(e.parameter, e.bit_offset, e.bit_size) for e in db.layout("power.hk")]
[('power.bus_voltage_v', 0, 32)]
>>> db.command("power.set_mode").owner
'cnsa'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ilrs.errors import MissionDatabaseError
from ilrs.ops.tmtc.mdb import (
    Apid,
    Command,
    Container,
    Entry,
    MissionDatabase,
    Parameter,
    Stage,
)

__all__ = ["FIRST_ELEMENT_APID", "load_mdb", "mdb_from_elements"]

#: First APID given to elements by :func:`mdb_from_elements` (0..255 stay for the ground).
FIRST_ELEMENT_APID = 0x100


# ---------------------------------------------------------------------------------- YAML


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _path(loc: tuple) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def load_mdb(path: str | Path) -> MissionDatabase:
    """Read a mission database YAML file; ``MissionDatabaseError`` names what is wrong."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MissionDatabaseError(file, "", None, "a readable file", exc.strerror) from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise MissionDatabaseError(file, "", line, "valid YAML", str(exc).splitlines()[0]) from None
    try:
        return MissionDatabase.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(k for k in err["loc"] if k not in ("polynomial", "table"))
        expected = err["msg"].removeprefix("Value error, ")
        raise MissionDatabaseError(
            file, _path(loc), _line_of(root, loc), expected, err.get("input")
        ) from None


# ------------------------------------------------------------------------------ builder


def mdb_from_elements(
    elements: Iterable[Mapping[str, Any]],
    *,
    name: str = "ILRS",
    first_apid: int = FIRST_ELEMENT_APID,
    default_timeout_s: float = 10.0,
) -> MissionDatabase:
    """Build a database from plain element / payload descriptions (what the twin knows).

    Each element is a mapping with ``id``, ``owner`` (partner), optional ``kind``
    (``element`` or ``payload``), ``apid`` (else the next free one from ``first_apid``
    in the order given), ``parameters`` (mappings of :class:`Parameter` fields; names
    are qualified as ``id.name``) and ``commands`` (mappings of :class:`Command`
    fields without ``apid``/``owner``; constraints may name the element's own
    parameters unqualified). Every element gets one housekeeping container ``id.hk``
    (service 3, subservice 25) and its commands default to the three PUS-1 stages.
    """
    apids: list[Apid] = []
    params: list[Parameter] = []
    containers: list[Container] = []
    commands: list[Command] = []
    used = {int(e["apid"]) for e in elements if "apid" in e}
    next_apid = first_apid
    for element in elements:
        eid = str(element["id"])
        if "apid" in element:
            apid = int(element["apid"])
        else:
            while next_apid in used:
                next_apid += 1
            apid = next_apid
            used.add(apid)
        owner = str(element["owner"])
        apids.append(Apid(apid=apid, name=eid, owner=owner, kind=element.get("kind", "element")))
        own = [str(p["name"]) for p in element.get("parameters", ())]
        for p in element.get("parameters", ()):
            params.append(Parameter.model_validate({**p, "name": f"{eid}.{p['name']}"}))
        containers.append(
            Container(
                name=f"{eid}.hk",
                apid=apid,
                entries=tuple(Entry(parameter=f"{eid}.{n}") for n in own),
            )
        )
        for c in element.get("commands", ()):
            spec = dict(c)
            spec["name"] = f"{eid}.{c['name']}"
            spec.setdefault(
                "verifiers",
                [{"stage": s, "timeout_s": default_timeout_s} for s in Stage.__args__],
            )
            spec["constraints"] = [
                {**k, "parameter": f"{eid}.{k['parameter']}"}
                if k["parameter"] in own
                else dict(k)
                for k in c.get("constraints", ())
            ]
            commands.append(Command.model_validate({**spec, "apid": apid, "owner": owner}))
    return MissionDatabase(
        name=name,
        apids=tuple(apids),
        parameters=tuple(params),
        containers=tuple(containers),
        commands=tuple(commands),
    )
