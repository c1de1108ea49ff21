"""Where ilrs keeps a user's data and finds the dashboard, from any working folder.

Light on purpose (standard library only): ``ilrs serve`` asks before it imports anything
heavy.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

__all__ = ["default_archive_path", "find_web_dir"]


def default_archive_path() -> Path:
    """The archive of ``ilrs serve`` when no ``--db`` is given: a per-user data folder
    (``$XDG_DATA_HOME/ilrs``, else ``~/.local/share/ilrs``; ``%LOCALAPPDATA%\\ilrs`` on
    Windows), never the current folder."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ilrs" / "serve" / "archive.db"


def find_web_dir() -> Path | None:
    """The dashboard's folder found through the package, from any working folder: ``web/``
    inside the installed package, else the ``web/`` of the source checkout the package is
    installed from (editable install); None if neither holds an ``index.html``."""
    candidates = [Path(str(resources.files("ilrs"))) / "web",
                  Path(__file__).resolve().parents[2] / "web"]
    return next((c for c in candidates if (c / "index.html").is_file()), None)
