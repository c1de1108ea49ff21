"""Telemetry processing: packets in, calibrated and derived parameters, limit checks and
alarms (ISA-18.2 lifecycle) out.
"""

from ilrs.ops.processing.alarms import (
    Alarm,
    AlarmManager,
    AlarmState,
    AlarmTransition,
    check_limits,
)
from ilrs.ops.processing.derived import FUNCTIONS, DerivedParameter, align_sample_and_hold
from ilrs.ops.processing.processor import EVENT_SEVERITY, IngestStats, Processor, Update

__all__ = [
    "EVENT_SEVERITY",
    "FUNCTIONS",
    "Alarm",
    "AlarmManager",
    "AlarmState",
    "AlarmTransition",
    "DerivedParameter",
    "IngestStats",
    "Processor",
    "Update",
    "align_sample_and_hold",
    "check_limits",
]
