"""The records the archive stores besides parameter samples: raw packets, events, command
history, audit entries, and downsampled series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "AuditRecord",
    "CommandRecord",
    "CommandStage",
    "Downsampled",
    "EventRecord",
    "RawPacket",
]


@dataclass(frozen=True, slots=True)
class RawPacket:
    """A packet as received: ``reception_ns`` / ``generation_ns`` are UTC ns since 1970."""

    reception_ns: int
    generation_ns: int
    apid: int
    seq_count: int
    data: bytes
    id: int | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event (PUS service 5 report, alarm transition, ground message)."""

    time_ns: int
    source: str
    severity: str
    message: str
    apid: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A telecommand as queued: who, what, with which arguments."""

    id: str
    name: str
    apid: int
    user: str
    arguments: str  # JSON
    significance: str
    created_ns: int
    seq_count: int | None = None


@dataclass(frozen=True, slots=True)
class CommandStage:
    """One time-stamped step of a command's history (queued, authorized, released…)."""

    command_id: str
    stage: str
    status: str
    time_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One state-changing call, chained to the previous record by ``prev_hash``."""

    seq: int
    time_ns: int
    user: str
    action: str
    request: str  # JSON
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Downsampled:
    """Min and max per bucket: ``time_ns`` is each non-empty bucket's start."""

    time_ns: np.ndarray
    min: np.ndarray
    max: np.ndarray
    count: np.ndarray
