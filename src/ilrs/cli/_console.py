"""The rich console of the ``ilrs`` commands: colours on a terminal, no wrapping elsewhere."""

from __future__ import annotations

import sys

__all__ = ["console"]

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
