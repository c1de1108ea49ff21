"""The station scenario a command runs: the file (or the reference) with the command
line's period (``--start``, ``--until``, ``--step``) laid over it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ilrs.errors import InputError

__all__ = ["scenario_with_period"]


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=None)  # UTC either way


def scenario_with_period(path: Path | None, *, start: str | None = None,
                         until: str | None = None, step_s: float | None = None):
    """The scenario at ``path`` with its period changed where the options are given
    (each already checked by :mod:`ilrs.cli._options`); a stop not after the start is an
    error naming ``--until``."""
    from ilrs.station import load_scenario

    sc = load_scenario(path)
    change = {k: v for k, v in (("start", start), ("stop", until), ("step_s", step_s))
              if v is not None}
    if not change:
        return sc
    period = type(sc.period).model_validate({**sc.period.model_dump(), **change})
    if (start or until) and period.start != "first-landing":
        first, last = _day(period.start), _day(period.stop)
        if "T" not in period.stop:  # a date: the whole day is simulated
            last += dt.timedelta(days=1)
        if last <= first:
            if until is not None:
                raise InputError("--until", until, f"a date after the start {period.start}")
            raise InputError("--start", start, f"a date before the stop {period.stop}")
    data = sc._data
    sc = sc.model_copy(update={"period": period})
    sc._data = data  # errors about the scenario keep naming its file and line
    return sc
