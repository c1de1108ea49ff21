"""Dotted paths into a scenario: the inputs a study varies.

A field names a number of the scenario the way a user reads it:

* ``batteries.battery-1.capacity_wh`` — a record of a component list, by its ``id``;
* ``site.element_mast_m``, ``comms.dte.tx_power_w``, ``fdir.shed_science_soc`` — nested
  settings;
* ``payloads.NAME.duty`` — a payload rule by its name;
* ``site.mast_m`` — shorthand for the mast of every solar array (2 m vs 10 m above the
  ground, as Gläser et al. 2014 compare);
* ``campaign.missions.ID.delay_days`` — the mission launches that many days later than the
  roadmap says; missions that depend on it wait for it (:mod:`ilrs.study.arrivals`).

Setting a field re-validates the scenario, so a value outside a field's domain (a negative
capacity) is refused with the field's name, never run.

>>> from ilrs.station import load_scenario
>>> s = set_fields(load_scenario(None), {"batteries.battery-1.capacity_wh": 2e5})
>>> s.batteries[0].capacity_wh
200000.0
>>> delays({"campaign.missions.ILRS-3.delay_days": 730.0})
{'ILRS-3': 730.0}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ilrs.errors import InputError
from ilrs.station import Scenario

__all__ = ["delays", "get_field", "parse_range", "set_fields"]

#: Pseudo-fields that are not a path in the scenario model.
MAST_FIELD = "site.mast_m"
DELAY_PREFIX = "campaign.missions."
DELAY_SUFFIX = ".delay_days"


def is_delay(field: str) -> bool:
    return field.startswith(DELAY_PREFIX) and field.endswith(DELAY_SUFFIX)


def delays(values: dict[str, float]) -> dict[str, float]:
    """The mission delays (days) among ``values``, by mission id."""
    return {f[len(DELAY_PREFIX): -len(DELAY_SUFFIX)]: float(v)
            for f, v in values.items() if is_delay(f)}


def _step(node: Any, part: str, field: str) -> tuple[Any, Any]:
    """The child of ``node`` named ``part`` and the key that reaches it."""
    if isinstance(node, BaseModel):
        if part not in type(node).model_fields:
            options = ", ".join(type(node).model_fields)
            raise InputError("study field", field, f"a path of the scenario ('{part}' is not "
                             f"one of: {options})")
        return getattr(node, part), part
    if isinstance(node, tuple):
        for i, item in enumerate(node):
            if getattr(item, "id", None) == part:
                return item, i
        ids = ", ".join(str(getattr(x, "id", "?")) for x in node) or "none"
        raise InputError("study field", field, f"an id of the list ('{part}' is not one of: "
                         f"{ids})")
    if isinstance(node, dict):
        if part not in node:
            raise InputError("study field", field, f"a key of the mapping ('{part}' is not "
                             f"one of: {', '.join(map(str, node)) or 'none'})")
        return node[part], part
    raise InputError("study field", field, "a path that ends at a number")


def get_field(scenario: Scenario, field: str) -> Any:
    """The value at a dotted path (``site.mast_m``: the first array's mast)."""
    if field == MAST_FIELD:
        return scenario.solar_arrays[0].mast_m if scenario.solar_arrays else None
    if is_delay(field):
        return 0.0
    node: Any = scenario
    for part in field.split("."):
        node, _ = _step(node, part, field)
    return node


def _replace(node: Any, parts: list[str], value: Any, field: str) -> Any:
    if not parts:
        if isinstance(node, BaseModel | tuple | dict):
            raise InputError("study field", field, "a path that ends at a number")
        return value
    child, key = _step(node, parts[0], field)
    new = _replace(child, parts[1:], value, field)
    if (not parts[1:] and isinstance(child, int) and not isinstance(child, bool)
            and isinstance(new, float) and new.is_integer()):
        new = int(new)                  # a count (RHUs, layers) swept as 0.0, 100.0, …
    if isinstance(node, BaseModel):
        return node.model_copy(update={key: new})
    if isinstance(node, tuple):
        return (*node[:key], new, *node[key + 1:])
    return {**node, key: new}


def set_fields(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """``scenario`` with each dotted field set (mission delays are not scenario fields: see
    :func:`delays`); the result is validated again."""
    out = scenario
    for field, value in values.items():
        if is_delay(field):
            mission = field[len(DELAY_PREFIX): -len(DELAY_SUFFIX)]
            if "." in mission or not mission:
                raise InputError("study field", field, "campaign.missions.ID.delay_days")
            continue
        if field == MAST_FIELD:
            arrays = tuple(a.model_copy(update={"mast_m": value}) for a in out.solar_arrays)
            out = out.model_copy(update={"solar_arrays": arrays})
            continue
        out = _replace(out, field.split("."), value, field)
    try:
        checked = Scenario.model_validate(out.model_dump())
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError("study field", ", ".join(values), f"values the scenario accepts "
                         f"({where}: {err['msg']})") from None
    checked._data = scenario._data
    return checked


def parse_range(text: str) -> tuple[str, list[float]]:
    """``FIELD=START:STOP:STEP`` (inclusive of STOP when on the grid) or
    ``FIELD=V1,V2,…`` → the field and its values.

    >>> parse_range("batteries.battery-1.capacity_wh=100000:300000:100000")
    ('batteries.battery-1.capacity_wh', [100000.0, 200000.0, 300000.0])
    >>> parse_range("site.mast_m=2,10")
    ('site.mast_m', [2.0, 10.0])
    """
    field, sep, spec = text.partition("=")
    field = field.strip()
    if not sep or not field or not spec.strip():
        raise InputError("--vary", text, "FIELD=START:STOP:STEP or FIELD=V1,V2,...")
    try:
        if ":" in spec:
            start, stop, step = (float(x) for x in spec.split(":"))
            if not step > 0 or stop < start:
                raise ValueError
            n = int((stop - start) / step + 1e-9) + 1
            if n > 10_000:
                raise InputError("--vary", text, "at most 10,000 values per field")
            values = [start + i * step for i in range(n)]
        else:
            values = [float(x) for x in spec.split(",")]
    except ValueError:
        raise InputError("--vary", text, "FIELD=START:STOP:STEP with STEP > 0 and "
                         "STOP >= START, or FIELD=V1,V2,...") from None
    return field, values
