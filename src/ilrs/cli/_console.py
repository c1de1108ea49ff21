"""The rich console of the ``ilrs`` commands: colours on a terminal, no wrapping elsewhere."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

__all__ = ["compile_notice", "console", "progress_bar"]

#: Width when the output is not a terminal: tables keep their natural width and long
#: lines (timestamps, paths) are never cut or wrapped at 80 columns.
PIPED_WIDTH = 4096


def console(*, stderr: bool = False, min_width: int = 0):
    """A ``rich.console.Console`` on stdout (or stderr): on a terminal at least
    ``min_width`` wide; piped to a file or another program, :data:`PIPED_WIDTH` wide."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        out = Console(stderr=stderr, highlight=False)
        if out.width < min_width:
            out.width = min_width
        return out
    return Console(stderr=stderr, highlight=False, width=PIPED_WIDTH, soft_wrap=True)


def kernels_cached(*targets: str) -> bool:
    """Whether numba has these compiled kernels (``"module:function"``) cached on disk;
    True when that cannot be told (the notice is a courtesy, never an error)."""
    import importlib
    from pathlib import Path

    for target in targets:
        module, name = target.split(":")
        try:
            index = getattr(importlib.import_module(module), name)._cache._cache_file._index_path
        except (AttributeError, ImportError):
            continue
        if not Path(index).is_file():
            return False
    return True


def compile_notice(out, *targets: str) -> bool:
    """Print one line when the kernels a command needs are not compiled yet (the first run
    after installing or upgrading compiles and caches them); returns whether it did."""
    if kernels_cached(*targets):
        return False
    out.print("compiling kernels once, ~60 s (cached on disk for every later run)",
              highlight=False)
    return True


@contextlib.contextmanager
def progress_bar(total: float, what: str, enabled: bool = True) -> Iterator[Callable]:
    """A progress bar on stderr while a long command works; yields ``advance(amount)``.
    Only drawn on a terminal (and when ``enabled``); otherwise ``advance`` does nothing."""
    err = console(stderr=True)
    if not (enabled and err.is_terminal):
        yield lambda amount: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>5.1f} %"), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda amount: bar.advance(task, amount)
