"""The telemetry processor: raw packets in, archived packets, calibrated parameters,
limit checks, alarms, derived parameters, events and command verification out.

``ingest`` takes a batch of raw TM packets (whole, CRC-checked by the stream decoder or
not): malformed and unknown packets are counted and logged, never raised and never
archived; the good ones are committed to the archive before ``ingest`` returns (durable
before acknowledged); then each container's packets are decoded together, vectorized. A
packet that passes the header checks but whose content cannot be processed (a PUS-1
report too short for its request id, an event or housekeeping its decoder refuses) is
quarantined alone — counted in ``stats.quarantined`` and reported as a ``ground`` event —
and its neighbours in the batch are processed as usual.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import PacketError
from ilrs.ops.archive import Archive, EventRecord, RawPacket
from ilrs.ops.processing.alarms import AlarmManager, AlarmTransition
from ilrs.ops.processing.derived import DerivedParameter, align_sample_and_hold
from ilrs.ops.tmtc.codec import ContainerPlan
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.packets import Service, TmPacket

__all__ = ["EVENT_SEVERITY", "IngestStats", "Processor", "Update"]

_log = logging.getLogger(__name__)
#: PUS service 5 subtypes → severity (ECSS-E-ST-70-41C §6.5: informative, low, medium, high).
EVENT_SEVERITY = {1: "info", 2: "warning", 3: "distress", 4: "critical"}


@dataclass(slots=True)
class IngestStats:
    """Counters of everything the processor has seen."""

    packets: int = 0
    malformed: int = 0
    unknown_apid: int = 0
    unknown_container: int = 0
    short_data: int = 0
    samples: int = 0
    events: int = 0
    reports: int = 0
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class Update:
    """What one batch changed, for live clients: samples per parameter (times in ns,
    engineering values, limit levels), alarm transitions and events."""

    samples: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    alarms: tuple[AlarmTransition, ...] = ()
    events: tuple[EventRecord, ...] = ()
    #: When the ground received the batch (samples' times are generation times).
    reception_ns: int | None = None


class Processor:
    """Turns telemetry into archived, checked parameters; thread-safe (one lock)."""

    def __init__(
        self,
        *,
        mdb: MissionDatabase,
        archive: Archive,
        derived: Iterable[DerivedParameter] = (),
        on_report: Callable[[TmPacket], object] | None = None,
        archive_raw: bool = True,
    ):
        self.mdb, self.archive = mdb, archive
        self.derived = tuple(derived)
        self.on_report = on_report
        self.archive_raw = archive_raw
        self.alarms = AlarmManager()
        self.stats = IngestStats()
        self.latest: dict[str, tuple[int, float, int]] = {}  # name → (time_ns, value, level)
        self.received_ns: dict[str, int] = {}  # name → reception time of its latest value
        self._subscribers: list[Callable[[Update], None]] = []
        self._lock = threading.RLock()
        self._apids = {a.apid for a in mdb.apids}
        self._plans: dict[str, ContainerPlan] = {}
        # the APID an alarm event is filed under, so that partners see only their own
        self._apid_of = {e.parameter: c.apid for c in mdb.containers for e in c.entries}
        for d in self.derived:
            inputs = sorted(n for n in d.used if n in self._apid_of)
            if inputs:
                self._apid_of[d.name] = self._apid_of[inputs[0]]
        # parameter → the measured parameters it is made of (itself, or a derived one's)
        self._inputs: dict[str, frozenset[str]] = {p.name: frozenset((p.name,))
                                                   for p in mdb.parameters}  # fmt: skip
        self._inputs.update({d.name: frozenset(d.used) for d in self.derived})

    def inputs_of(self, name: str) -> frozenset[str] | None:
        """The measured parameters behind ``name`` (None: no such parameter)."""
        return self._inputs.get(name)

    def subscribe(self, callback: Callable[[Update], None]) -> Callable[[], None]:
        """Call ``callback(update)`` after each batch; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def latest_value(self, name: str) -> float | None:
        entry = self.latest.get(name)
        return None if entry is None else entry[1]

    def _parse(self, raws: Sequence[bytes]) -> list[tuple[bytes, TmPacket]]:
        good = []
        for raw in raws:
            try:
                tm = TmPacket.unpack(raw)
            except PacketError as exc:
                self.stats.malformed += 1
                _log.warning("malformed packet dropped: %s", exc)
                continue
            if tm.apid not in self._apids:
                self.stats.unknown_apid += 1
                _log.warning("packet of unknown APID %d dropped", tm.apid)
                continue
            good.append((raw, tm))
        return good

    def ingest(self, raws: Sequence[bytes], *, reception_ns: int) -> Update:
        """Process a batch of raw TM packets; returns (and publishes) what changed."""
        with self._lock:
            packets = self._parse(raws)
            if self.archive_raw and packets:
                self.archive.append_packets([
                    RawPacket(reception_ns, tm.time.unix_ns, tm.apid, tm.seq_count, raw)
                    for raw, tm in packets
                ])  # fmt: skip
            self.stats.packets += len(packets)
            groups: dict[tuple[int, int, int], list[TmPacket]] = defaultdict(list)
            events: list[EventRecord] = []
            bad: list[EventRecord] = []
            for _, tm in packets:
                try:
                    if tm.service == Service.VERIFICATION:
                        self.stats.reports += 1
                        if self.on_report is not None:
                            self.on_report(tm)
                    elif tm.service == Service.EVENT:
                        events.append(self._event(tm))
                    else:
                        groups[(tm.apid, tm.service, tm.subservice)].append(tm)
                except Exception as exc:  # one bad packet must not cost its neighbours
                    bad.append(self._quarantine(tm, exc, 1))
            samples: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
            transitions: list[AlarmTransition] = []
            for key, tms in groups.items():
                try:
                    self._container(key, tms, samples, transitions)
                except Exception as exc:
                    bad.append(self._quarantine(tms[0], exc, len(tms)))
            self.archive.append_events(bad)
            events += bad
            self._derive(samples)
            self._log_alarms(transitions)
            for name in samples:
                self.received_ns[name] = reception_ns
            update = Update(samples, tuple(transitions), tuple(events), reception_ns)
            self._publish(update)
            return update

    def _quarantine(self, tm: TmPacket, exc: Exception, n: int) -> EventRecord:
        """Count and describe ``n`` packets set aside (as an event of their APID)."""
        self.stats.quarantined += n
        what = f"TM[{tm.service},{tm.subservice}] APID {tm.apid} seq {tm.seq_count}"
        _log.warning("quarantined %d packet(s) %s: %s", n, what, exc)
        return EventRecord(tm.time.unix_ns, "ground/quarantine", "warning",
                           f"{n} packet(s) quarantined, first {what}: {type(exc).__name__}: "
                           f"{str(exc)[:200]}", tm.apid)  # fmt: skip

    def _publish(self, update: Update) -> None:
        for callback in list(self._subscribers):
            try:
                callback(update)
            except Exception:  # a slow or broken client must not stop ingest
                _log.exception("subscriber failed")

    def _log_alarms(self, transitions: Sequence[AlarmTransition]) -> None:
        """Alarm transitions go to the event archive (source ``alarm``)."""
        self.archive.append_events([
            EventRecord(m.time_ns, "alarm", m.severity,
                        f"{m.parameter}: {m.previous.value} → {m.state.value} at {m.value:g}"
                        + (f" by {m.user}" if m.user else ""), self._apid_of.get(m.parameter))
            for m in transitions
        ])  # fmt: skip

    def alarm_action(
        self, action: str, parameter: str, *, user: str, now_ns: int, duration_s: float = 0.0
    ) -> AlarmTransition:
        """``acknowledge`` / ``shelve`` / ``unshelve`` an alarm; logged and published."""
        with self._lock:
            if action == "acknowledge":
                move = self.alarms.acknowledge(parameter, user=user, now_ns=now_ns)
            elif action == "shelve":
                move = self.alarms.shelve(parameter, user=user, now_ns=now_ns,
                                          duration_s=duration_s)  # fmt: skip
            elif action == "unshelve":
                move = self.alarms.unshelve(parameter, user=user, now_ns=now_ns)
            else:
                raise ValueError(f"alarm action {action!r}")
            self._log_alarms([move])
            self._publish(Update({}, (move,), ()))
            return move

    def _event(self, tm: TmPacket) -> EventRecord:
        self.stats.events += 1
        event_id = int.from_bytes(tm.data[:2], "big") if len(tm.data) >= 2 else 0
        text = tm.data[2:].decode("utf-8", errors="replace")
        name = self.mdb.apid(tm.apid).name
        record = EventRecord(tm.time.unix_ns, f"{name}/pus5", EVENT_SEVERITY.get(
            tm.subservice, "info"), f"event {event_id}: {text}", tm.apid)  # fmt: skip
        self.archive.append_event(record)
        return record

    def _plan(self, container) -> ContainerPlan:
        plan = self._plans.get(container.name)
        if plan is None:
            plan = self._plans[container.name] = ContainerPlan(self.mdb, container)
        return plan

    def _container(self, key, tms: list[TmPacket], samples: dict, transitions: list) -> None:
        container = self.mdb.container_for(*key)
        if container is None:
            self.stats.unknown_container += len(tms)
            return
        plan = self._plan(container)
        good = [tm for tm in tms if len(tm.data) >= plan.size]
        if len(good) < len(tms):
            self.stats.short_data += len(tms) - len(good)
            _log.warning("%d packets of %s too short", len(tms) - len(good), container.name)
        if not good:
            return
        times = np.fromiter((tm.time.unix_ns for tm in good), dtype=np.int64, count=len(good))
        order = np.argsort(times, kind="stable")
        times = times[order]
        eng = plan.engineering(plan.raw_matrix(plan.frames([good[i].data for i in order])))
        levels = plan.levels(eng)
        # the alarm state machine only sees columns out of limits now or before
        previous = np.array([self.latest.get(n, (0, 0.0, 0))[2] for n in plan.names])
        watch = np.flatnonzero(plan.has_limits & (levels.any(axis=0) | (previous != 0)))
        for j in watch:
            p = plan.parameters[j]
            transitions += self.alarms.update(p.name, times, eng[:, j], p.limits, levels[:, j])
        self.archive.write_block(plan.names, times, eng)
        self.stats.samples += eng.size
        t_last = int(times[-1])
        for j, name in enumerate(plan.names):
            samples[name] = (times, eng[:, j], levels[:, j])
            self.latest[name] = (t_last, float(eng[-1, j]), int(levels[-1, j]))

    def _derive(self, samples: dict) -> None:
        for d in self.derived:
            if not d.used & samples.keys():
                continue
            series = {}
            for name in d.used:
                if name in samples:
                    series[name] = samples[name][:2]
                elif name in self.latest:
                    t, v, _ = self.latest[name]
                    series[name] = (np.array([t]), np.array([v]))
                else:
                    series[name] = (np.empty(0, dtype=np.int64), np.empty(0))
            times, aligned = align_sample_and_hold(series)
            start = min(int(samples[n][0][0]) for n in d.used if n in samples)
            keep = times >= start
            values = d.evaluate({k: v[keep] for k, v in aligned.items()})
            if values.size:
                t = times[keep]
                self.archive.write_samples(d.name, t, values)
                self.stats.samples += values.size
                samples[d.name] = (t, values, np.zeros(values.size, dtype=np.int8))
                self.latest[d.name] = (int(t[-1]), float(values[-1]), 0)

    def rebuild_parameters(self, *, batch: int = 5000) -> int:
        """Re-derive, from the raw packets, samples the parameter archive lacks.

        Raw packets are committed before they are acknowledged but parameter samples are
        buffered until a segment closes, so after a crash (``kill -9``) the newest samples
        exist only as raw packets. This replays every stored packet and writes, per
        parameter, only the samples later than its last segment. Returns how many samples
        it wrote. Alarms are not replayed; the latest values are restored.
        """
        with self._lock:
            floor = self.archive.last_segment_stops()
            names = [p.name for p in self.mdb.parameters]
            covered = all(n in floor for n in names)
            since = min((floor[n] for n in names), default=-(2**63)) if covered else -(2**63)
            written, after = 0, 0
            while True:  # bounded by the number of stored packets
                rows = self.archive.packets_after(after, since_ns=since, limit=batch)
                if not rows:
                    if written:
                        self.archive.flush()  # what was rebuilt is durable at once
                    return written
                after = rows[-1].id
                groups: dict[tuple[int, int, int], list[TmPacket]] = defaultdict(list)
                for _, tm in self._parse([r.data for r in rows]):
                    groups[(tm.apid, tm.service, tm.subservice)].append(tm)
                for key, tms in groups.items():
                    written += self._rebuild_container(key, tms, floor)

    def _rebuild_container(self, key, tms: list[TmPacket], floor: dict[str, int]) -> int:
        container = self.mdb.container_for(*key)
        if container is None:
            return 0
        plan = self._plan(container)
        good = [tm for tm in tms if len(tm.data) >= plan.size]
        if not good:
            return 0
        times = np.fromiter((tm.time.unix_ns for tm in good), dtype=np.int64, count=len(good))
        eng = plan.engineering(plan.raw_matrix(plan.frames([tm.data for tm in good])))
        levels = plan.levels(eng)
        written = 0
        for j, name in enumerate(plan.names):
            keep = times > floor.get(name, -(2**63))
            if keep.any():
                self.archive.write_samples(name, times[keep], eng[keep, j])
                written += int(keep.sum())
            last = int(np.argmax(times))
            if times[last] >= self.latest.get(name, (-(2**63), 0.0, 0))[0]:
                self.latest[name] = (int(times[last]), float(eng[last, j]), int(levels[last, j]))
        return written

    def expire_shelves(self, now_ns: int) -> list[AlarmTransition]:
        with self._lock:
            moves = self.alarms.expire_shelves(now_ns)
            if moves:
                self._log_alarms(moves)
                self._publish(Update({}, tuple(moves), ()))
            return moves
