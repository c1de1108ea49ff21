"""The ``ilrs`` command: one typer app, with a sub-app per layer registered below.

Every command turns an :class:`ilrs.errors.IlrsError` into one clear line on stderr and a
non-zero exit status (no traceback).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from ilrs import __version__
from ilrs.cli import campaign as _campaign
from ilrs.cli import lighting as _lighting
from ilrs.cli import ops as _ops
from ilrs.cli import run as _run
from ilrs.cli import serve as _serve
from ilrs.cli import sky as _sky
from ilrs.cli import terrain as _terrain
from ilrs.errors import IlrsError

app = typer.Typer(
    name="ilrs",
    help="Digital twin and operations platform for the International Lunar Research Station.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Sub-apps and commands, one module each (keep this list sorted by layer: sky → ops).
app.add_typer(_sky.app, name="sky")
app.add_typer(_terrain.app, name="terrain")
app.command("horizon")(_terrain.horizon)
app.add_typer(_lighting.app, name="lighting")
app.add_typer(_campaign.app, name="campaign")
app.command("run")(_run.run)
app.add_typer(_ops.app, name="ops")
app.command("serve")(_serve.serve)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Usage errors are typer's (status 2); an :class:`IlrsError` prints one line (status 1).
    """
    try:
        app(args=argv, prog_name="ilrs")
    except IlrsError as exc:
        message = Text("error: ", style="bold red") + Text(str(exc))  # no markup in messages
        Console(stderr=True).print(message, highlight=False, soft_wrap=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
