"""``ilrs ops``: command-center tools that work on an archive (audit verification)."""

from __future__ import annotations

import typer
from rich.console import Console

from ilrs.ops.audit import verify_url

app = typer.Typer(help="Command-center tools.", no_args_is_help=True)
audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit, name="audit")


@audit.command("verify")
def verify(
    db: str = typer.Option("ilrs-archive.db", "--db",
                           help="Archive: a SQLite file or a postgresql:// URL."),
) -> None:
    """Check the audit log's hash chain; exit 1 if a record was changed or removed."""
    result = verify_url(db)
    Console().print(result.summary(), highlight=False)
    if not result.ok:
        raise typer.Exit(1)
