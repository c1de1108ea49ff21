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
