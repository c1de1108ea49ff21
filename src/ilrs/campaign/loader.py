"""Read roadmap and scenario YAML files, merge scenarios onto their base, and report errors
with the file, the line, the field and what was expected.

A scenario file extends a base roadmap without copying it::

    extends: builtin          # or a path, relative to this file
    missions:
      - id: ILRS-1            # an existing id: only the fields given here change
        vehicle: LM-10
      - id: ILRS-3
        payloads+:            # "key+" appends to a list instead of replacing it
          - {name: Seismometer, owner: pakistan, function: research}
      - id: Luna-28
        remove: true          # drop a record
      - id: My-Lander         # a new id: a new mission (all required fields)
        ...

Lists of records with an ``id`` (missions, vehicles, partners, facilities, phases, stages)
merge by id; other lists are replaced, or appended to with ``key+``; mappings merge key by
key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from ilrs import yamlfile

# Reading only: the model validates what this module reads (``ilrs.campaign.model`` imports
# this module, never the reverse; an import-linter contract keeps it so).
__all__ = ["BUILTIN", "builtin_path", "load_raw"]

#: The name a scenario uses to extend the built-in roadmap.
BUILTIN = "builtin"


def builtin_path() -> Path:
    """The built-in ILRS roadmap file shipped in the package."""
    return Path(str(resources.files("ilrs.campaign") / "data" / "ilrs.yaml"))


def load_raw(path: str | Path | None) -> Any:
    """The merged plain data of a file (``None``: the built-in roadmap), with marks."""
    target = builtin_path() if path is None or str(path) == BUILTIN else path
    return yamlfile.load(target, builtin_name=BUILTIN, builtin_path=builtin_path())
