"""The ``ilrs`` command: one typer app whose sub-commands are imported only when used.

``ilrs --help`` imports typer and nothing of ilrs' heavy layers: each sub-command's module
is imported when that command runs (or its own ``--help`` is asked), and each module
imports numpy, numba, matplotlib, fastapi… inside its commands. Every command turns an
:class:`ilrs.errors.IlrsError` or a bad argument into one clear line on stderr and exit
status 1 (no traceback, no usage box).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from collections.abc import Iterator

import typer
from typer.core import TyperCommand, TyperGroup

from ilrs import __version__
from ilrs.cli._console import PIPED_WIDTH
from ilrs.errors import IlrsError

#: The sub-commands, sorted by layer (sky → ops): name → ("module:attribute", one-line
#: help shown by ``ilrs --help``). The attribute is a ``typer.Typer`` (a group) or a
#: command function. Register a command with one line here; its module is imported only
#: when it runs. ``tests/test_cli_startup.py`` checks each help line against the module's.
COMMANDS: dict[str, tuple[str, str]] = {
    "sky": ("ilrs.cli.sky:app",
            "Where the Sun, the Earth and relay satellites are, seen from a lunar site."),
    "terrain": ("ilrs.cli.terrain:app", "Lunar elevation models: synthetic terrain."),
    "horizon": ("ilrs.cli.terrain:horizon",
                "Horizon profile of a point: elevation of the terrain horizon per azimuth bin."),
    "lighting": ("ilrs.cli.lighting:app", "Illumination, Earth visibility and lighting maps."),
    "campaign": ("ilrs.cli.campaign:app", "The ILRS campaign: roadmap, vehicles, payloads, "
                 "partners, capacity and schedule risk."),
    "run": ("ilrs.cli.run:run",
            "Simulate the station over its campaign and write report, figures, Parquet and KPIs."),
    "study": ("ilrs.cli.study:app", "What-if questions over many full twin runs: sweeps, "
              "sizing, Monte Carlo and site ranking."),
    "plan": ("ilrs.cli.plan:app",
             "Plan the station's activities (CP-SAT) and replay them in the twin."),
    "ops": ("ilrs.cli.ops:app", "Command-center tools."),
    "serve": ("ilrs.cli.serve:serve",
              "Run the station twin live with the command center (REST, WebSocket, dashboard)."),
    "twin": ("ilrs.cli.twin:twin",
             "Run the station twin alone as a spacecraft a ground system (Yamcs) connects to."),
    "yamcs": ("ilrs.cli.yamcs:app",
              "Yamcs beside the twin: a ready instance, and Yamcs run in it."),
}


def load_command(name: str):
    """The click command behind ``ilrs NAME`` (imports its module)."""
    target, _ = COMMANDS[name]
    module, attribute = target.split(":")
    obj = getattr(importlib.import_module(module), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(obj)
    else:
        holder = typer.Typer(add_completion=False)
        holder.command(name)(obj)
        command = typer.main.get_command(holder)
    command.name = name
    plain_metavars(command)
    return command


def plain_metavars(command) -> None:
    """Help shows a flag without a type (not ``--geometric <bool>``) and a repeatable
    option by its element (``--vary <str>``, not ``<list[str]>``); sub-commands too."""
    ctx = typer.Context(command)
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is None or param.metavar is not None or not hasattr(param, "display_type_rich"):
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif getattr(param, "multiple", False):
            shown = param.display_type_rich(ctx) or ""
            param.metavar = re.sub(r"^<list\[(.*)\]>$", lambda m: f"<{m[1].lower()}>", shown)
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)


class _LazyGroup(TyperGroup):
    """A group that imports a sub-command's module only when the command is used; its own
    help lists the one-line helps of :data:`COMMANDS` without importing anything."""

    _listing = False

    def list_commands(self, ctx) -> list[str]:
        return [*self.commands, *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # ilrs --help: a stand-in carrying the help line
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="ilrs",
    cls=_LazyGroup,
    help="Digital twin and operations platform for the International Lunar Research Station.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ilrs {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    """Digital twin and operations platform for the International Lunar Research Station."""


@contextlib.contextmanager
def _no_wrap_when_piped() -> Iterator[None]:
    """Rich wraps at 80 columns when not writing to a terminal: widen every console made
    while a command runs (help panels stay 100 wide)."""
    saved = {key: os.environ.get(key) for key in ("COLUMNS", "TERMINAL_WIDTH")}
    if not sys.stdout.isatty():
        os.environ["COLUMNS"] = str(PIPED_WIDTH)
        os.environ.setdefault("TERMINAL_WIDTH", "100")  # typer's help panels
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def error_line(message: str) -> None:
    """Print ``error: MESSAGE`` as one line on stderr (no markup, no wrapping)."""
    text = " ".join(str(message).split())
    prefix = "\x1b[1;31merror:\x1b[0m " if sys.stderr.isatty() else "error: "
    sys.stderr.write(f"{prefix}{text}\n")
    sys.stderr.flush()


def _given(exc: Exception) -> str:
    """`` (got 'fast')`` when typer's message about a value does not quote the value (its
    conversion errors come from pydantic, which keeps the input)."""
    errors = getattr(exc.__cause__, "errors", None)
    if not callable(errors):
        return ""
    found = [e["input"] for e in errors() if isinstance(e, dict) and "input" in e]
    if not found or repr(found[0]) in exc.format_message():
        return ""
    return f" (got {found[0]!r})"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    A bad argument or an :class:`IlrsError` prints one line and returns 1; ``--help`` and
    ``--version`` return 0; Ctrl-C returns 130.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(app)
    plain_metavars(command)
    try:
        with _no_wrap_when_piped():
            status = command.main(args=args, prog_name="ilrs", standalone_mode=False)
    except IlrsError as exc:
        error_line(str(exc))
        return 1
    except typer.Abort:
        return 130
    except typer.TyperException as exc:  # click's usage errors, bad parameters, missing files
        if type(exc).__name__ == "NoArgsIsHelpError":  # `ilrs campaign` alone: its help
            typer.echo(exc.format_message())
            return 0
        context = getattr(exc, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        error_line(where + exc.format_message().replace("Value error, ", "") + _given(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
