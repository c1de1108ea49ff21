"""Where a run's numbers come from: the assumptions table (each component with its source)
and the provenance of the run (ilrs version, kernels, horizon and DEMs, scenario hash,
run time)."""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ilrs.report import fmt

__all__ = ["assumption_rows", "provenance_rows", "scenario_hash"]

#: Scenario groups of components, in the order of the station's systems.
GROUPS = (("solar_arrays", "solar array"), ("rtgs", "RTG"), ("fission_units", "fission unit"),
          ("batteries", "battery"), ("rfcs", "regenerative fuel cell"),
          ("thermal.nodes", "thermal node"), ("thermal.rhus", "radioisotope heater units"),
          ("isru", "ISRU plant"), ("rovers", "rover"))
_SKIP = {"id", "arrives_with", "source"}


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)


def _parameters(model, skip=_SKIP) -> str:
    data = model.model_dump()
    return ", ".join(f"{k} {_value(v)}" for k, v in data.items()
                     if k not in skip and not isinstance(v, (dict, list, tuple)))


def assumption_rows(sc) -> list[tuple[str, str, str, str, str]]:
    """(component, kind, parameters, arrives with, source) for every modelled component,
    the links, crew consumables and the FDIR rules."""
    rows = []
    for group, kind in GROUPS:
        for c in sc.group(group):
            rows.append((c.id, kind, _parameters(c), c.arrives_with, c.source))
    if sc.comms is not None:
        c = sc.comms
        rows.append((c.id, "communications", _parameters(c, _SKIP | {"relay_mission"}),
                     c.arrives_with, c.source))
        for name, link in (("direct to Earth", c.dte), (f"relay ({c.relay_mission})", c.relay)):
            rows.append((f"{c.id}: {name}", "radio link", _parameters(link), c.arrives_with,
                         link.source))
    if sc.crew is not None:
        rows.append(("crew", "consumables", _parameters(sc.crew), f"{len(sc.crew.visits)} "
                     "visit(s)", sc.crew.source))
    rows.append(("fdir", "autonomy rules", _parameters(sc.fdir), "—", sc.fdir.source))
    return rows


def scenario_hash(sc) -> str:
    """SHA-256 (first 16 hex digits) of the scenario as run (every field, overrides of the
    period included), so two reports of the same inputs show the same hash."""
    data = sc.model_dump(mode="json", exclude={"file"})
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _kernels() -> str:
    from ilrs.sky.kernels import configured_kernel_paths

    names = []
    for paths in configured_kernel_paths().values():
        for p in paths if isinstance(paths, list) else [paths]:
            names.append(Path(p).name)
    return ", ".join(names)


def provenance_rows(res, run_seconds: float | None = None) -> list[tuple[str, str]]:
    """(item, value) describing how this run was made."""
    from ilrs import __version__

    k, sc = res.kpis, res.scenario
    h = k.get("horizon") or {}
    horizon = (f"{h.get('source', '—')}: {h.get('detail', '—')}" if h else
               "not recorded by this version of the twin")
    dems = ", ".join(h.get("dems") or []) or "none (no DEM read in this run)"
    timings = res.timings_s or {}
    run_time = run_seconds if run_seconds is not None else sum(
        v for v in timings.values() if isinstance(v, (int, float)))
    return [
        ("ilrs version", __version__),
        ("Python / numpy / numba", f"{platform.python_version()} / {_version('numpy')} / "
         f"{_version('numba')}"),
        ("Ephemeris and orientation kernels", _kernels()),
        ("Horizon source", horizon),
        ("Elevation models (DEMs)", dems),
        ("Site", f"{sc.site.name}: {fmt.number(sc.site.lat_deg, 4)}°, "
         f"{fmt.number(sc.site.lon_deg, 4)}° E; elements' mast {sc.site.element_mast_m:g} m"),
        ("Scenario", f"{sc.name} ({sc.file})"),
        ("Scenario hash (SHA-256 of the scenario as run)", scenario_hash(sc)),
        ("Period and step", f"{fmt.utc(k['start_utc'])} … {fmt.utc(k['stop_utc'])}, "
         f"{fmt.number(k['step_s'])} s steps, geometry every "
         f"{fmt.number(sc.period.geometry_step_s)} s"),
        ("Run time", f"{fmt.number(run_time, 1)} s of computation (" + ", ".join(
            f"{name} {fmt.number(v, 1)} s" for name, v in timings.items()
            if isinstance(v, (int, float))) + ")"),
        ("Report written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
