"""``ilrs serve``: the live twin and the command center, with the dashboard, at one address."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ilrs.errors import InputError


def serve(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML (default: reference)."),
    speed: float = typer.Option(60.0, "--speed", help="Simulated seconds per wall second."),
    db: str = typer.Option("out/serve/archive.db", "--db",
                           help="Archive: a SQLite file or a postgresql:// URL."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    epoch: str = typer.Option("2036-01-01T00:00:00", "--epoch",
                              help="Where the twin starts (UTC); the campaign is run up to it."),
    web: Path = typer.Option(Path("web"), "--web", help="Dashboard folder (repo's web/)."),
) -> None:
    """Run the station twin live with the command center (REST, WebSocket, dashboard)."""
    import uvicorn

    from ilrs.ops.serve import LiveStation

    if speed <= 0:
        raise InputError("--speed", speed, "a positive number of simulated s per wall s")
    web_dir = web if (web / "index.html").exists() else None
    station = LiveStation(scenario=scenario, speed=speed, db_url=db, epoch_utc=epoch,
                          web_dir=web_dir)
    console = Console()
    with station:
        url = f"http://{host}:{port}"
        console.print("demo credentials (new at every start; paste a token into the "
                      "dashboard or send it as 'Authorization: Bearer TOKEN'):")
        for u in station.users:
            console.print(f"  {u.name:<18} {u.role:<17} {u.partner:<8} {u.token}",
                          soft_wrap=True, highlight=False)
        console.print(f"twin at {station.live.now_utc}, {speed:g}× real time; archive {db}")
        console.print(f"dashboard: {url}/" if web_dir else
                      f"no dashboard ({web}/index.html missing; run make web)")
        console.print(f"API: {url}/api  (OpenAPI: {url}/docs)  — Ctrl-C to stop")
        uvicorn.run(station.app(), host=host, port=port, log_level="warning",
                    ws="websockets-sansio")
