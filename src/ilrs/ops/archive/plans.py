"""The archive's plan versions: every plan the command center delivered, append-only
(the :class:`~ilrs.ops.archive.base.Archive` mixes them in).

A version is stored whole (its ``plan.json`` as uploaded or as the repair made it) with who
made it, when (ground UTC ns) and why (``upload`` or the repair's reason); versions only
grow, and a version number is stored once (a unique key: two writers cannot both take it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["PlanRecord", "PlanTables"]


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """One stored plan version; ``body`` is its ``plan.json`` (JSON text)."""

    version: int
    time_ns: int
    user: str
    reason: str
    activities: int
    commands: int
    body: str


_COLUMNS = "version, time_ns, user_name, reason, activities, commands, body"


class PlanTables:
    """SQL over the ``plans`` table, on the archive's ``_run`` / ``_guard`` / ``_commit``
    and its lock."""

    _lock: threading.RLock

    def append_plan(self, record: PlanRecord) -> None:
        with self._lock, self._guard("store plan version"):
            self._run(f"INSERT INTO plans ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (record.version, record.time_ns, record.user, record.reason,
                       record.activities, record.commands, record.body))  # fmt: skip
            self._commit()

    def last_plan_version(self) -> int:
        """The highest stored version (0 when none)."""
        with self._lock:
            row = self._run("SELECT MAX(version) FROM plans").fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def plans(self, *, after_version: int = 0, limit: int = 1000) -> list[PlanRecord]:
        """Versions after ``after_version``, oldest first (bodies included)."""
        with self._lock:
            rows = self._run(f"SELECT {_COLUMNS} FROM plans WHERE version > ? "
                             "ORDER BY version LIMIT ?", (after_version, limit)).fetchall()
        return [PlanRecord(*r) for r in rows]

    def plan(self, version: int) -> PlanRecord | None:
        with self._lock:
            row = self._run(f"SELECT {_COLUMNS} FROM plans WHERE version = ?",
                            (version,)).fetchone()  # fmt: skip
        return None if row is None else PlanRecord(*row)
