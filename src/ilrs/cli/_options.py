"""The options the ``ilrs`` commands share, each checked as it is parsed (before any work).

A callback here raises :class:`ilrs.errors.InputError` naming the option as typed
(``--until``) and the value given; ``ilrs.cli.main`` prints it as one line and exits 1. The
checks run while the command line is parsed, so a bad value anywhere stops a command
before it loads a scenario, reads a DEM or starts a simulation, and before it creates a
file. Standard library only at import time (``ilrs --help`` stays fast).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer

from ilrs.errors import InputError, TimeFormatError

__all__ = [
    "HEIGHT_ABOVE_GROUND", "MAX_RANGE_KM", "SCENARIO", "CsvFormat", "Format",
    "check_out_folder", "check_period", "dem_option", "existing_file", "existing_files",
    "format_option", "number", "out_file", "out_folder", "renamed", "scenario_file",
    "scheduler_option", "station_date", "utc_instant",
]


class Format(StrEnum):
    """``--format`` of every command: a table for people, JSON for programs."""

    table = "table"
    json = "json"


class CsvFormat(StrEnum):
    """``--format`` where rows are long series: also CSV."""

    table = "table"
    csv = "csv"
    json = "json"


def name_of(param) -> str:
    """The option as the user types it (``--until``), or an argument's name (``SCENARIO``);
    a string is taken as the name itself."""
    if isinstance(param, str):
        return param
    longs = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
    if longs:
        return longs[0]
    return (param.metavar or param.name or "argument").strip("[]").upper()


# ----------------------------------------------------------------------------- times
def _sky_instant(option: str, text: str) -> None:
    """``text`` as the sky engine reads it (``Epochs.from_utc``), or an error naming
    ``option``."""
    from ilrs.sky.timescale import Epochs

    try:
        Epochs.from_utc(text)
    except TimeFormatError as exc:
        raise InputError(option, text, exc.expected) from None


def utc_instant(ctx, param, value: str | None) -> str | None:
    """A UTC ISO-8601 instant as the sky engine takes it (``2030-01-01``,
    ``2030-01-01T06:00:00Z``)."""
    if value is not None:
        _sky_instant(name_of(param), value)
    return value


def check_period(start: str, stop: str) -> None:
    """``--stop`` not before ``--start`` (each already a valid instant)."""
    from ilrs.sky.timescale import Epochs

    if Epochs.from_utc(stop).tdb_s[0] < Epochs.from_utc(start).tdb_s[0]:
        raise InputError("--stop", stop, f"an instant not before --start {start}")


def station_date(ctx, param, value: str | None) -> str | None:
    """A date (``2040-12-31``) or date-time a station scenario's period takes: what the
    scenario reads (``datetime.fromisoformat``) and what the sky engine reads, both."""
    if value is None:
        return None
    option = name_of(param)
    try:
        dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        reason = str(exc) if "must be" in str(exc) or "out of range" in str(exc) else ""
        raise InputError(option, value, "an ISO date YYYY-MM-DD or date-time "
                         "YYYY-MM-DDTHH:MM:SS" + (f" ({reason})" if reason else "")) from None
    _sky_instant(option, value)
    return value


# ----------------------------------------------------------------------------- numbers
def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False, unit: str = "") -> Callable:
    """A callback: a finite number within ``[low, high]`` (an end excluded when ``*_open``;
    ``None`` for no bound). NaN and infinities are refused (a range alone lets NaN by)."""
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    lo_text = "-∞" if low is None else f"{low:g}"
    hi_text = "∞" if high is None else f"{high:g}"
    span = f"{left}{lo_text}, {hi_text}{right}"
    expected = f"a number in {span}" + (f" {unit}" if unit else "")

    def check(ctx, param, value):
        if value is None:
            return None
        for x in value if isinstance(value, (list, tuple)) else (value,):
            bad = not math.isfinite(x)
            bad = bad or (low is not None and (x <= low if low_open else x < low))
            bad = bad or (high is not None and (x >= high if high_open else x > high))
            if bad:
                raise InputError(name_of(param), x, expected)
        return value

    return check


# ----------------------------------------------------------------------------- paths
def _file_in_the_way(path: Path) -> Path | None:
    """The first parent of ``path`` that exists as something other than a folder."""
    for parent in reversed(path.absolute().parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def _writable_base(option: str, path: Path) -> None:
    """``path`` can be created: no file where a folder must be, and its nearest existing
    parent is writable."""
    blocker = _file_in_the_way(path)
    if blocker is not None:
        raise InputError(option, str(path), f"a path whose folders are folders ({blocker} is "
                         "a file)")
    base = next(p for p in (path.absolute(), *path.absolute().parents) if p.exists())
    if not os.access(base, os.W_OK):
        raise InputError(option, str(path), f"a place this user may write ({base} is not "
                         "writable)")


def check_out_folder(option: str, path: Path) -> None:
    """``path`` can be an output folder: new or an existing folder (whose files are
    replaced), never an existing file."""
    if path.exists() and not path.is_dir():
        raise InputError(option, str(path), "an output folder (a file of that name exists; "
                         "give another name or remove it)")
    _writable_base(option, path)


def out_folder(ctx, param, value: Path | None) -> Path | None:
    """An output folder (:func:`check_out_folder`)."""
    if value is not None:
        check_out_folder(name_of(param), value)
    return value


def out_file(*suffixes: str) -> Callable:
    """A callback: an output file with one of ``suffixes`` (any when none) that can be
    written (an existing file is replaced; a folder is refused)."""
    allowed = tuple(s.lower() for s in suffixes)

    def check(ctx, param, value: Path | None) -> Path | None:
        if value is None:
            return None
        option = name_of(param)
        if allowed and value.suffix.lower() not in allowed:
            raise InputError(option, str(value), "a file named " + ", ".join(
                f"*{s}" for s in allowed))
        if value.is_dir():
            raise InputError(option, str(value), "a file name (this is a folder)")
        _writable_base(option, value)
        return value

    return check


def _existing(option: str, path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(option, str(path), f"an existing {what} (no such file)")
    if path.is_dir():
        raise InputError(option, str(path), f"an existing {what} (this is a folder)")
    if not os.access(path, os.R_OK):
        raise InputError(option, str(path), f"a readable {what}")


def existing_file(what: str = "file") -> Callable:
    """A callback: an existing, readable file (``what`` says which kind, for the message)."""

    def check(ctx, param, value: Path | None) -> Path | None:
        if value is not None:
            _existing(name_of(param), value, what)
        return value

    return check


def existing_files(what: str = "file") -> Callable:
    """A callback for a repeatable option: every file exists and is readable."""

    def check(ctx, param, value):
        for path in value or ():
            _existing(name_of(param), path, what)
        return value

    return check


# ----------------------------------------------------------------------------- Dask
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?[\w.\-\[\]:]*[\w\]]:\d{1,5}$")


def _scheduler(ctx, param, value: str | None) -> str | None:
    if value is None or value in ("inline", "local") or _ADDRESS.match(value):
        return value
    raise InputError(name_of(param), value, "inline, local or a Dask scheduler address "
                     "HOST:PORT (tcp://host:8786)")


def scheduler_option(default: str, why: str) -> typer.Option:
    """``--scheduler``: the same values and words everywhere; ``default`` is shown, with
    ``why`` it suits this command."""
    return typer.Option(
        default, "--scheduler", callback=_scheduler, metavar="<inline|local|ADDRESS>",
        help="Where the work runs: 'inline' (this process), 'local' (a local Dask cluster, "
             f"one worker a core) or a Dask scheduler address (tcp://host:8786). {why}")


# ----------------------------------------------------------------------------- shared options
def dem_option(help_text: str = "Elevation model (GeoTIFF or PDS .IMG); repeat it, finest "
               "first.", required: bool = False) -> typer.Option:
    """``--dem FILE`` (repeatable): every file must exist."""
    return typer.Option(... if required else [], "--dem", help=help_text, metavar="<file>",
                        callback=existing_files("elevation model file"))


def format_option(kind: type[StrEnum] = Format) -> typer.Option:
    """``--format``: ``table`` (default) or ``json``, and ``csv`` where it applies."""
    return typer.Option(kind.table, "--format", help=" or ".join(
        f"'{m.value}'" for m in kind) + ".")


def renamed(old: str, new: str, meaning: str) -> typer.Option:
    """A hidden ``old`` option that only says it was renamed to ``new`` (one line, exit 1)."""

    def refuse(ctx, param, value):
        if value is not None:
            raise InputError(old, value, f"{new} ({meaning}; {old} was renamed)")
        return value

    return typer.Option(None, old, hidden=True, callback=refuse)


def scenario_file(ctx, param, value: Path | None) -> Path | None:
    """A station scenario YAML (``None`` or ``reference``: the built-in one)."""
    if value is not None and str(value) != "reference":
        _existing(name_of(param), value, "scenario YAML file")
    return value


#: The positional scenario of the twin's commands.
SCENARIO = typer.Argument(None, help="Scenario YAML (default: the built-in reference).",
                          callback=scenario_file, metavar="SCENARIO")


#: The height of a mast, an antenna or an eye above the ground under it (the same name in
#: ``horizon`` and ``lighting``; ``sky`` takes the ground's own height, ``--ground-height``).
HEIGHT_ABOVE_GROUND = typer.Option(
    2.0, "--height-above-ground", callback=number(0, unit="m"),
    help="Height of the eye (mast, antenna) above the DEM ground, m.")
#: How far the horizon rays go.
MAX_RANGE_KM = typer.Option(300.0, "--max-range-km", callback=number(0, low_open=True,
                            unit="km"), help="How far the horizon rays go, km.")
