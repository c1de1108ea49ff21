"""The SQLite archive backend: one file, WAL journal, ``synchronous=FULL`` (durable before
acknowledged), no server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ilrs.ops.archive.base import Archive

__all__ = ["SqliteArchive"]


class SqliteArchive(Archive):
    """An archive in the SQLite file ``path`` (``":memory:"`` for a throwaway one)."""

    backend = "sqlite"

    def __init__(self, path: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.path = str(path)
        self._setup()

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _open_reader(self) -> sqlite3.Connection | None:
        """WAL lets a second connection read the last commit while the writer writes."""
        if self.path == ":memory:":
            return None
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA query_only=ON")
        return conn

    def _append_only_ddl(self, table: str) -> list[str]:
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for op in ("update", "delete")
        ]

    def _insert_id(self, sql: str, params) -> int:
        return int(self._run(sql, params).lastrowid)
