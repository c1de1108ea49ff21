"""The archive's tables, written once for both backends (``{blob}`` / ``{serial}`` are
filled in per dialect)."""

from __future__ import annotations

__all__ = ["APPEND_ONLY", "SCHEMA"]

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS packets (
        id {serial}, reception_ns BIGINT NOT NULL, generation_ns BIGINT NOT NULL,
        apid INTEGER NOT NULL, seq_count INTEGER NOT NULL, data {blob} NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS packets_gen ON packets (generation_ns)",
    """CREATE TABLE IF NOT EXISTS pp_segments (
        parameter TEXT NOT NULL, start_ns BIGINT NOT NULL, stop_ns BIGINT NOT NULL,
        n INTEGER NOT NULL, vmin DOUBLE PRECISION, vmax DOUBLE PRECISION,
        summary {blob} NOT NULL, times {blob} NOT NULL, vals {blob} NOT NULL)""",
    # summaries sit before the sample BLOBs: SQLite reads a row's columns in order
    "CREATE INDEX IF NOT EXISTS pp_segments_key ON pp_segments (parameter, start_ns)",
    """CREATE TABLE IF NOT EXISTS events (
        id {serial}, time_ns BIGINT NOT NULL, source TEXT NOT NULL, severity TEXT NOT NULL,
        message TEXT NOT NULL, apid INTEGER)""",
    "CREATE INDEX IF NOT EXISTS events_time ON events (time_ns)",
    """CREATE TABLE IF NOT EXISTS commands (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, apid INTEGER NOT NULL, user_name TEXT NOT NULL,
        arguments TEXT NOT NULL, significance TEXT NOT NULL, created_ns BIGINT NOT NULL,
        seq_count INTEGER)""",
    """CREATE TABLE IF NOT EXISTS command_stages (
        id {serial}, command_id TEXT NOT NULL, stage TEXT NOT NULL, status TEXT NOT NULL,
        time_ns BIGINT NOT NULL, detail TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS command_stages_cmd ON command_stages (command_id)",
    """CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL,
        created_ns BIGINT NOT NULL, revoked_ns BIGINT)""",
    """CREATE TABLE IF NOT EXISTS audit (
        seq BIGINT PRIMARY KEY, time_ns BIGINT NOT NULL, user_name TEXT NOT NULL,
        action TEXT NOT NULL, request TEXT NOT NULL, outcome TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS user_states (
        id {serial}, user_name TEXT NOT NULL, disabled INTEGER NOT NULL,
        time_ns BIGINT NOT NULL, by_user TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS users (
        id {serial}, user_name TEXT NOT NULL, partner TEXT NOT NULL, roles TEXT NOT NULL,
        time_ns BIGINT NOT NULL, by_user TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS enrolments (
        id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL,
        created_ns BIGINT NOT NULL, by_user TEXT NOT NULL, expires_ns BIGINT NOT NULL,
        used_ns BIGINT, token_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS plans (
        version BIGINT PRIMARY KEY, time_ns BIGINT NOT NULL, user_name TEXT NOT NULL,
        reason TEXT NOT NULL, activities INTEGER NOT NULL, commands INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS files (
        id {serial}, transaction_id TEXT NOT NULL, time_ns BIGINT NOT NULL, name TEXT NOT NULL,
        path TEXT NOT NULL, size_bytes BIGINT NOT NULL, sha256 TEXT NOT NULL,
        meta TEXT NOT NULL, UNIQUE (transaction_id, sha256))""",
]
#: Tables whose rows may never change or disappear.
APPEND_ONLY = ("packets", "events", "commands", "command_stages", "audit", "user_states",
               "users", "plans", "files")
