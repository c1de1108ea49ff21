"""Commanding: the queue, authorization, two-person approval, transmission constraints,
release (directly or through the on-board schedule) and verification.
"""

from ilrs.ops.commanding.commander import Commander
from ilrs.ops.commanding.entry import CommandEntry, CommandState

__all__ = [
    "CommandEntry",
    "CommandState",
    "Commander",
]
