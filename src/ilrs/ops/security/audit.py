"""The audit log: every state-changing call (time, user, action, request, outcome),
append-only in the archive and tamper-evident through a SHA-256 hash chain.

Each record's hash covers its own fields and the previous record's hash, so changing,
removing or reordering any record breaks every later link. ``verify`` walks the chain and
returns the head hash. With an :class:`~ilrs.ops.security.anchor.AuditAnchor` (signed checkpoints
written outside the archive after every record) it also fails when the chain was cut
short, rewritten from some record on with recomputed hashes, or extended.

>>> from ilrs.ops.archive import open_archive
>>> with open_archive(":memory:") as archive:
...     log = AuditLog(archive)
...     _ = log.record(user="ana", action="command.issue", request={"name": "x"},
...                    outcome="ok", time_ns=1)
...     verify(archive).summary().split(",")[0]
'audit log intact: 1 records'
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from ilrs.ops.archive import Archive, AuditRecord, open_archive
from ilrs.ops.security.anchor import AnchorError, AuditAnchor, Checkpoint

__all__ = ["GENESIS", "AuditLog", "Verification", "record_hash", "verify", "verify_url"]

#: The ``prev_hash`` of the first record.
GENESIS = "0" * 64


def record_hash(seq: int, time_ns: int, user: str, action: str, request: str, outcome: str,
                prev_hash: str) -> str:  # fmt: skip
    """SHA-256 over the canonical JSON of the fields and the previous hash."""
    body = json.dumps([seq, time_ns, user, action, request, outcome, prev_hash],
                      separators=(",", ":"), ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    """Appends chained records to an archive (one writer per archive), each anchored at
    once when an ``anchor`` is given."""

    def __init__(self, archive: Archive, *, anchor: AuditAnchor | None = None):
        self.archive = archive
        self.anchor = anchor
        self._lock = threading.Lock()

    def record(
        self, *, user: str, action: str, request: dict[str, Any], outcome: str, time_ns: int
    ) -> AuditRecord:
        text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
        with self._lock:
            last = self.archive.last_audit()
            seq = 0 if last is None else last.seq + 1
            prev = GENESIS if last is None else last.hash
            digest = record_hash(seq, time_ns, user, action, text, outcome, prev)
            rec = AuditRecord(seq, time_ns, user, action, text, outcome, prev, digest)
            self.archive.append_audit(rec)
            if self.anchor is not None:
                self.anchor.append(rec.seq, rec.hash, time_ns=time_ns)
        return rec

    def start_anchor(self, *, time_ns: int) -> None:
        """A new (empty) anchor begins at the archive's current head, which the chain
        links back from; a used anchor is never moved to what the archive now says (an
        extension made while the command center was down must stay detectable)."""
        if self.anchor is None or (self.anchor.path.exists() and self.anchor.checkpoints()):
            return
        with self._lock:
            last = self.archive.last_audit()
            if last is not None:
                self.anchor.append(last.seq, last.hash, time_ns=time_ns)


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of a chain check: ``first_bad`` is the sequence number of the first broken
    record (None when intact), ``head`` the last good hash."""

    ok: bool
    records: int
    head: str
    first_bad: int | None = None
    problem: str = ""

    def summary(self) -> str:
        """One line for ``ilrs ops audit verify``."""
        if self.ok:
            return f"audit log intact: {self.records} records, head {self.head}"
        return (f"audit log BROKEN at record {self.first_bad}: {self.problem} "
                f"({self.records} records verified before it)")  # fmt: skip


def verify_url(url: str, *, anchor: AuditAnchor | None = None) -> Verification:
    """Open the archive at ``url`` (SQLite path or PostgreSQL URL) and verify its chain
    (against ``anchor`` too, when given)."""
    with open_archive(url) as archive:
        return verify(archive, anchor=anchor)


def verify(archive: Archive, *, anchor: AuditAnchor | None = None,
           batch: int = 10_000) -> Verification:  # fmt: skip
    """Recompute the chain from the first record; with ``anchor``, also compare it with
    every signed checkpoint (any divergence fails)."""
    try:
        points: dict[int, Checkpoint] = {} if anchor is None else {
            c.seq: c for c in anchor.checkpoints()}  # fmt: skip
    except AnchorError as exc:
        return Verification(False, 0, GENESIS, 0, f"the anchor is not valid: {exc}")
    last_anchored = max(points, default=-1)
    prev, expected_seq, n = GENESIS, 0, 0
    while True:
        records = archive.audit_records(after_seq=expected_seq - 1, limit=batch)
        if not records:
            if expected_seq <= last_anchored:
                return Verification(False, n, prev, expected_seq,
                                    f"records {expected_seq}…{last_anchored} are anchored but "
                                    "missing (the log was truncated)")  # fmt: skip
            return Verification(True, n, prev)
        for r in records:
            problem = ""
            point = points.get(r.seq)
            if r.seq != expected_seq:
                problem = f"record {expected_seq} is missing"
            elif r.prev_hash != prev:
                problem = "its link to the previous record is broken"
            elif r.hash != record_hash(r.seq, r.time_ns, r.user, r.action, r.request,
                                       r.outcome, r.prev_hash):  # fmt: skip
                problem = "its content does not match its hash"
            elif point is not None and point.hash != r.hash:
                problem = "it differs from its anchored checkpoint (rewritten)"
            elif anchor is not None and r.seq > last_anchored:
                problem = "it is not anchored (appended after the last checkpoint)"
            if problem:
                return Verification(False, n, prev, expected_seq, problem)
            prev, expected_seq, n = r.hash, expected_seq + 1, n + 1
