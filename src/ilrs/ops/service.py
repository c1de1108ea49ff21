"""The command center as one object: settings in, archive + processor + commander + link +
permissions + audit wired together, started and stopped as a unit (the API and
``ilrs serve`` both sit on it).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ilrs.errors import InputError, OpsConfigError, PermissionDeniedError
from ilrs.ops.archive import Archive, open_archive
from ilrs.ops.commanding.commander import Commander
from ilrs.ops.processing.derived import DerivedParameter
from ilrs.ops.processing.processor import Processor
from ilrs.ops.security.anchor import AuditAnchor, load_or_create_key
from ilrs.ops.security.audit import AuditLog
from ilrs.ops.security.enrolment import Enrolments
from ilrs.ops.security.policy import AccessPolicy, AuthConfig, load_auth
from ilrs.ops.security.tokens import TokenAuthenticator
from ilrs.ops.security.two_person import TwoPersonRule
from ilrs.ops.tmtc.link import GroundLink, UdpGroundLink
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.mdb_build import load_mdb

__all__ = [
    "AUDIT_OUTCOME_CHARS",
    "AUDIT_REQUEST_BYTES",
    "DerivedSpec",
    "OpsService",
    "OpsSettings",
    "bounded_outcome",
    "bounded_request",
    "iso_to_ns",
    "load_settings",
    "ns_to_iso",
]

_log = logging.getLogger(__name__)


#: The instants ns since 1970 can hold in int64 (the archive's time columns).
_NS_RANGE = "a UTC ISO-8601 instant from 1677-09-22 to 2262-04-11 (2030-01-01T00:00:00Z)"


def iso_to_ns(utc: str, *, what: str = "time") -> int:
    """UTC ISO-8601 (``Z``, an offset, or naive meaning UTC) → ns since 1970; ``what``
    names the input in the ``InputError`` raised for a malformed or out-of-range time."""
    try:
        instant = _dt.datetime.fromisoformat(utc.replace("Z", "+00:00"))
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=_dt.UTC)
        delta = instant - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    except (ValueError, OverflowError):
        raise InputError(what, utc[:64], _NS_RANGE) from None
    ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if not -(2**63) <= ns < 2**63:
        raise InputError(what, utc[:64], _NS_RANGE)
    return ns


def ns_to_iso(t_ns: int) -> str:
    """ns since 1970 → UTC ISO-8601 with microseconds and ``Z``."""
    instant = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(
        microseconds=int(t_ns) // 1000
    )
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DerivedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    expression: str
    inputs: list[str]
    unit: str = ""


class OpsSettings(BaseModel):
    """What the command center needs; the database and users come inline or from files."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    archive_url: str = "ilrs-archive.db"
    mdb: MissionDatabase | Path
    auth: AuthConfig | Path
    derived: list[DerivedSpec] = Field(default_factory=list)
    link_host: str = "127.0.0.1"
    link_port: int | None = None  # None: no spacecraft link (archive browsing only)
    link_transport: Literal["tcp", "udp"] = "tcp"
    housekeeping_period_s: float = Field(default=1.0, gt=0)
    web_dir: Path | None = None  # the dashboard (repo's web/) served at /; None: API only
    #: Largest request body accepted, refused (413) before authentication or parsing.
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    #: The audit anchor: signed checkpoints of the audit chain's head, appended to this file
    #: (outside the archive) with the key in ``audit_key`` (a file the archive never holds;
    #: created, mode 0600, when missing). None: no anchor.
    audit_anchor: Path | None = None
    audit_key: Path | None = None


