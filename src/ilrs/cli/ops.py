"""``ilrs ops``: command-center tools that work on an archive (audit verification)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Command-center tools.", no_args_is_help=True)
audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit, name="audit")


@audit.command("verify")
def verify(
    db: str = typer.Option("ilrs-archive.db", "--db",
                           help="Archive: a SQLite file or a postgresql:// URL."),
    anchor: Path | None = typer.Option(None, "--anchor", help="The audit anchor file (signed "
                                       "checkpoints written outside the archive)."),
    key: Path | None = typer.Option(None, "--key", help="The anchor's key file (default: the "
                                    "anchor's name with .key)."),
) -> None:
    """Check the audit log's hash chain; with --anchor, also that it matches every signed
    checkpoint (no record removed, rewritten or added). Exit 1 on any problem."""
    from ilrs.errors import IlrsError
    from ilrs.ops.security.anchor import AuditAnchor, load_or_create_key
    from ilrs.ops.security.audit import verify_url

    signed = None
    if anchor is not None:
        key_file = key or anchor.with_suffix(".key")
        if not key_file.is_file() or not anchor.is_file():
            missing = anchor if not anchor.is_file() else key_file
            Console(stderr=True).print(f"error: {missing}: no such file", highlight=False)
            raise typer.Exit(1)
        try:
            signed = AuditAnchor(anchor, load_or_create_key(key_file), check=False)
        except IlrsError as exc:
            Console(stderr=True).print(f"error: {exc}", highlight=False)
            raise typer.Exit(1) from None
    if not db.startswith(("postgresql://", "postgres://")):  # never create or misread a file
        from ilrs.errors import InputError

        path = Path(db.removeprefix("sqlite:///"))
        if not path.is_file():
            raise InputError("--db", db, "an existing archive file (nothing to verify)")
        with path.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise InputError("--db", db, "an ilrs archive (this file is not SQLite)")
    result = verify_url(db, anchor=signed)
    Console().print(result.summary(), highlight=False)
    if not result.ok:
        raise typer.Exit(1)
