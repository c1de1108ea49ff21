"""The archive's log tables: events, command history, the audit log, API token hashes and
user enable / disable records (the :class:`~ilrs.ops.archive.base.Archive` mixes them in).

List queries page by a cursor, the sort key of the last row returned (``after``), and
filter in SQL before the ``LIMIT``: a page never comes back short because rows another
user may not see were cut first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from ilrs.ops.archive.records import AuditRecord, CommandRecord, CommandStage, EventRecord

__all__ = ["LogTables"]


class LogTables:
    """SQL over the log tables, on the archive's ``_run`` / ``_insert_rows`` /
    ``_insert_id`` / ``_guard`` / ``_commit`` and its lock."""

    _lock: threading.RLock

    # -- events ------------------------------------------------------------------------

    def append_event(self, event: EventRecord) -> int:
        with self._lock, self._guard("append event"):
            new_id = self._insert_id(
                "INSERT INTO events (time_ns, source, severity, message, apid) "
                "VALUES (?, ?, ?, ?, ?)",
                (event.time_ns, event.source, event.severity, event.message, event.apid),
            )
            self._commit()
        return new_id

    def append_events(self, events: Sequence[EventRecord]) -> None:
        """Store several events in one commit."""
        if not events:
            return
        with self._lock, self._guard("append events"):
            self._insert_rows("events", ("time_ns", "source", "severity", "message", "apid"),
                              [(e.time_ns, e.source, e.severity, e.message, e.apid)
                               for e in events])  # fmt: skip
            self._commit()

    def events(
        self,
        *,
        start_ns: int = -(2**63),
        stop_ns: int = 2**63 - 1,
        apids: Iterable[int] | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 1000,
    ) -> list[EventRecord]:
        """Events in ``[start_ns, stop_ns)`` ordered by (time, id); ``apids`` keeps the
        events filed under those APIDs and those filed under none (None: all events);
        ``after`` is the (time_ns, id) of the last event of the previous page."""
        sql = ("SELECT time_ns, source, severity, message, apid, id FROM events "
               "WHERE time_ns >= ? AND time_ns < ?")  # fmt: skip
        params: list[Any] = [start_ns, stop_ns]
        if apids is not None:
            allowed = sorted(set(apids))
            marks = ", ".join("?" * len(allowed))
            sql += f" AND (apid IS NULL OR apid IN ({marks}))" if allowed else " AND apid IS NULL"
            params += allowed
        if after is not None:
            sql += " AND (time_ns > ? OR (time_ns = ? AND id > ?))"
            params += [after[0], after[0], after[1]]
        rows = self._read(sql + " ORDER BY time_ns, id LIMIT ?", [*params, limit])
        return [EventRecord(*r) for r in rows]

    # -- command history -----------------------------------------------------------------

    def insert_command(self, cmd: CommandRecord, first_stage: CommandStage) -> None:
        with self._lock, self._guard("insert command"):
            self._run(
                "INSERT INTO commands (id, name, apid, user_name, arguments, significance, "
                "created_ns, seq_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (cmd.id, cmd.name, cmd.apid, cmd.user, cmd.arguments, cmd.significance,
                 cmd.created_ns, cmd.seq_count),
            )  # fmt: skip
            self._insert_stage(first_stage)
            self._commit()

    def _insert_stage(self, s: CommandStage) -> None:
        self._run(
            "INSERT INTO command_stages (command_id, stage, status, time_ns, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (s.command_id, s.stage, s.status, s.time_ns, s.detail),
        )

    def append_command_stage(self, stage: CommandStage) -> None:
        with self._lock, self._guard("append command stage"):
            self._insert_stage(stage)
            self._commit()

    def commands(self, *, limit: int = 1000) -> list[CommandRecord]:
        with self._lock:
            rows = self._run(
                "SELECT id, name, apid, user_name, arguments, significance, created_ns, "
                "seq_count FROM commands ORDER BY created_ns, id LIMIT ?",
                (limit,),
            ).fetchall()
        return [CommandRecord(*r) for r in rows]

    def command_stages(self, command_id: str) -> list[CommandStage]:
        with self._lock:
            rows = self._run(
                "SELECT command_id, stage, status, time_ns, detail FROM command_stages "
                "WHERE command_id = ? ORDER BY id",
                (command_id,),
            ).fetchall()
        return [CommandStage(*r) for r in rows]

    # -- audit ---------------------------------------------------------------------------

    def append_audit(self, record: AuditRecord) -> None:
        with self._lock, self._guard("append audit record"):
            self._run(
                "INSERT INTO audit (seq, time_ns, user_name, action, request, outcome, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.seq, record.time_ns, record.user, record.action, record.request,
                 record.outcome, record.prev_hash, record.hash),
            )  # fmt: skip
            self._commit()

    def audit_records(self, *, after_seq: int = -1, limit: int = 100_000) -> list[AuditRecord]:
        with self._lock:
            rows = self._run(
                "SELECT seq, time_ns, user_name, action, request, outcome, prev_hash, hash "
                "FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [AuditRecord(*r) for r in rows]

    def last_audit(self) -> AuditRecord | None:
        with self._lock:
            row = self._run(
                "SELECT seq, time_ns, user_name, action, request, outcome, prev_hash, hash "
                "FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else AuditRecord(*row)

    # -- API tokens (hashes only) and user states ------------------------------------------

    def put_token(self, token_id: str, user: str, token_hash: str, created_ns: int) -> None:
        with self._lock, self._guard("store token"):
            self._run(
                "INSERT INTO tokens (id, user_name, hash, created_ns) VALUES (?, ?, ?, ?)",
                (token_id, user, token_hash, created_ns),
            )
            self._commit()

    def token(self, token_id: str) -> tuple[str, str, int | None] | None:
        """``(user, hash, revoked_ns)`` of a token id, or None."""
        with self._lock:
            row = self._run(
                "SELECT user_name, hash, revoked_ns FROM tokens WHERE id = ?", (token_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def revoke_token(self, token_id: str, revoked_ns: int) -> bool:
        with self._lock, self._guard("revoke token"):
            cur = self._run(
                "UPDATE tokens SET revoked_ns = ? WHERE id = ? AND revoked_ns IS NULL",
                (revoked_ns, token_id),
            )
            self._commit()
        return cur.rowcount == 1

    def append_user_state(self, user: str, *, disabled: bool, time_ns: int, by: str) -> None:
        """Record that ``by`` disabled (or enabled again) ``user`` (append-only)."""
        with self._lock, self._guard("store user state"):
            self._run(
                "INSERT INTO user_states (user_name, disabled, time_ns, by_user) "
                "VALUES (?, ?, ?, ?)",
                (user, int(disabled), time_ns, by),
            )
            self._commit()

    def append_user(self, name: str, partner: str, roles: list[str], *, time_ns: int,
                    by: str) -> None:  # fmt: skip
        """Record a user created at run time (append-only)."""
        with self._lock, self._guard("store user"):
            self._run("INSERT INTO users (user_name, partner, roles, time_ns, by_user) "
                      "VALUES (?, ?, ?, ?, ?)", (name, partner, ",".join(roles), time_ns, by))
            self._commit()

    def added_users(self) -> list[tuple[str, str, list[str], str]]:
        """Users created at run time: (name, partner, roles, the admin who created it),
        oldest first."""
        with self._lock:
            rows = self._run("SELECT user_name, partner, roles, by_user FROM users "
                             "ORDER BY id").fetchall()  # fmt: skip
        return [(r[0], r[1], r[2].split(","), r[3]) for r in rows]

    def put_enrolment(self, enrolment_id: str, user: str, secret_hash: str, created_ns: int,
                      by: str, expires_ns: int) -> None:  # fmt: skip
        with self._lock, self._guard("store enrolment"):
            self._run("INSERT INTO enrolments (id, user_name, hash, created_ns, by_user, "
                      "expires_ns) VALUES (?, ?, ?, ?, ?, ?)",
                      (enrolment_id, user, secret_hash, created_ns, by, expires_ns))
            self._commit()

    def enrolment(self, enrolment_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._run("SELECT user_name, hash, by_user, expires_ns, used_ns, token_id "
                            "FROM enrolments WHERE id = ?", (enrolment_id,)).fetchone()
        if row is None:
            return None
        return dict(zip(("user", "hash", "by", "expires_ns", "used_ns", "token_id"), row,
                        strict=True))  # fmt: skip

    def use_enrolment(self, enrolment_id: str, used_ns: int, token_id: str) -> bool:
        """Mark an enrolment redeemed (once: False when it already was)."""
        with self._lock, self._guard("use enrolment"):
            cur = self._run("UPDATE enrolments SET used_ns = ?, token_id = ? WHERE id = ? "
                            "AND used_ns IS NULL", (used_ns, token_id, enrolment_id))
            self._commit()
        return cur.rowcount == 1

    def enrolled_tokens(self) -> dict[str, str]:
        """Token id → the admin whose enrolment produced it."""
        with self._lock:
            rows = self._run("SELECT token_id, by_user FROM enrolments "
                             "WHERE token_id IS NOT NULL").fetchall()
        return {r[0]: r[1] for r in rows}

    def disabled_users(self) -> set[str]:
        """Users whose latest state record disables them."""
        with self._lock:
            rows = self._run(
                "SELECT user_name, disabled FROM user_states ORDER BY id"
            ).fetchall()
        latest = {r[0]: bool(r[1]) for r in rows}
        return {name for name, off in latest.items() if off}
