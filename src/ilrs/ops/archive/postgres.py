"""The PostgreSQL archive backend (psycopg 3), used when a ``postgresql://`` URL is given.
A commit returns once the WAL is flushed (``synchronous_commit`` on, the default).

Raw packets, parameter segments and events go in with binary ``COPY … FROM STDIN``: one statement
per batch instead of one INSERT per row (the server parses, plans and executes once; the
client sends the rows as they are stored). A batch is still one transaction: a failed COPY
rolls back whole and raises, as a failed INSERT did."""

from __future__ import annotations

import psycopg

from ilrs.ops.archive.base import Archive

__all__ = ["PostgresArchive"]

#: The column types of the tables written with binary COPY (in the order given).
_COPY_TYPES = {
    "packets": {"reception_ns": "int8", "generation_ns": "int8", "apid": "int4",
                "seq_count": "int4", "data": "bytea"},
    "pp_segments": {"parameter": "text", "start_ns": "int8", "stop_ns": "int8", "n": "int4",
                    "vmin": "float8", "vmax": "float8", "summary": "bytea", "times": "bytea",
                    "vals": "bytea"},
    "events": {"time_ns": "int8", "source": "text", "severity": "text", "message": "text",
               "apid": "int4"},
}  # fmt: skip


class PostgresArchive(Archive):
    """An archive in the database at ``url`` (``postgresql://user@host:port/db``)."""

    backend = "postgresql"
    _blob = "BYTEA"
    _serial = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str, **kwargs):
        super().__init__(**kwargs)
        self.url = url
        self._setup()

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url, autocommit=False)
        conn.execute("SET synchronous_commit = on")
        conn.commit()
        return conn

    def _open_reader(self) -> psycopg.Connection:
        """Autocommit: each query sees the last commit."""
        return psycopg.connect(self.url, autocommit=True)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _insert_rows(self, table: str, columns, rows) -> None:
        types = _COPY_TYPES.get(table)
        if types is None:
            super()._insert_rows(table, columns, rows)
            return
        with self._conn.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types([types[c] for c in columns])
            for row in rows:
                copy.write_row(row)

    def _tuning_ddl(self) -> list[str]:
        # sample BLOBs are float / int arrays that pglz cannot shrink: store them as they are
        return [
            f"ALTER TABLE pp_segments ALTER COLUMN {column} SET STORAGE EXTERNAL"
            for column in ("summary", "times", "vals")
        ]

    def _append_only_ddl(self, table: str) -> list[str]:
        return [
            "CREATE OR REPLACE FUNCTION ilrs_append_only() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ilrs_append_only()",
        ]
