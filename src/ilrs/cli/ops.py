"""``ilrs ops``: command-center tools: audit verification, plan upload to a served station."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ilrs.cli.ops_plan import app as plan_app

app = typer.Typer(help="Command-center tools.", no_args_is_help=True)
audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit, name="audit")
app.add_typer(plan_app, name="plan")  # ilrs ops plan upload (cli/ops_plan.py)


@audit.command("verify")
def verify(
    db: str | None = typer.Option(None, "--db", help="Archive: a SQLite file or a "
                                  "postgresql:// URL [default: the archive of ilrs serve, "
                                  "~/.local/share/ilrs/serve/archive.db]."),
    anchor: Path | None = typer.Option(None, "--anchor", help="The audit anchor file (signed "
                                       "checkpoints written outside the archive) [default: "
                                       "<archive>.anchor.jsonl beside a SQLite archive]."),
    key: Path | None = typer.Option(None, "--key", help="The anchor's key file [default: the "
                                    "anchor's name with .key]."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 also when no anchor was "
                                "checked (the chain alone cannot tell a truncated or "
                                "re-chained log)."),
) -> None:
    """Check the audit log's hash chain and, with its anchor, that it matches every signed
    checkpoint (no record removed, rewritten or added). The anchor beside a SQLite archive
    is used when none is given; without one, only the chain is checked and the output says
    so. Exit 1 on any problem."""
    from ilrs.errors import IlrsError, InputError
    from ilrs.ops.api.serve import audit_anchor_path
    from ilrs.ops.security.anchor import AuditAnchor, load_or_create_key
    from ilrs.ops.security.audit import verify_url
    from ilrs.paths import default_archive_path

    db = db if db is not None else str(default_archive_path())
    if not db.startswith(("postgresql://", "postgres://")):  # never create or misread a file
        path = Path(db.removeprefix("sqlite:///"))
        if not path.is_file():
            raise InputError("--db", db, "an existing archive file (nothing to verify)")
        with path.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise InputError("--db", db, "an ilrs archive (this file is not SQLite)")
    given = anchor is not None
    if anchor is None:
        beside = audit_anchor_path(db)
        anchor = beside if beside is not None and beside.is_file() else None
    signed = None
    if anchor is not None:
        key_file = key or anchor.with_suffix(".key")
        for needed, option in ((anchor, "--anchor"), (key_file, "--key")):
            if not needed.is_file():
                raise InputError(option, str(needed), "an existing file"
                                 + ("" if given else " (the anchor found beside the archive "
                                    "needs its key)"))
        try:
            signed = AuditAnchor(anchor, load_or_create_key(key_file), check=False)
        except IlrsError as exc:
            Console(stderr=True).print(f"error: {exc}", highlight=False)
            raise typer.Exit(1) from None
    result = verify_url(db, anchor=signed)
    out = Console()
    out.print(result.summary(), highlight=False)
    if signed is not None:
        out.print(f"checked against the anchor {anchor}", highlight=False)
    else:
        out.print("only the hash chain was checked: no anchor (a truncated, re-chained or "
                  "extended log passes the chain alone; give --anchor, or keep "
                  "<archive>.anchor.jsonl beside the archive)", highlight=False)
    if not result.ok or (strict and signed is None):
        raise typer.Exit(1)