def load_settings(path: str | Path) -> OpsSettings:
    """Read command-center settings from YAML; ``mdb`` and ``auth`` may name files,
    relative to the settings file (errors name the file and the path inside it)."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise OpsConfigError(str(file), "", None, "a readable YAML file", str(exc)) from None
    if not isinstance(data, dict):
        raise OpsConfigError(str(file), "", None, "a mapping of settings", type(data).__name__)
    for key in ("mdb", "auth", "web_dir", "audit_anchor", "audit_key"):
        if isinstance(data.get(key), str):
            data[key] = (file.parent / data[key]).resolve()
    try:
        return OpsSettings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(k) for k in err["loc"])
        raise OpsConfigError(str(file), where, None, err["msg"], err.get("input")) from None


#: Largest request (as JSON) and outcome text stored whole in an audit record; a larger
#: request is recorded by its SHA-256 and size, a longer outcome cut, so nobody can bloat
#: the append-only log.
AUDIT_REQUEST_BYTES = 2048
AUDIT_OUTCOME_CHARS = 500


def bounded_request(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` as stored in the audit log: itself when small, else its digest."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    if len(text.encode()) <= AUDIT_REQUEST_BYTES:
        return json.loads(text)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "size_bytes": len(text.encode()),
            "stored": "digest only (request larger than the audit bound)"}  # fmt: skip


def bounded_outcome(outcome: str) -> str:
    if len(outcome) <= AUDIT_OUTCOME_CHARS:
        return outcome
    return outcome[: AUDIT_OUTCOME_CHARS - 1] + "…"


class OpsService:
    """Owns every part of the command center; ``start`` / ``stop`` (or ``with``)."""

    def __init__(self, settings: OpsSettings, *, clock: Callable[[], int] = time.time_ns):
        self.settings = settings
        self.clock = clock
        #: The spacecraft's UTC now (ns), the operators' one clock (see ``set_mission_clock``).
        self.mission_clock: Callable[[], int] = clock
        #: Spacecraft seconds per ground second (the twin's acceleration; 1 for a real one).
        self.mission_speed = 1.0
        self.mdb = settings.mdb if isinstance(settings.mdb, MissionDatabase) else load_mdb(
            settings.mdb)  # fmt: skip
        auth = settings.auth if isinstance(settings.auth, AuthConfig) else load_auth(
            settings.auth)  # fmt: skip
        self.policy = AccessPolicy(auth, self.mdb)
        derived = [DerivedParameter(d.name, d.expression, inputs=d.inputs, unit=d.unit)
                   for d in settings.derived]  # fmt: skip
        self.archive: Archive = open_archive(settings.archive_url)
        self.anchor: AuditAnchor | None = None
        if settings.audit_anchor is not None:
            key = settings.audit_key or settings.audit_anchor.with_suffix(".key")
            self.anchor = AuditAnchor(settings.audit_anchor, load_or_create_key(key))
        self.audit_log = AuditLog(self.archive, anchor=self.anchor)
        self.audit_log.start_anchor(time_ns=clock())
        self.tokens = TokenAuthenticator(self.archive, self.policy)
        #: the two-person rule: who controls which account (shared by enrolment, commander)
        self.two_person = TwoPersonRule()
        self.enrolments = Enrolments(self.archive, self.policy, self.tokens, self.two_person)
        self.processor = Processor(mdb=self.mdb, archive=self.archive, derived=derived)
        rebuilt = self.processor.rebuild_parameters()  # samples lost in a crash, if any
        if rebuilt:
            _log.info("rebuilt %d parameter samples from raw packets", rebuilt)
        self.link: GroundLink | UdpGroundLink | None = None
        if settings.link_port is not None:
            kind = GroundLink if settings.link_transport == "tcp" else UdpGroundLink
            self.link = kind(self._on_packets, host=settings.link_host,
                                   port=settings.link_port, apids=[a.apid for a in self.mdb.apids],
                                   clock=clock)  # fmt: skip
        self.commander = Commander(mdb=self.mdb, policy=self.policy, archive=self.archive,
                                   transmit=self._transmit, latest=self.processor.latest_value,
                                   clock=clock, two_person=self.two_person)  # fmt: skip
        self.processor.on_report = self.commander.on_report
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="ilrs-ops-tick", daemon=True)

    def set_mission_clock(self, clock: Callable[[], int], *, speed: float = 1.0) -> None:
        """Run the operators' clock on the spacecraft's time: telemetry is stamped with it
        on board (generation time); with this, command history stages, alarm operator
        actions and shelving run on it too. Time-outs stay on the ground clock."""
        self.mission_clock, self.mission_speed = clock, float(speed)
        self.commander.stamp = clock

    def _on_packets(self, raws: list[bytes], reception_ns: int) -> None:
        self.processor.ingest(raws, reception_ns=reception_ns)

    def _transmit(self, tc) -> None:
        if self.link is None:
            raise ConnectionError("no spacecraft link configured")
        self.link.transmit(tc)

    def _tick(self) -> None:
        while not self._stop.wait(self.settings.housekeeping_period_s):
            try:
                self.commander.poll(self.clock())
                self.processor.expire_shelves(self.mission_clock())
            except Exception:  # the ticker must keep running
                _log.exception("housekeeping tick failed")

    def start(self) -> OpsService:
        if self.link is not None:
            self.link.start()
        self._ticker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join(timeout=5)
        if self.link is not None:
            self.link.stop()
        self.archive.close()

    def __enter__(self) -> OpsService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextlib.contextmanager
    def audited(self, user: str, action: str, request: dict[str, Any]) -> Iterator[None]:
        """Record a state-changing call with its outcome (ok / denied / error)."""
        try:
            yield
        except PermissionDeniedError as exc:
            self._audit(user, action, request, f"denied: {exc}")
            raise
        except Exception as exc:
            self._audit(user, action, request, f"error: {type(exc).__name__}: {exc}")
            raise
        self._audit(user, action, request, "ok")

    def audit_event(self, user: str, action: str, outcome: str,
                      request: dict[str, Any] | None = None) -> None:  # fmt: skip
        """Record an event whose outcome the caller decides (e.g. an enrolment)."""
        self._audit(user, action, request or {}, outcome)

    def _audit(self, user: str, action: str, request: dict[str, Any], outcome: str) -> None:
        self.audit_log.record(user=user, action=action, time_ns=self.clock(),
                              outcome=bounded_outcome(outcome), request=bounded_request(request))
