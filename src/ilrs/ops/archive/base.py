"""The archive interface: raw packets (append-only), the parameter archive (time-bucketed
columnar segments per parameter), events, command history and the audit log.

Both backends (``sqlite.py``, ``postgres.py``) share this SQL implementation and differ
only in their connection, placeholders and a few column types. Every ``append_*`` call
commits before it returns: a packet reported as stored survives ``kill -9``.

Parameter samples are buffered per parameter and written as one segment (two BLOBs: int64
times in ns, float64 values) once the buffer spans ``segment_s`` or holds
``segment_samples`` samples, as the Yamcs parameter archive does; queries read the
overlapping segments plus the open buffer. Events, commands, audit, tokens and user states
are in ``logs.py``, plan versions in ``plans.py``, received files in ``files.py``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ilrs.errors import ArchiveError
from ilrs.ops._kernels import SUMMARY_DTYPE, minmax_buckets, minmax_from_summaries, summarize
from ilrs.ops.archive.files import FileTables
from ilrs.ops.archive.logs import LogTables
from ilrs.ops.archive.plans import PlanTables
from ilrs.ops.archive.records import Downsampled, RawPacket
from ilrs.ops.archive.schema import APPEND_ONLY, SCHEMA

__all__ = ["Archive"]

_PACKET_COLUMNS = ("reception_ns", "generation_ns", "apid", "seq_count", "data")
_SEGMENT_COLUMNS = ("parameter", "start_ns", "stop_ns", "n", "vmin", "vmax", "summary",
                    "times", "vals")  # fmt: skip


@dataclass(slots=True)
class _Buffer:
    times: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    n: int = 0
    start_ns: int = 0
    stop_ns: int = 0


class Archive(LogTables, PlanTables, FileTables, ABC):
    """One interface over SQLite and PostgreSQL. Thread-safe (one lock per archive)."""

    backend = "abstract"
    _blob = "BLOB"
    _serial = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(
        self,
        *,
        segment_s: float = 3600.0,
        segment_samples: int = 1 << 16,
        summary_bin_s: float = 1.0,
    ):
        self.segment_ns = int(segment_s * 1e9)
        self.summary_bin_ns = int(summary_bin_s * 1e9)
        self.segment_samples = segment_samples
        self._lock = threading.RLock()
        self._buffers: dict[str, _Buffer] = {}
        self._conn: Any = None
        # queries of committed data go through a second connection, so that a reader never
        # waits for the writer's commit (fsync); None: share the writer's (``:memory:``)
        self._reader: Any = None
        self._read_lock = threading.Lock()
        self._segment_writes = 0  # bumped (under the lock) before each segment commit

    # -- backend hooks ---------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _append_only_ddl(self, table: str) -> list[str]: ...

    def _sql(self, sql: str) -> str:
        return sql

    def _tuning_ddl(self) -> list[str]:
        return []

    def _run(self, sql: str, params: Sequence = (), *, many: bool = False) -> Any:
        cur = self._conn.cursor()
        if many:
            cur.executemany(self._sql(sql), params)
        elif params:
            cur.execute(self._sql(sql), params)
        else:
            cur.execute(self._sql(sql))
        return cur

    def _insert_id(self, sql: str, params: Sequence) -> int:
        return self._run(sql + " RETURNING id", params).fetchone()[0]

    def _insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Insert ``rows`` (uncommitted): one prepared INSERT per row; PostgreSQL streams
        them with COPY instead."""
        self._run(f"INSERT INTO {table} ({', '.join(columns)}) "
                  f"VALUES ({', '.join('?' * len(columns))})", rows, many=True)  # fmt: skip

    def _commit(self) -> None:
        self._conn.commit()

    def _open_reader(self) -> Any:
        """A second connection for queries (None: use the writer's)."""
        return self._connect()

    def _read(self, sql: str, params: Sequence) -> list:
        """Rows of a query of committed data, on the reader connection."""
        if self._reader is None:
            with self._lock:
                return self._run(sql, params).fetchall()
        with self._read_lock:
            cur = self._reader.cursor()
            cur.execute(self._sql(sql), params)
            return cur.fetchall()

    def _read_with_buffer(self, parameter: str, sql: str, params: Sequence,
                          take) -> tuple[list, Any]:  # fmt: skip
        """Segment rows from the reader plus ``take(buffer)`` of the open buffer, consistent
        with each other: retried when a segment was committed meanwhile (its samples would
        be counted twice), and read under the writer's lock after a few tries."""
        for _ in range(5):
            with self._lock:
                writes = self._segment_writes
                pending = take(self._buffers.get(parameter))
            rows = self._read(sql, params)
            if self._segment_writes == writes:
                return rows, pending
        with self._lock:
            return self._run(sql, params).fetchall(), take(self._buffers.get(parameter))

    def _setup(self) -> None:
        self._conn = self._connect()
        with self._lock:
            for ddl in SCHEMA:
                self._run(ddl.format(blob=self._blob, serial=self._serial))
            for table in APPEND_ONLY:
                for ddl in self._append_only_ddl(table):
                    self._run(ddl)
            for ddl in self._tuning_ddl():
                self._run(ddl)
            self._commit()
        self._reader = self._open_reader()

    # -- raw packets -----------------------------------------------------------------

    def append_packets(self, packets: Sequence[RawPacket]) -> None:
        """Store packets; durable when this returns."""
        rows = [(p.reception_ns, p.generation_ns, p.apid, p.seq_count, p.data) for p in packets]
        with self._lock, self._guard("append packets"):
            self._insert_rows("packets", _PACKET_COLUMNS, rows)
            self._commit()

    def packets(
        self,
        *,
        start_ns: int = -(2**63),
        stop_ns: int = 2**63 - 1,
        apids: Iterable[int] | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 10_000,
    ) -> list[RawPacket]:
        """Packets generated in ``[start_ns, stop_ns)``, oldest first; ``after`` is the
        (generation_ns, id) of the last packet of the previous page."""
        sql = (
            "SELECT reception_ns, generation_ns, apid, seq_count, data, id FROM packets "
            "WHERE generation_ns >= ? AND generation_ns < ?"
        )
        params: list[Any] = [start_ns, stop_ns]
        if apids is not None:
            allowed = sorted(set(apids))
            if not allowed:
                return []
            sql += f" AND apid IN ({', '.join('?' * len(allowed))})"
            params += allowed
        if after is not None:
            sql += " AND (generation_ns > ? OR (generation_ns = ? AND id > ?))"
            params += [after[0], after[0], after[1]]
        sql += " ORDER BY generation_ns, id LIMIT ?"
        rows = self._read(sql, [*params, limit])
        return [RawPacket(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def packets_after(
        self, after_id: int, *, since_ns: int = -(2**63), limit: int = 10_000
    ) -> list[RawPacket]:
        """Packets stored after ``after_id`` and generated after ``since_ns``, in storage
        order (for replays)."""
        with self._lock:
            rows = self._run(
                "SELECT reception_ns, generation_ns, apid, seq_count, data, id FROM packets "
                "WHERE id > ? AND generation_ns > ? ORDER BY id LIMIT ?",
                (after_id, since_ns, limit),
            ).fetchall()
        return [RawPacket(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def count_packets(self) -> int:
        with self._lock:
            return int(self._run("SELECT COUNT(*) FROM packets").fetchone()[0])

    # -- parameter archive -----------------------------------------------------------

    def write_samples(self, parameter: str, times_ns: np.ndarray, values: np.ndarray) -> None:
        """Buffer samples of one parameter; full segments are written (and committed)."""
        t = np.asarray(times_ns, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        if t.shape != v.shape or t.ndim != 1:
            raise ArchiveError(self.backend, f"times {t.shape} and values {v.shape} as 1-D pairs")
        if t.size == 0:
            return
        with self._lock:
            buf = self._buffers.setdefault(parameter, _Buffer())
            if buf.n == 0:
                buf.start_ns = buf.stop_ns = int(t[0])
            buf.times.append(t)
            buf.values.append(v)
            buf.n += t.size
            buf.start_ns = min(buf.start_ns, int(t.min()))
            buf.stop_ns = max(buf.stop_ns, int(t.max()))
            if buf.n >= self.segment_samples or buf.stop_ns - buf.start_ns >= self.segment_ns:
                self._write_segment(parameter, buf)
                self._commit()

    def write_block(self, names: Sequence[str], times_ns: np.ndarray, values: np.ndarray) -> None:
        """Buffer an ``(N, P)`` block: column ``j`` holds samples of ``names[j]`` at
        ``times_ns`` (the ingest fast path: one time vector for a whole container)."""
        t = np.asarray(times_ns, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (t.size, len(names)):
            raise ArchiveError(self.backend, f"values shaped ({t.size}, {len(names)}), "
                               f"not {v.shape}")  # fmt: skip
        if t.size == 0:
            return
        t0, t1 = int(t.min()), int(t.max())
        columns = v.T.copy()  # one copy, then contiguous row views per parameter
        full = []
        with self._lock:
            for j, name in enumerate(names):
                buf = self._buffers.get(name)
                if buf is None:
                    buf = self._buffers[name] = _Buffer()
                if buf.n == 0:
                    buf.start_ns, buf.stop_ns = t0, t1
                else:
                    buf.start_ns, buf.stop_ns = min(buf.start_ns, t0), max(buf.stop_ns, t1)
                buf.times.append(t)
                buf.values.append(columns[j])
                buf.n += t.size
                if buf.n >= self.segment_samples or buf.stop_ns - buf.start_ns >= self.segment_ns:
                    full.append(name)
            if full:
                self._insert_segments([self._segment_row(n, self._buffers[n]) for n in full])
                for name in full:
                    self._buffers[name] = _Buffer()
                self._commit()

    def _segment_row(self, parameter: str, buf: _Buffer) -> tuple:
        t = np.concatenate(buf.times)
        v = np.concatenate(buf.values)
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
        finite = v[np.isfinite(v)]
        summary = summarize(t, v, self.summary_bin_ns).tobytes()
        lo = float(finite.min()) if finite.size else None
        hi = float(finite.max()) if finite.size else None
        blobs = (summary, t.astype("<i8").tobytes(), v.astype("<f8").tobytes())
        return (parameter, int(t[0]), int(t[-1]), int(t.size), lo, hi, *blobs)

    def _insert_segments(self, rows: list[tuple]) -> None:
        self._segment_writes += 1  # before the commit: a reader that saw it retries
        with self._guard("write segments"):
            self._insert_rows("pp_segments", _SEGMENT_COLUMNS, rows)

    def _write_segment(self, parameter: str, buf: _Buffer) -> None:
        self._insert_segments([self._segment_row(parameter, buf)])
        self._buffers[parameter] = _Buffer()

    def flush(self) -> None:
        """Write every open segment (one batch, one commit)."""
        with self._lock:
            names = [name for name, buf in self._buffers.items() if buf.n]
            rows = [self._segment_row(name, self._buffers[name]) for name in names]
            if rows:
                self._insert_segments(rows)
            for name in names:
                self._buffers[name] = _Buffer()
            self._commit()

    def samples(self, parameter: str, start_ns: int, stop_ns: int) -> tuple[np.ndarray, ...]:
        """``(times_ns, values)`` of a parameter in ``[start_ns, stop_ns)``, time-sorted."""
        rows, extra = self._read_with_buffer(
            parameter, "SELECT times, vals FROM pp_segments WHERE parameter = ? AND start_ns < ? "
            "AND stop_ns >= ? ORDER BY start_ns", (parameter, stop_ns, start_ns),
            lambda buf: [] if buf is None else list(zip(buf.times, buf.values, strict=True)))
        parts_t = [np.frombuffer(r[0], dtype="<i8") for r in rows] + [t for t, _ in extra]
        parts_v = [np.frombuffer(r[1], dtype="<f8") for r in rows] + [v for _, v in extra]
        if not parts_t:
            return np.empty(0, dtype=np.int64), np.empty(0)
        t = np.concatenate(parts_t)
        v = np.concatenate(parts_v)
        if np.any(t[1:] < t[:-1]):
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        keep = (t >= start_ns) & (t < stop_ns)
        return t[keep], v[keep].astype(np.float64)

    def downsample(
        self, parameter: str, start_ns: int, stop_ns: int, n_buckets: int = 1000
    ) -> Downsampled:
        """Min and max per bucket over ``[start_ns, stop_ns)`` for plots.

        Buckets at least ten summary bins wide (``summary_bin_s``, 1 s by default) are
        answered from the per-bin summaries stored with each segment, without reading
        the samples; the range then snaps outwards to whole bins and the bucket width up
        to whole bins (each bucket's min / max / count stays exact for its own span).
        Narrower buckets are computed from the samples.
        """
        if n_buckets < 1 or stop_ns <= start_ns:
            raise ArchiveError(self.backend, "a positive bucket count and start before stop")
        if -(-(stop_ns - start_ns) // n_buckets) < 10 * self.summary_bin_ns:
            t, v = self.samples(parameter, start_ns, stop_ns)
            return Downsampled(*minmax_buckets(t, v, start_ns, stop_ns, n_buckets))
        return Downsampled(*minmax_from_summaries(
            self._summaries(parameter, start_ns, stop_ns), self.summary_bin_ns, start_ns,
            stop_ns, n_buckets))  # fmt: skip

    def _summaries(self, parameter: str, start_ns: int, stop_ns: int) -> np.ndarray:
        bin_ns = self.summary_bin_ns
        lo, hi = (start_ns // bin_ns) * bin_ns, -(-stop_ns // bin_ns) * bin_ns
        def take(buf: _Buffer | None) -> tuple | None:
            return None if buf is None or not buf.n else (list(buf.times), list(buf.values))

        rows, buffered = self._read_with_buffer(
            parameter, "SELECT summary FROM pp_segments WHERE parameter = ? AND start_ns < ? "
            "AND stop_ns >= ? ORDER BY start_ns", (parameter, hi, lo), take)
        pending = None
        if buffered is not None:
            t = np.concatenate(buffered[0])
            v = np.concatenate(buffered[1])
            order = np.argsort(t, kind="stable")
            pending = summarize(t[order], v[order], bin_ns)
        parts = [np.frombuffer(r[0], dtype=SUMMARY_DTYPE) for r in rows]
        if pending is not None:
            parts.append(pending)
        return np.concatenate(parts) if parts else np.empty(0, dtype=SUMMARY_DTYPE)

    def last_segment_stops(self) -> dict[str, int]:
        """The time of the last sample written to a segment, per parameter."""
        with self._lock:
            rows = self._run(
                "SELECT parameter, MAX(stop_ns) FROM pp_segments GROUP BY parameter"
            ).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def parameters(self) -> list[str]:
        """Names of the archived parameters."""
        with self._lock:
            rows = self._run("SELECT DISTINCT parameter FROM pp_segments").fetchall()
            return sorted({r[0] for r in rows} | {k for k, b in self._buffers.items() if b.n})

    # -- lifecycle -------------------------------------------------------------------

    def _guard(self, what: str) -> _Guard:
        return _Guard(self, what)

    def close(self) -> None:
        """Write open segments and close the connection."""
        with self._lock:
            if self._conn is not None:
                self.flush()
                self._conn.close()
                self._conn = None
            with self._read_lock:
                if self._reader is not None:
                    self._reader.close()
                    self._reader = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Guard:
    """Roll back and raise ``ArchiveError`` when a write fails."""

    def __init__(self, archive: Archive, what: str):
        self.archive = archive
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None or isinstance(exc, ArchiveError):
            return
        if isinstance(exc, Exception):
            self.archive._conn.rollback()
            raise ArchiveError(self.archive.backend, f"{self.what} failed: {exc}") from exc
