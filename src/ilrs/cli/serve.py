"""``ilrs serve``: the live twin and the command center, with the dashboard, at one address.

Every argument is checked and the port opened before any heavy work; the twin then warms
up (the campaign run to ``--epoch``) behind a progress bar while ``/api/status`` already
answers ``starting``; a bad argument, a busy port or an unreachable archive is one line
and exit status 1.
"""

from __future__ import annotations

import socket
import sys
import threading
from datetime import datetime
from pathlib import Path

import typer

from ilrs.cli import _options as opt
from ilrs.cli._console import compile_notice
from ilrs.cli._console import console as _console
from ilrs.errors import InputError

#: The twin and its kernels cover 1900 … 2050 (DE421 with the Moon's PCK).
EPOCH_SPAN = ("1900-01-01", "2050-12-31")


def _check_epoch(epoch: str) -> None:
    try:
        when = datetime.fromisoformat(epoch.removesuffix("Z"))
    except ValueError:
        raise InputError("--epoch", epoch, "a UTC ISO-8601 date or date-time") from None
    if not EPOCH_SPAN[0] <= when.date().isoformat() <= EPOCH_SPAN[1]:
        raise InputError("--epoch", epoch, f"a date within {EPOCH_SPAN[0]} … {EPOCH_SPAN[1]}")


