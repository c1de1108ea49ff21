"""``ilrs serve``: the live station twin as the spacecraft, the command center around it.

One process: the :class:`~ilrs.station.LiveTwin` runs in accelerated time behind a
:class:`~ilrs.ops.spacecraft.twin.TwinSpacecraft` connected over TCP on loopback to the
command center's ground link; the FastAPI app (REST, WebSocket, dashboard) is served by
uvicorn on ``host:port`` (127.0.0.1 by default). Demo users, one per role and one operator
per partner that owns elements, get fresh API tokens at every start (printed once; only
their scrypt hashes are stored).

``ilrs serve`` listens from its first second (``ilrs.cli._gate.Gate`` answers
``/api/status``: ``starting`` with the warm-up stage and progress, then ``ready``) and
hands every request to the command center's app once the station is up.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ilrs.paths import default_archive_path, find_web_dir

if TYPE_CHECKING:  # the command center and the twin load when a station is built
    from ilrs.ops.security.policy import AuthConfig
    from ilrs.ops.service import OpsService
    from ilrs.ops.tmtc.link import SpacecraftLink
    from ilrs.station import LiveTwin

__all__ = ["DemoUser", "LiveStation", "Server", "audit_anchor_path",
           "default_archive_path", "demo_auth", "find_web_dir"]

#: Where the live twin starts by default: after ILRS-5's planned landing (2035-08), so
#: every partner payload of the basic model is on the surface.
DEFAULT_EPOCH_UTC = "2036-01-01T00:00:00"


def audit_anchor_path(db_url: str) -> Path | None:
    """The audit anchor of a SQLite archive: ``<archive>.anchor.jsonl`` beside it, signed
    with the key in ``<archive>.anchor.key`` (see ``ilrs.ops.security.anchor``); None for a
    PostgreSQL or in-memory archive (give ``OpsSettings.audit_anchor`` explicitly)."""
    if db_url.startswith(("postgresql://", "postgres://", ":memory:")):
        return None
    return Path(db_url.removeprefix("sqlite:///") + ".anchor.jsonl")


@dataclass(frozen=True)
class DemoUser:
    name: str
    partner: str
    role: str
    token: str = ""


def demo_auth(live: LiveTwin) -> tuple[AuthConfig, list[DemoUser]]:
    """Partners from the campaign; an admin, two flight directors (a critical command needs
    a second, different approver), a viewer and one operator per partner owning elements."""
    from ilrs.ops.security.policy import AuthConfig, Partner, User

    described = live.describe()
    owners = sorted({e["owner"] for e in described["elements"]})
    lead = owners[0]
    users = [DemoUser("admin", lead, "admin"), DemoUser("flight.director", lead,
             "flight_director"), DemoUser("flight.director2", owners[-1], "flight_director"),
             DemoUser("viewer", lead, "viewer")]  # fmt: skip
    users += [DemoUser(f"{p}.operator", p, "partner_operator") for p in owners]
    partners = tuple(Partner(id=pid, name=name) for pid, name in described["partners"].items())
    known = {p.id for p in partners}
    partners += tuple(Partner(id=o) for o in owners if o not in known)
    config = AuthConfig(partners=partners, users=tuple(
        User(name=u.name, partner=u.partner, roles=(u.role,)) for u in users))
    return config, users


@dataclass
class LiveStation:
    """The twin, its link and the command center, started and stopped together.

    ``with LiveStation(...) as station: station.app`` is the FastAPI app to serve;
    ``station.users`` the demo users with their tokens. Building it runs the campaign up to
    ``epoch_utc``; ``progress(stage, fraction)`` hears how far that is. ``dems`` (paths,
    finest first; default: the scenario's ``site.dems``) serve polar products on request
    (``/api/lighting/products``, written by ``product_writer``, tiles run by
    ``product_scheduler``: inline, ``"local"`` or a Dask address); without any, those
    routes answer 404.
    """

    scenario: str | Path | None = None
    speed: float = 60.0
    db_url: str = field(default_factory=lambda: str(default_archive_path()))
    epoch_utc: str = DEFAULT_EPOCH_UTC
    web_dir: Path | None = None
    pump_period_s: float = 1.0
    users: list[DemoUser] = field(default_factory=list)
    progress: Callable[[str, float], None] | None = field(default=None, repr=False)
    dems: tuple[str, ...] = ()
    product_writer: Callable | None = field(default=None, repr=False)
    product_scheduler: str = "inline"
    #: where the twin also listens for another ground system (Yamcs: ``ilrs yamcs init``);
    #: None: only our command center flies it
    spacecraft_port: int | None = None
    #: "tcp" (packets back to back), "udp" (a packet per datagram) or "frames" (TC frames
    #: through FARM-1 in on the port, TM frames with the CLCW out to spacecraft_tm_port)
    spacecraft_transport: str = "tcp"
    #: udp, frames: the UDP port of 127.0.0.1 telemetry goes to
    spacecraft_tm_port: int | None = None
    #: the packets' time code: "cds", "cuc" (default: "cuc" with a spacecraft port)
    time_code: str | None = None

    def __post_init__(self):
        from ilrs.ops.desks.plans import PlanDesk
        from ilrs.ops.desks.repair import Replanner
        from ilrs.ops.service import OpsService, OpsSettings
        from ilrs.ops.spacecraft.twin import mdb_for_twin
        from ilrs.station import LiveTwin

        report = self.progress or (lambda stage, fraction: None)
        report("loading the scenario and the sky", 0.0)
        self.live = LiveTwin.from_scenario(self.scenario)
        stage = f"running the campaign to {self.epoch_utc}"
        report(stage, 0.0)
        # the campaign's state at the epoch
        self.live.advance_to_utc(self.epoch_utc, progress=lambda f: report(stage, f))
        report("starting the command center", 1.0)
        self.mdb = mdb_for_twin(self.live)
        auth, users = demo_auth(self.live)
        if not self.db_url.startswith(("postgresql://", "postgres://", ":memory:")):
            Path(self.db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True,
                                                                      exist_ok=True)
        self.settings = OpsSettings(archive_url=self.db_url, mdb=self.mdb, auth=auth,
                                    link_port=0, web_dir=self.web_dir,
                                    audit_anchor=audit_anchor_path(self.db_url))
        self.ops = OpsService(self.settings)
        self.plans = PlanDesk(self.ops, self.live.elements)  # /api/plans
        self.plans.replanner = Replanner(self.plans, self.live)
        self.lighting = self._lighting_desk()  # /api/lighting/products
        self._demo = users
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._run, name="ilrs-twin", daemon=True)
        self.link: SpacecraftLink | None = None
        self.listener = None  # the spacecraft-side listening link, with spacecraft_port

    def _lighting_desk(self):
        dems = list(self.dems) or list(self.live.scenario.site.dems)
        if not dems:
            return None
        from ilrs.ops.desks.lighting import LightingDesk, tif_and_nc

        anchor = audit_anchor_path(self.db_url)
        root = (anchor.parent if anchor is not None else default_archive_path().parent)
        return LightingDesk(self.ops, dems, root / "lighting-products",
                            writer=self.product_writer or tif_and_nc,
                            scheduler=self.product_scheduler)

    def start(self) -> LiveStation:
        from ilrs.ops.spacecraft.listen import Broadcast
        from ilrs.ops.spacecraft.twin import TwinSpacecraft
        from ilrs.ops.tmtc.link import SpacecraftLink

        self.ops.start()
        now = time.time_ns()
        code = self.time_code or ("cds" if self.spacecraft_port is None else "cuc")
        self.spacecraft = TwinSpacecraft(self.live, self.mdb, speed=self.speed, start_ns=now,
                                         time_code=code)
        self.ops.set_mission_clock(lambda: self.spacecraft.mission_ns(time.time_ns()),
                                   speed=self.speed)  # the operators' clock: the twin's UTC
        flown = self.spacecraft
        if self.spacecraft_port is not None:  # another ground system flies it too
            flown = Broadcast(self.spacecraft)
            tm_to = (None if self.spacecraft_tm_port is None
                     else ("127.0.0.1", self.spacecraft_tm_port))  # fmt: skip
            self.listener = flown.listen(port=self.spacecraft_port, tm_to=tm_to,
                                         transport=self.spacecraft_transport)
        self.link = SpacecraftLink(flown, self.ops.link.address).start()
        self.ops.link.connected.wait(timeout=10)
        self.users = [DemoUser(u.name, u.partner, u.role,
                               self.ops.tokens.issue(u.name, now_ns=now).secret)
                      for u in self._demo]  # fmt: skip
        self._pump.start()
        self.plans.replanner.start()  # repairs the plan on a drift
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):  # the ground went away: stop quietly
                self.link.pump(time.time_ns())
            self._stop.wait(self.pump_period_s)

    def stop(self) -> None:
        self.plans.replanner.stop()
        if self.lighting is not None:
            self.lighting.stop()
        self._stop.set()
        if self._pump.is_alive():
            self._pump.join(timeout=5)
        if self.link is not None:
            self.link.stop()
        if self.listener is not None:
            self.listener.stop()
        self.ops.stop()

    def app(self):
        """The FastAPI app around the already running command center."""
        from ilrs.ops.api.app import create_app

        return create_app(self.settings, service=_Started(self.ops), plans=self.plans,
                          lighting=self.lighting)

    def __enter__(self) -> LiveStation:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Started:
    """The running service as ``create_app`` wants it: its lifespan must not start or stop
    what :class:`LiveStation` owns."""

    def __init__(self, ops: OpsService):
        self._ops = ops

    def start(self) -> OpsService:
        return self._ops

    def stop(self) -> None:
        """The station stops the service itself."""


class Server:
    """uvicorn serving a :class:`LiveStation` in a background thread (tests, notebooks);
    ``url`` once started. ``ilrs serve`` runs the same in the foreground."""

    def __init__(self, station: LiveStation, host: str = "127.0.0.1", port: int = 0):
        import socket

        import uvicorn

        if port == 0:
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        self.station = station
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(station.app(), host=host, port=port, log_level="warning",
                                lifespan="on", ws="websockets-sansio")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="ilrs-http",
                                        daemon=True)

    def start(self, timeout_s: float = 20.0) -> Server:
        self.station.start()
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the web server did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.station.stop()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
