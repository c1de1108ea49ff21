"""``ilrs serve``: the live station twin as the spacecraft, the command center around it.

One process: the :class:`~ilrs.station.LiveTwin` runs in accelerated time behind a
:class:`~ilrs.ops.twin_spacecraft.TwinSpacecraft` connected over TCP on loopback to the
command center's ground link; the FastAPI app (REST, WebSocket, dashboard) is served by
uvicorn on ``host:port`` (127.0.0.1 by default). Demo users, one per role and one operator
per partner that owns elements, get fresh API tokens at every start (printed once; only
their scrypt hashes are stored).

``ilrs serve`` listens from its first second: :class:`Gate` answers ``/api/status``
(``starting`` with the warm-up stage and progress, then ``ready``) and 503 elsewhere until
the station is up, then hands every request to the command center's app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command center and the twin load when a station is built, so
    # `ilrs serve` opens its port (Gate, paths) before importing them
    from ilrs.ops.auth import AuthConfig
    from ilrs.ops.link import SpacecraftLink
    from ilrs.ops.service import OpsService
    from ilrs.station import LiveTwin

__all__ = ["DemoUser", "Gate", "LiveStation", "Server", "audit_anchor_path",
           "default_archive_path", "demo_auth", "find_web_dir"]

#: Where the live twin starts by default: after ILRS-5's planned landing (2035-08), so
#: every partner payload of the basic model is on the surface.
DEFAULT_EPOCH_UTC = "2036-01-01T00:00:00"


def default_archive_path() -> Path:
    """The archive of ``ilrs serve`` when no ``--db`` is given: a per-user data folder
    (``$XDG_DATA_HOME/ilrs``, else ``~/.local/share/ilrs``; ``%LOCALAPPDATA%\\ilrs`` on
    Windows), never the current folder."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ilrs" / "serve" / "archive.db"


def find_web_dir() -> Path | None:
    """The dashboard's folder found through the package, from any working folder: ``web/``
    inside the installed package, else the ``web/`` of the source checkout the package is
    installed from (editable install); None if neither holds an ``index.html``."""
    candidates = [Path(str(resources.files("ilrs"))) / "web",
                  Path(__file__).resolve().parents[3] / "web"]
    return next((c for c in candidates if (c / "index.html").is_file()), None)


def audit_anchor_path(db_url: str) -> Path | None:
    """The audit anchor of a SQLite archive: ``<archive>.anchor.jsonl`` beside it, signed
    with the key in ``<archive>.anchor.key`` (see ``ilrs.ops.anchor``); None for a
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
    from ilrs.ops.auth import AuthConfig, Partner, User

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
    ``epoch_utc``; ``progress(stage, fraction)`` hears how far that is.
    """

    scenario: str | Path | None = None
    speed: float = 60.0
    db_url: str = field(default_factory=lambda: str(default_archive_path()))
    epoch_utc: str = DEFAULT_EPOCH_UTC
    web_dir: Path | None = None
    pump_period_s: float = 1.0
    users: list[DemoUser] = field(default_factory=list)
    progress: Callable[[str, float], None] | None = field(default=None, repr=False)

    def __post_init__(self):
        from ilrs.ops.service import OpsService, OpsSettings
        from ilrs.ops.twin_spacecraft import mdb_for_twin
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
        self._demo = users
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._run, name="ilrs-twin", daemon=True)
        self.link: SpacecraftLink | None = None

    def start(self) -> LiveStation:
        from ilrs.ops.link import SpacecraftLink
        from ilrs.ops.twin_spacecraft import TwinSpacecraft

        self.ops.start()
        now = time.time_ns()
        self.spacecraft = TwinSpacecraft(self.live, self.mdb, speed=self.speed, start_ns=now)
        self.ops.set_mission_clock(lambda: self.spacecraft.mission_ns(time.time_ns()),
                                   speed=self.speed)  # the operators' clock: the twin's UTC
        self.link = SpacecraftLink(self.spacecraft, self.ops.link.address).start()
        self.ops.link.connected.wait(timeout=10)
        self.users = [DemoUser(u.name, u.partner, u.role,
                               self.ops.tokens.issue(u.name, now_ns=now).secret)
                      for u in self._demo]  # fmt: skip
        self._pump.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):  # the ground went away: stop quietly
                self.link.pump(time.time_ns())
            self._stop.wait(self.pump_period_s)

    def stop(self) -> None:
        self._stop.set()
        if self._pump.is_alive():
            self._pump.join(timeout=5)
        if self.link is not None:
            self.link.stop()
        self.ops.stop()

    def app(self):
        """The FastAPI app around the already running command center."""
        from ilrs.ops.api import create_app

        return create_app(self.settings, service=_Started(self.ops))

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


class Gate:
    """The ASGI app ``ilrs serve`` listens with before the station is up.

    Until :meth:`open` hands it the command center's app it answers ``GET /api/status``
    with ``{"state": "starting", "stage": …, "progress": …}`` and everything else with 503
    (``Retry-After: 1``); after, ``/api/status`` without a token says ``ready`` (with the
    twin's time) and every other request goes to the app, whose lifespan it runs. After
    :meth:`fail` the status says ``failed`` with the error.
    """

    def __init__(self) -> None:
        self.state = "starting"
        self.stage = "starting"
        self.progress = 0.0
        self.error: str | None = None
        self.twin_time: Callable[[], str] | None = None
        #: set once the server runs its startup: the port answers from here on
        self.listening = threading.Event()
        self._app = None
        self._entered = None
        self._lock: asyncio.Lock | None = None

    def update(self, stage: str, fraction: float) -> None:
        self.stage, self.progress = stage, float(fraction)

    def open(self, app, twin_time: Callable[[], str] | None = None) -> None:
        self.twin_time = twin_time
        self._app = app
        self.state, self.stage, self.progress = "ready", "ready", 1.0

    def fail(self, error: str) -> None:
        self.state, self.error = "failed", error

    def status(self) -> dict:
        out = {"state": self.state, "stage": self.stage, "progress": round(self.progress, 4)}
        if self.error is not None:
            out["error"] = self.error
        if self.state == "ready" and self.twin_time is not None:
            out["twin_time"] = self.twin_time()
        return out

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        headers = dict(scope.get("headers") or ())
        asks_status = scope["type"] == "http" and scope["path"] == "/api/status"
        if asks_status and (self._app is None or b"authorization" not in headers):
            await _send_json(send, 200, self.status())
            return
        if self._app is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})  # try again later
            else:
                await _send_json(send, 503, {"detail": f"starting: {self.stage}", **self.status()},
                                 retry_after=True)
            return
        await self._enter()
        await self._app(scope, receive, send)

    async def _enter(self) -> None:
        """Run the app's own lifespan once (its startup binds the running service)."""
        if self._entered is not None:
            return
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._entered is None:
                context = self._app.router.lifespan_context(self._app)
                await context.__aenter__()
                self._entered = context

    async def _lifespan(self, receive, send) -> None:
        while True:
            try:
                message = await receive()
            except asyncio.CancelledError:  # the server stopped during its startup (a
                return                      # failed warm-up): nothing of ours to close
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                self.listening.set()
            elif message["type"] == "lifespan.shutdown":
                if self._entered is not None:
                    await self._entered.__aexit__(None, None, None)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _send_json(send, status: int, body: dict, retry_after: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


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
