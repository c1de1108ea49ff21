"""A command's life as the command center tracks it: its state and its time-stamped stages."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from typing import Any

from ilrs.ops.archive import CommandStage
from ilrs.ops.tmtc.mdb import Command
from ilrs.ops.tmtc.packets import RequestId
from ilrs.ops.tmtc.timecodes import CdsTime

__all__ = ["CommandEntry", "CommandState"]


class CommandState(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING_CONSTRAINTS = "waiting_constraints"
    RELEASED = "released"
    SCHEDULED = "scheduled"  # inserted into the on-board time-based schedule
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (CommandState.COMPLETED, CommandState.FAILED, CommandState.REJECTED)


@dataclass
class CommandEntry:
    """A command's life; ``stages`` mirrors the archived history."""

    id: str
    definition: Command
    user: str
    arguments: dict[str, Any]
    data: bytes
    created_ns: int
    state: CommandState
    seq_count: int | None = None
    approver: str | None = None
    released_ns: int | None = None
    #: Release on board at this time of the spacecraft (PUS 11); None: execute directly.
    release_at: CdsTime | None = None
    #: The request id of the TC[11,4] that carried it to the scheduler.
    schedule_request: RequestId | None = None
    #: Ground time of the first report of the embedded command (released on board).
    onboard_ns: int | None = None
    stages: list[CommandStage] = field(default_factory=list)
    verified: set[str] = field(default_factory=set)
    #: Position in the order of issue (the command history's cursor).
    order: int = 0
    #: Ground time the command last cleared authorization / approval (constraint clock).
    cleared_ns: int = 0
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def name(self) -> str:
        return self.definition.name

    def public(self) -> dict[str, Any]:
        """A JSON-ready view (for the API)."""
        return {
            "id": self.id, "name": self.name, "apid": self.definition.apid, "user": self.user,
            "arguments": self.arguments, "significance": self.definition.significance,
            "state": self.state.value, "seq_count": self.seq_count, "approver": self.approver,
            "created_ns": self.created_ns,
            "release_at_utc": None if self.release_at is None else self.release_at.utc_iso(),
            "stages": [{"stage": s.stage, "status": s.status, "time_ns": s.time_ns,
                        "detail": s.detail} for s in self.stages],
        }  # fmt: skip
