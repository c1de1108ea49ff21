"""The archive's received files: one row per file a CFDP transaction delivered, with its
metadata, append-only (the :class:`~ilrs.ops.archive.base.Archive` mixes them in).

The file's bytes stay in the file store beside the archive (``path``); the row says what
arrived, from which transaction, when, and its SHA-256. A (transaction, SHA-256) pair is
stored once (a unique key): a receiver replaying its journal after a restart finds the row
of a file it had already landed and does not add a second one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["FileRecord", "FileTables"]


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One received file; ``meta`` is the transfer's metadata (JSON text)."""

    transaction: str
    time_ns: int
    name: str
    path: str
    size_bytes: int
    sha256: str
    meta: str


_COLUMNS = "transaction_id, time_ns, name, path, size_bytes, sha256, meta"


class FileTables:
    """SQL over the ``files`` table, on the archive's ``_run`` / ``_guard`` / ``_commit``
    and its lock."""

    _lock: threading.RLock

    def append_file(self, record: FileRecord) -> bool:
        """Store ``record``; False (nothing stored) when that transaction's file with that
        SHA-256 is already there."""
        with self._lock, self._guard("store received file"):
            if self._run("SELECT 1 FROM files WHERE transaction_id = ? AND sha256 = ?",
                         (record.transaction, record.sha256)).fetchone() is not None:  # fmt: skip
                self._commit()
                return False
            self._run(f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (record.transaction, record.time_ns, record.name, record.path,
                       record.size_bytes, record.sha256, record.meta))  # fmt: skip
            self._commit()
        return True

    def files(self, *, limit: int = 1000) -> list[FileRecord]:
        """Received files, oldest first."""
        with self._lock:
            rows = self._run(f"SELECT {_COLUMNS} FROM files ORDER BY time_ns, id LIMIT ?",
                             (limit,)).fetchall()  # fmt: skip
        return [FileRecord(*r) for r in rows]
