"""``ilrs yamcs``: a ready Yamcs instance for the twin (``init``) and Yamcs run in it
(``run``), Yamcs' jars and Java from PyPI (``pip install 'ilrs[yamcs]'``)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from ilrs.cli._console import console as _console
from ilrs.errors import InputError

app = typer.Typer(help="Yamcs beside the twin: a ready instance, and Yamcs run in it.",
                  no_args_is_help=True)


def _write(folder: Path, *, scenario: Path | None, port: int, http_port: int,
           transport: str, tm_port: int) -> Path:  # fmt: skip
    if transport not in ("tcp", "udp", "frames"):
        raise InputError("--transport", transport, "tcp, udp or frames")
    if scenario is not None and not scenario.is_file():
        raise InputError("--scenario", str(scenario), "an existing scenario YAML file")
    if folder.exists() and not folder.is_dir():
        raise InputError("DIR", str(folder), "a folder (or a new name)")
    from ilrs.ops.spacecraft.twin import mdb_for_twin
    from ilrs.ops.yamcs.instance import LinkSettings, write_instance
    from ilrs.station import LiveTwin

    link = LinkSettings(twin_port=port, transport=transport, tm_port=tm_port)
    return write_instance(folder, mdb_for_twin(LiveTwin.from_scenario(scenario)),
                          http_port=http_port, twin_port=port, link=link)


_PORT = typer.Option(10015, "--port", help="The twin's port (ilrs twin --port).")
_HTTP = typer.Option(8090, "--http-port", help="Yamcs' web UI and API port (127.0.0.1).")
_TRANSPORT = typer.Option("tcp", "--transport", help="tcp, udp or frames (as ilrs twin).")
_TM_PORT = typer.Option(10016, "--tm-port", help="udp, frames: where Yamcs listens for "
                        "telemetry.")
_SCENARIO = typer.Option(None, "--scenario", help="Scenario YAML (default: reference).")


@app.command("init")
def init(
    folder: Path = typer.Argument(..., help="Folder of the Yamcs instance (created)."),
    port: int = _PORT, http_port: int = _HTTP, transport: str = _TRANSPORT,
    tm_port: int = _TM_PORT, scenario: Path | None = _SCENARIO,
) -> None:
    """Write a Yamcs instance for the twin: configuration, links to the twin, its XTCE."""
    root = _write(folder, scenario=scenario, port=port, http_port=http_port,
                  transport=transport, tm_port=tm_port)
    _console().print(f"Yamcs instance 'ilrs' in {root} (MDB mdb/ilrs.xml, link to the twin "
                     f"on {transport} 127.0.0.1:{port}); run it: ilrs yamcs run {root}",
                     highlight=False)


@app.command("run")
def run(
    folder: Path = typer.Argument(..., help="Folder of the Yamcs instance (written first "
                                  "when it has none)."),
    port: int = _PORT, http_port: int = _HTTP, transport: str = _TRANSPORT,
    tm_port: int = _TM_PORT, scenario: Path | None = _SCENARIO,
) -> None:
    """Run Yamcs in an instance folder (ilrs yamcs init), until Ctrl-C."""
    from ilrs.ops.yamcs.server import YamcsProcess

    out = _console()
    if not (folder / "etc" / "yamcs.yaml").is_file():
        _write(folder, scenario=scenario, port=port, http_port=http_port,
               transport=transport, tm_port=tm_port)
        out.print(f"wrote the Yamcs instance in {folder}", highlight=False)
    yamcs = YamcsProcess(folder)
    out.print(f"starting Yamcs (log: {yamcs.log_path}) …", highlight=False)
    try:   # Ctrl-C while Yamcs starts stops it as cleanly as Ctrl-C once it runs
        with yamcs:
            out.print(f"Yamcs at {yamcs.url}/ (instance ilrs); Ctrl-C to stop",
                      highlight=False)
            threading.Event().wait()
    except KeyboardInterrupt:
        out.print("stopped Yamcs", highlight=False)
