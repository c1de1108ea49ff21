"""The archive of the command center: one interface, two backends (SQLite by default,
PostgreSQL when a ``postgresql://`` URL is configured).

>>> with open_archive(":memory:") as archive:
...     archive.append_packets([RawPacket(1, 1, 0x100, 0, b"\\x08")])
...     archive.count_packets()
1
"""

from __future__ import annotations

from pathlib import Path

from ilrs.ops.archive.base import Archive
from ilrs.ops.archive.files import FileRecord
from ilrs.ops.archive.plans import PlanRecord
from ilrs.ops.archive.records import (
    AuditRecord,
    CommandRecord,
    CommandStage,
    Downsampled,
    EventRecord,
    RawPacket,
)

__all__ = [
    "Archive",
    "AuditRecord",
    "CommandRecord",
    "CommandStage",
    "Downsampled",
    "EventRecord",
    "FileRecord",
    "PlanRecord",
    "RawPacket",
    "open_archive",
]


def open_archive(url: str | Path, **kwargs) -> Archive:
    """``postgresql://…`` → PostgreSQL; ``sqlite:///path``, a path or ``:memory:`` → SQLite.

    Keyword arguments (``segment_s``, ``segment_samples``) go to the backend.
    """
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from ilrs.ops.archive.postgres import PostgresArchive

        return PostgresArchive(text, **kwargs)
    from ilrs.ops.archive.sqlite import SqliteArchive

    return SqliteArchive(text.removeprefix("sqlite:///").removeprefix("sqlite://"), **kwargs)
