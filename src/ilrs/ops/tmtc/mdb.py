"""The mission database: APIDs, parameters, telemetry containers and telecommands.

One pydantic model: read from YAML or built from the station's elements by
:mod:`ilrs.ops.tmtc.mdb_build`, exported to and imported from XTCE
(:mod:`ilrs.ops.tmtc.xtce`); it answers the packet layouts the codec reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "SCALAR_BITS",
    "Apid",
    "Argument",
    "Command",
    "Comparison",
    "Container",
    "Entry",
    "LayoutEntry",
    "Limits",
    "MissionDatabase",
    "Parameter",
    "Polynomial",
    "Range",
    "Significance",
    "Table",
    "Verifier",
]

ScalarType = Literal[
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float32", "float64",
]  # fmt: skip
#: Bits a value of each scalar type takes in a packet.
SCALAR_BITS: dict[str, int] = {
    "bool": 8, "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "int8": 8, "int16": 16,
    "int32": 32, "int64": 64, "float32": 32, "float64": 64,
}  # fmt: skip
Significance = Literal["none", "watch", "warning", "distress", "critical", "severe"]
Stage = Literal["accepted", "started", "completed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Polynomial(_Model):
    """Engineering value = c0 + c1·raw + c2·raw² + … (XTCE PolynomialCalibrator)."""

    kind: Literal["polynomial"] = "polynomial"
    coefficients: tuple[float, ...] = Field(min_length=1)


class Table(_Model):
    """Piecewise-linear raw → engineering table (XTCE SplineCalibrator, order 1)."""

    kind: Literal["table"] = "table"
    raw: tuple[float, ...] = Field(min_length=2)
    eng: tuple[float, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self) -> Table:
        if len(self.raw) != len(self.eng):
            raise ValueError("raw and eng of the same length")
        if any(b <= a for a, b in zip(self.raw, self.raw[1:], strict=False)):
            raise ValueError("raw points strictly increasing")
        return self


Calibration = Polynomial | Table


class Range(_Model):
    """An allowed interval; a missing bound is open."""

    low: float | None = None
    high: float | None = None


class Limits(_Model):
    """Yellow (warning) and red (critical) limits on the engineering value."""

    yellow: Range | None = None
    red: Range | None = None


class Parameter(_Model):
    """A telemetry parameter. ``bit_size`` narrows an unsigned type to a bit field."""

    name: str = Field(pattern=r"^[A-Za-z_][\w.]*$")
    type: ScalarType
    unit: str = ""
    description: str = ""
    bit_size: int | None = Field(default=None, ge=1, le=32)
    calibration: Calibration | None = None
    limits: Limits | None = None

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if self.bit_size is not None and not self.type.startswith("uint"):
            raise ValueError("bit_size only on an unsigned type")
        return self

    @property
    def bits(self) -> int:
        return self.bit_size or SCALAR_BITS[self.type]


class Entry(_Model):
    """A parameter in a container at ``bit_offset`` from the source data start
    (``None``: right after the previous entry, on the next byte for whole-byte types)."""

    parameter: str
    bit_offset: int | None = Field(default=None, ge=0)


class Container(_Model):
    """A telemetry packet layout: the packets of ``apid`` with this service/subservice."""

    name: str
    apid: int = Field(ge=0, le=2047)
    service: int = Field(default=3, ge=0, le=255)
    subservice: int = Field(default=25, ge=0, le=255)
    entries: tuple[Entry, ...] = ()


class Argument(_Model):
    """A telecommand argument, packed big-endian in order into the application data."""

    name: str
    type: ScalarType
    unit: str = ""
    min: float | None = None
    max: float | None = None


class Verifier(_Model):
    """A verification stage expected from PUS service 1 within ``timeout_s`` of release."""

    stage: Stage
    timeout_s: float = Field(gt=0)


class Comparison(_Model):
    """``parameter operator value`` on the latest engineering value (a transmission
    constraint)."""

    parameter: str
    operator: Literal["==", "!=", "<", "<=", ">", ">="]
    value: float


class Command(_Model):
    """A telecommand definition: who owns it, how significant it is, what must hold before
    release and which PUS-1 stages verify it."""

    name: str = Field(pattern=r"^[A-Za-z_][\w.]*$")
    apid: int = Field(ge=0, le=2047)
    service: int = Field(default=8, ge=0, le=255)
    subservice: int = Field(default=1, ge=0, le=255)
    owner: str
    significance: Significance = "none"
    description: str = ""
    arguments: tuple[Argument, ...] = ()
    constraints: tuple[Comparison, ...] = ()
    constraint_timeout_s: float = Field(default=0.0, ge=0)
    verifiers: tuple[Verifier, ...] = ()


class Apid(_Model):
    """An application process: one station element or partner payload."""

    apid: int = Field(ge=0, le=2047)
    name: str
    owner: str
    kind: Literal["element", "payload", "ground"] = "element"


@dataclass(frozen=True, slots=True)
class LayoutEntry:
    """Where a parameter sits in a container, in bits from the source data start."""

    parameter: str
    type: str
    bit_offset: int
    bit_size: int


class MissionDatabase(_Model):
    """Everything the command center knows about packets; names are unique per kind."""

    name: str
    version: str = "1"
    apids: tuple[Apid, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    containers: tuple[Container, ...] = ()
    commands: tuple[Command, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> MissionDatabase:
        for kind, names in (
            ("APID", [a.apid for a in self.apids]),
            ("APID name", [a.name for a in self.apids]),
            ("parameter", [p.name for p in self.parameters]),
            ("container", [c.name for c in self.containers]),
            ("command", [c.name for c in self.commands]),
            ("container key", [(c.apid, c.service, c.subservice) for c in self.containers]),
        ):
            seen: set = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"each {kind} once, {name!r} is repeated")
                seen.add(name)
        known = {p.name for p in self.parameters}
        apids = {a.apid for a in self.apids}
        for c in self.containers:
            if c.apid not in apids:
                raise ValueError(f"container {c.name}: APID {c.apid} declared under apids")
            for e in c.entries:
                if e.parameter not in known:
                    raise ValueError(f"container {c.name}: declared parameters, not {e.parameter}")
        for cmd in self.commands:
            if cmd.apid not in apids:
                raise ValueError(f"command {cmd.name}: APID {cmd.apid} declared under apids")
            for k in cmd.constraints:
                if k.parameter not in known:
                    raise ValueError(f"command {cmd.name}: a declared parameter in constraints")
        for c in self.containers:
            self._layout(c)
        return self

    @cached_property
    def _by_name(self) -> dict[str, dict[str, Any]]:
        return {
            "parameter": {p.name: p for p in self.parameters},
            "container": {c.name: c for c in self.containers},
            "command": {c.name: c for c in self.commands},
            "apid": {a.name: a for a in self.apids},
            "apid_number": {a.apid: a for a in self.apids},
            "container_key": {(c.apid, c.service, c.subservice): c for c in self.containers},
        }

    def _get(self, kind: str, key: Any) -> Any:
        try:
            return self._by_name[kind][key]
        except KeyError:
            raise KeyError(f"no {kind.replace('_', ' ')} {key!r} in {self.name}") from None

    def parameter(self, name: str) -> Parameter:
        return self._get("parameter", name)

    def container(self, name: str) -> Container:
        return self._get("container", name)

    def command(self, name: str) -> Command:
        return self._get("command", name)

    def apid_of(self, name: str) -> int:
        return self._get("apid", name).apid

    def apid(self, apid: int) -> Apid:
        return self._get("apid_number", apid)

    def container_for(self, apid: int, service: int, subservice: int) -> Container | None:
        """The container of packets with this key, or None when the database has none."""
        return self._by_name["container_key"].get((apid, service, subservice))

    def owner_of_parameter(self, name: str) -> str:
        """The partner owning the APID whose container carries the parameter."""
        for c in self.containers:
            if any(e.parameter == name for e in c.entries):
                return self.apid(c.apid).owner
        raise KeyError(f"parameter {name!r} is in no container of {self.name}")

    def layout(self, container: str | Container) -> tuple[LayoutEntry, ...]:
        """Bit offsets and sizes of the container's parameters."""
        c = self.container(container) if isinstance(container, str) else container
        return self._layout(c)

    def _layout(self, c: Container) -> tuple[LayoutEntry, ...]:
        params = {p.name: p for p in self.parameters}
        out: list[LayoutEntry] = []
        offset = 0
        for e in c.entries:
            p = params[e.parameter]
            if e.bit_offset is not None:
                start = e.bit_offset
            elif p.bit_size is None:
                start = -(-offset // 8) * 8  # a whole-byte type after bit fields: next byte
            else:
                start = offset
            if p.bit_size is None and start % 8:
                raise ValueError(f"container {c.name}: {p.name} ({p.type}) on a byte boundary")
            if p.bit_size is not None and (start % 8 + p.bit_size) > 40:
                raise ValueError(f"container {c.name}: bit field {p.name} within 5 bytes")
            out.append(LayoutEntry(p.name, p.type, start, p.bits))
            offset = start + p.bits
        return tuple(out)

    def size_bytes(self, container: str | Container) -> int:
        """Source data length of a container, bytes."""
        layout = self.layout(container)
        return max(((e.bit_offset + e.bit_size + 7) // 8 for e in layout), default=0)