def _check_archive(db: str) -> None:
    """A PostgreSQL URL must accept a connection; a SQLite file must be one (or new)."""
    if db.startswith(("postgresql://", "postgres://")):
        import psycopg

        try:
            psycopg.connect(db, connect_timeout=5).close()
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError("--db", db, f"a reachable PostgreSQL server ({reason})") from None
        return
    if db == ":memory:":
        return
    path = Path(db.removeprefix("sqlite:///"))
    if path.is_dir():
        raise InputError("--db", db, "a SQLite file, not a folder")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise InputError("--db", db, "a SQLite archive (this file is not SQLite)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("--db", db, f"a file in a writable folder ({exc.strerror})") from None


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened now so a busy port fails before any heavy work."""
    if not 0 <= port <= 65535:
        raise InputError("--port", port, "a TCP port in 0 … 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError("--host", host, f"an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InputError("--port", port, f"a free port on {host} ({exc.strerror})") from None
    sock.set_inheritable(True)
    return sock


def serve(
    scenario: Path | None = opt.SCENARIO,
    speed: float = typer.Option(60.0, "--speed", callback=opt.number(0, 1e9, low_open=True),
                                help="Simulated seconds per wall second."),
    db: str | None = typer.Option(
        None, "--db", help="Archive: a SQLite file or a postgresql:// URL "
        "(default: archive.db in the per-user data folder, printed at start)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", callback=opt.number(0, 65535),
                             help="Port to listen on (0: any free port)."),
    epoch: str = typer.Option("2036-01-01T00:00:00", "--epoch",
                              help="Where the twin starts (UTC); the campaign is run up to it."),
    web: Path | None = typer.Option(
        None, "--web", help="Dashboard folder (default: the one shipped with the package)."),
    dem: list[Path] = opt.dem_option(
        "DEM GeoTIFF for polar products on request (/api/lighting/products), finest first; "
        "repeatable (default: the scenario's site.dems)."),
    scheduler: str = opt.scheduler_option("inline", "Default: inline (product jobs' tiles "
                                          "run in the server)."),
    spacecraft_port: int | None = typer.Option(
        None, "--spacecraft-port", help="Also let another ground system (Yamcs: ilrs yamcs "
        "init) fly the twin: it listens on 127.0.0.1:PORT (TCP, CUC time stamps)."),
    spacecraft_transport: str = typer.Option(
        "tcp", "--spacecraft-transport", help="tcp: TM packets back to back and TC on one "
        "connection; frames: TC frames through COP-1's FARM-1 in on the port (UDP), TM "
        "frames with the CLCW out (needs --spacecraft-tm-port; Yamcs: ilrs yamcs init "
        "--transport frames)."),
    spacecraft_tm_port: int | None = typer.Option(
        None, "--spacecraft-tm-port", help="frames: the UDP port on 127.0.0.1 TM frames go "
        "to (Yamcs' UdpTmFrameLink)."),
) -> None:
    """Run the station twin live with the command center (REST, WebSocket, dashboard)."""
    from ilrs.paths import default_archive_path, find_web_dir

    _check_epoch(epoch)
    if web is not None and not (web / "index.html").is_file():
        raise InputError("--web", str(web), "a dashboard folder holding index.html")
    web_dir = web or find_web_dir()
    db = db or str(default_archive_path())
    _check_archive(db)
    if spacecraft_port is not None and not 0 <= spacecraft_port <= 65535:
        raise InputError("--spacecraft-port", spacecraft_port, "a TCP port in 0 … 65535")
    if spacecraft_transport not in ("tcp", "frames"):
        raise InputError("--spacecraft-transport", spacecraft_transport, "tcp or frames")
    if spacecraft_tm_port is not None and not 0 < spacecraft_tm_port < 65536:
        raise InputError("--spacecraft-tm-port", spacecraft_tm_port, "a UDP port in 1 … 65535")
    if spacecraft_transport == "frames" and spacecraft_tm_port is None:
        raise InputError("--spacecraft-tm-port", None, "the UDP port TM frames go to (frames)")
    if spacecraft_transport == "frames" and spacecraft_port is None:
        raise InputError("--spacecraft-port", None, "the UDP port TC frames come to (frames)")
    sock = _listen(host, port)
    _serve(sock, scenario=scenario, speed=speed, db=db, epoch=epoch, web_dir=web_dir,
           dems=tuple(str(d) for d in dem), scheduler=scheduler,
           spacecraft_port=spacecraft_port, spacecraft_transport=spacecraft_transport,
           spacecraft_tm_port=spacecraft_tm_port)


def _serve(sock: socket.socket, *, scenario, speed, db, epoch, web_dir, dems=(),
           scheduler="inline", spacecraft_port=None, spacecraft_transport="tcp",
           spacecraft_tm_port=None) -> None:
    import uvicorn

    from ilrs.cli._gate import Gate

    out = _console()
    err = _console(stderr=True)
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://{bound_host}:{bound_port}"
    gate = Gate()
    config = uvicorn.Config(gate, log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    out.print(f"listening on {url} (GET {url}/api/status: starting, then ready); "
              f"archive {db}")
    compile_notice(err, "ilrs.station._kernels:run_block")
    warm = _WarmUp(gate, server, out, err, url=url, scenario=scenario, speed=speed, db=db,
                   epoch=epoch, web_dir=web_dir, dems=dems, scheduler=scheduler,
                   spacecraft_port=spacecraft_port, spacecraft_transport=spacecraft_transport,
                   spacecraft_tm_port=spacecraft_tm_port)
    warm.start()
    try:
        server.run(sockets=[sock])
    finally:
        warm.stop()
        sock.close()
    if warm.error is not None:
        from ilrs.cli import error_line

        error_line(warm.error)
        raise typer.Exit(1)


class _WarmUp(threading.Thread):
    """Builds and starts the live station behind the gate, with a progress bar."""

    def __init__(self, gate, server, out, err, *, url, **station):
        super().__init__(name="ilrs-warm-up", daemon=True)
        self.gate, self.server, self.out, self.err, self.url = gate, server, out, err, url
        self.options = station
        self.station = None
        self.error: str | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        # the heavy imports and the campaign run wait until the port answers (they would
        # hold the interpreter while uvicorn starts)
        self.gate.listening.wait(timeout=30)
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from ilrs.errors import IlrsError
        from ilrs.ops.api.serve import LiveStation
        from ilrs.report.lighting import write_product_files

        o = self.options
        bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                       TextColumn("{task.percentage:>5.1f} %"), TimeElapsedColumn(),
                       console=self.err, transient=True, disable=not self.err.is_terminal)

        def progress(stage: str, fraction: float) -> None:
            self.gate.update(stage, fraction)
            bar.update(task, description=stage, completed=fraction)

        try:
            with bar:
                task = bar.add_task("starting", total=1.0)
                station = LiveStation(scenario=o["scenario"], speed=o["speed"], db_url=o["db"],
                                      epoch_utc=o["epoch"], web_dir=o["web_dir"],
                                      progress=progress, dems=o["dems"],
                                      product_writer=write_product_files,
                                      product_scheduler=o["scheduler"],
                                      spacecraft_port=o["spacecraft_port"],
                                      spacecraft_transport=o["spacecraft_transport"],
                                      spacecraft_tm_port=o["spacecraft_tm_port"])
                if self._stopping.is_set():
                    return
                self.station = station.start()
                if self._stopping.is_set():  # Ctrl-C while it started
                    station.stop()
                    return
        except (IlrsError, OSError) as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # the server must not hang "starting" forever
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        self.gate.open(station.app(), twin_time=lambda: station.live.now_utc)
        self._announce(station)

    def _fail(self, message: str) -> None:
        self.error = message
        self.gate.fail(message)
        self.server.should_exit = True

    def _announce(self, station) -> None:
        out, url = self.out, self.url
        out.print("demo credentials (new at every start; paste a token into the "
                  "dashboard or send it as 'Authorization: Bearer TOKEN'):")
        for u in station.users:
            out.print(f"  {u.name:<18} {u.role:<17} {u.partner:<8} {u.token}",
                      soft_wrap=True, highlight=False)
        out.print(f"twin at {station.live.now_utc}, {station.speed:g}× real time")
        if station.listener is not None:
            host, bound = station.listener.address
            if station.spacecraft_transport == "frames":
                tm_port = station.spacecraft_tm_port
                out.print(f"spacecraft port: TC frames on udp {host}:{bound}, TM frames to udp "
                          f"127.0.0.1:{tm_port} for another ground system (Yamcs: ilrs yamcs "
                          f"run DIR --transport frames --port {bound} --tm-port {tm_port}), "
                          "CUC time stamps")
            else:
                out.print(f"spacecraft port: tcp {host}:{bound} for another ground system "
                          "(Yamcs: ilrs yamcs run DIR --port PORT), CUC time stamps")
        web = self.options["web_dir"]
        out.print(f"dashboard: {url}/ (from {web})" if web else
                  "no dashboard (no web/ folder found; give --web DIR)")
        if station.lighting is not None:
            out.print(f"polar products on request: POST {url}/api/lighting/products "
                      f"(DEMs: {', '.join(station.lighting.dems)})")
        out.print(f"API: {url}/api  (OpenAPI: {url}/docs)  — Ctrl-C to stop")
        sys.stdout.flush()

    def stop(self) -> None:
        self._stopping.set()
        if self.station is not None:
            self.station.stop()
