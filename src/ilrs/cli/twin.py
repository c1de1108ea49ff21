"""``ilrs twin``: the station twin alone as a spacecraft, listening for the ground system a
team brings (Yamcs: ``ilrs yamcs run DIR``), without our command center."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from ilrs.cli._console import console as _console
from ilrs.errors import InputError


def _parse_tm_to(tm_port: int | None) -> tuple[str, int] | None:
    if tm_port is None:
        return None
    if not 0 < tm_port < 65536:
        raise InputError("--tm-port", tm_port, "a UDP port in 1 … 65535")
    return ("127.0.0.1", tm_port)


def twin(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML (default: reference)."),
    port: int = typer.Option(10015, "--port", help="Port the twin listens on (127.0.0.1)."),
    transport: str = typer.Option("tcp", "--transport", help="tcp: TM packets back to back "
                                  "and TC on one connection; udp: one packet per datagram; "
                                  "frames: TC frames through COP-1's FARM-1 in, TM frames "
                                  "with the CLCW out (UDP, needs --tm-port)."),
    tm_port: int | None = typer.Option(None, "--tm-port", help="udp, frames: the port on "
                                       "127.0.0.1 telemetry goes to (Yamcs' UdpTmDataLink or "
                                       "UdpTmFrameLink); udp's default: the sender of the "
                                       "last telecommand."),
    speed: float = typer.Option(60.0, "--speed", help="Simulated seconds per wall second."),
    epoch: str = typer.Option("2036-01-01T00:00:00", "--epoch",
                              help="Where the twin starts (UTC); the campaign is run up to it."),
    time_code: str = typer.Option("cuc", "--time-code", help="Packet time stamps: cuc "
                                  "(CCSDS CUC, stock Yamcs decodes it) or cds (CDS short)."),
    downlink: list[Path] = typer.Option(
        [], "--downlink", help="A file to send down with CFDP class 2 once a ground listens "
        "(Yamcs: into its bucket cfdpDown); repeatable."),
    uplink_dir: Path | None = typer.Option(
        None, "--uplink-dir", help="The onboard store: files a ground uplinks with CFDP "
        "class 2 (Yamcs' CfdpService, to entity 'twin') land here (default: uplinks are "
        "refused)."),
) -> None:
    """Run the station twin alone as a spacecraft a ground system (Yamcs) connects to."""
    from ilrs.cli.serve import _check_epoch

    if not speed > 0:
        raise InputError("--speed", speed, "a positive number of simulated s per wall s")
    if transport not in ("tcp", "udp", "frames"):
        raise InputError("--transport", transport, "tcp, udp or frames")
    if transport == "frames" and tm_port is None:
        raise InputError("--tm-port", None, "the UDP port TM frames go to (with frames)")
    if time_code not in ("cuc", "cds"):
        raise InputError("--time-code", time_code, "cuc or cds")
    if not 0 <= port < 65536:
        raise InputError("--port", port, "a port in 0 … 65535")
    if scenario is not None and not scenario.is_file():
        raise InputError("scenario", str(scenario), "an existing scenario YAML file")
    _check_epoch(epoch)
    tm_to = _parse_tm_to(tm_port)
    missing = [str(f) for f in downlink if not f.is_file()]
    if missing:
        raise InputError("--downlink", missing[0], "an existing file")
    from ilrs.ops.spacecraft.alone import StandaloneTwin

    out = _console()
    out.print(f"running the campaign to {epoch} …", highlight=False)
    alone = StandaloneTwin(scenario=scenario, epoch_utc=epoch, speed=speed, port=port,
                           transport=transport, tm_to=tm_to, time_code=time_code,
                           uplink_dir=uplink_dir)
    host, bound = alone.address
    with alone:
        for f in downlink:
            alone.cfdp.put(f)
        out.print(f"twin listening on {transport} {host}:{bound} ({time_code.upper()} time, "
                  f"{speed:g}× real time, twin at {alone.live.now_utc}); Ctrl-C to stop",
                  highlight=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.print("stopped", highlight=False)
