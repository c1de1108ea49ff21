"""The station scenario: pydantic models of the site, the campaign link and every component.

A scenario is YAML. Each component is a record with an ``id``, the mission it
``arrives_with`` (a campaign mission id: failed or cancelled missions bring nothing), its
numbers with the unit in the name (``area_m2``, ``capacity_wh``, ``kwh_per_kg``…) and a
``source`` saying where those numbers come from. A user scenario names its base with
``extends: reference`` (the built-in scenario) or a path, and lists only what changes;
records merge by ``id`` as in campaign scenarios (``remove: true`` drops one).

>>> s = load_scenario(None)
>>> s.name, s.period.step_s, s.batteries[0].arrives_with
('reference', 60.0, 'ILRS-1')
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from ilrs import yamlfile
from ilrs.errors import ScenarioFileError

__all__ = [
    "MAX_COLUMN_STEP_S",
    "Battery",
    "Comms",
    "CrewVisit",
    "Fault",
    "FdirRules",
    "FissionUnit",
    "IsruPlant",
    "Link",
    "RegolithProperties",
    "Rfc",
    "Rhu",
    "Rover",
    "Rtg",
    "Scenario",
    "SolarArray",
    "SurfaceFacet",
    "Thermal",
    "ThermalNode",
    "ThermalNumerics",
    "load_scenario",
    "reference_scenario_path",
]

#: The name a scenario uses to extend the built-in reference scenario.
REFERENCE = "reference"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:04d}-01-01"
    if not isinstance(value, str):
        raise ValueError("an ISO date or date-time")
    text = value.strip()
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("an ISO date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM:SS") from None
    return text


class Component(_Model):
    """What every component has: an id, the mission that brings it and a source."""

    id: str = Field(min_length=1)
    arrives_with: str = Field(min_length=1, description="campaign mission id")
    source: str = Field(min_length=1)


class SolarArray(Component):
    """A solar array on a mast: ``tracking`` turns about a vertical axis to face the Sun,
    ``vertical`` is fixed, facing ``azimuth_deg``."""

    area_m2: float = Field(gt=0)
    efficiency: float = Field(gt=0, le=0.5)
    degradation_per_yr: float = Field(ge=0, lt=0.5)
    mast_m: float = Field(ge=0)
    mount: Literal["tracking", "vertical"] = "tracking"
    azimuth_deg: float = 0.0


class Rtg(Component):
    """A radioisotope generator: electric power decays with the fuel (and converter)."""

    power_w: float = Field(gt=0, description="electric power at arrival")
    decay_per_yr: float = Field(ge=0, lt=0.5)


class FissionUnit(Component):
    """A fission power unit: constant electric power once it arrives."""

    power_w: float = Field(gt=0)


class Battery(Component):
    """A battery: usable window, charge / discharge efficiencies, linear fade per cycle."""

    capacity_wh: float = Field(gt=0)
    depth_of_discharge: float = Field(gt=0, le=1)
    charge_efficiency: float = Field(gt=0, le=1)
    discharge_efficiency: float = Field(gt=0, le=1)
    fade_per_cycle: float = Field(ge=0, lt=0.01)
    max_charge_w: float = Field(gt=0)
    arrival_soc: float = Field(ge=0, le=1)


class Rfc(Component):
    """A regenerative fuel cell: an electrolyser stores surplus power as hydrogen and
    oxygen (``tank_wh`` of stored energy); the fuel cell gives it back when the battery runs
    low (below ``on_below_soc`` until above ``off_above_soc``)."""

    tank_wh: float = Field(gt=0)
    electrolyser_max_w: float = Field(gt=0)
    fuel_cell_max_w: float = Field(gt=0)
    electrolysis_efficiency: float = Field(gt=0, le=1)
    fuel_cell_efficiency: float = Field(gt=0, le=1)
    on_below_soc: float = Field(ge=0, le=1)
    off_above_soc: float = Field(ge=0, le=1)
    arrival_fill: float = Field(ge=0, le=1, default=0.0)


@lru_cache(maxsize=1)
def thermal_data() -> dict[str, dict[str, dict[str, Any]]]:
    """The regolith properties and column numerics of ``data/thermal.yaml``: section ->
    name -> ``{"value": …, "source": …}``."""
    path = Path(str(resources.files("ilrs.station") / "data" / "thermal.yaml"))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _default(section: str, name: str):
    value = thermal_data()[section][name]["value"]
    return (lambda: tuple(value)) if isinstance(value, list) else (lambda: value)


class RegolithProperties(_Model):
    """Thermophysical properties of the regolith under the site (Hayne et al. 2017; every
    default and its source in ``data/thermal.yaml``)."""

    albedo: float = Field(default_factory=_default("regolith", "albedo"), ge=0, lt=1)
    albedo_a: float = Field(default_factory=_default("regolith", "albedo_a"), ge=0)
    albedo_b: float = Field(default_factory=_default("regolith", "albedo_b"), ge=0)
    emissivity: float = Field(default_factory=_default("regolith", "emissivity"), gt=0, le=1)
    density_surface_kg_m3: float = Field(
        default_factory=_default("regolith", "density_surface_kg_m3"), gt=0)
    density_deep_kg_m3: float = Field(
        default_factory=_default("regolith", "density_deep_kg_m3"), gt=0)
    scale_depth_m: float = Field(default_factory=_default("regolith", "scale_depth_m"), gt=0)
    conductivity_surface_w_m_k: float = Field(
        default_factory=_default("regolith", "conductivity_surface_w_m_k"), gt=0)
    conductivity_deep_w_m_k: float = Field(
        default_factory=_default("regolith", "conductivity_deep_w_m_k"), gt=0)
    radiative_chi: float = Field(default_factory=_default("regolith", "radiative_chi"), ge=0)
    heat_capacity_coefficients: tuple[float, float, float, float, float] = Field(
        default_factory=_default("regolith", "heat_capacity_coefficients"))
    geothermal_w_m2: float = Field(default_factory=_default("regolith", "geothermal_w_m2"),
                                   ge=0)
    sky_k: float = Field(default_factory=_default("regolith", "sky_k"), ge=0)


#: The longest regolith column step a scenario may set, s (the geometry reaches this far
#: past a run's last step: ``Twin.geometry_pad_points``).
MAX_COLUMN_STEP_S = 3600.0


class ThermalNumerics(_Model):
    """Time steps and layer grid of the regolith column, and its spin-up: steps of
    ``step_s``, each cut into steps of ``fine_step_s`` where the absorbed flux inside it
    departs from its end value by more than ``flux_tol_w_m2`` or the surface would move by
    more than ``temp_tol_k`` (sunrise, sunset, eclipses)."""

    step_s: float = Field(default_factory=_default("numerics", "step_s"), gt=0,
                          le=MAX_COLUMN_STEP_S)
    fine_step_s: float = Field(default_factory=_default("numerics", "fine_step_s"), gt=0,
                               le=MAX_COLUMN_STEP_S)
    flux_tol_w_m2: float = Field(default_factory=_default("numerics", "flux_tol_w_m2"), ge=0)
    temp_tol_k: float = Field(default_factory=_default("numerics", "temp_tol_k"), ge=0)
    layers_per_skin_depth: int = Field(
        default_factory=_default("numerics", "layers_per_skin_depth"), ge=2, le=200)
    growth: float = Field(default_factory=_default("numerics", "growth"), ge=1, le=2)
    skin_depth_heat_capacity_j_kg_k: float = Field(
        default_factory=_default("numerics", "skin_depth_heat_capacity_j_kg_k"), gt=0)
    bottom_skin_depths: float = Field(
        default_factory=_default("numerics", "bottom_skin_depths"), gt=1, le=500)
    newton_iterations: int = Field(default_factory=_default("numerics", "newton_iterations"),
                                   ge=1, le=10)
    spin_up_tol_k: float = Field(default_factory=_default("numerics", "spin_up_tol_k"), gt=0)
    spin_up_days: float = Field(default_factory=_default("numerics", "spin_up_days"),
                                gt=0, le=3653)

    @model_validator(mode="after")
    def _fine_divides(self):
        ratio = self.step_s / self.fine_step_s
        if ratio < 1.0 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
            raise ValueError("step_s a whole multiple of fine_step_s")
        return self


class SurfaceFacet(_Model):
    """The ground under the landers: its slope, the azimuth its slope faces (downhill,
    from north through east) and whether the terrain above its horizon adds infrared and
    scattered light (the first-order view-factor model of :mod:`ilrs.station.regolith`)."""

    slope_deg: float = Field(default=0.0, ge=0, le=90)
    aspect_deg: float = 0.0
    terrain: bool = True


class ThermalNode(Component):
    """A lander's thermal node (warm electronics box): heat capacity, conduction to the
    surface through its insulation and legs, radiation from ``radiating_area_m2`` (effective
    emissivity ``emissivity``) to the sky and to the surface by its view factors, internal
    dissipation, and a survival heater holding ``setpoint_k`` (up to ``heater_max_w``)."""

    heat_capacity_j_per_k: float = Field(gt=0)
    conductance_w_per_k: float = Field(ge=0, description="to the surface: insulation, legs")
    radiating_area_m2: float = Field(ge=0)
    emissivity: float = Field(ge=0, le=1)
    view_factor_sky: float = Field(ge=0, le=1)
    view_factor_surface: float = Field(ge=0, le=1)
    internal_w: float = Field(ge=0)
    setpoint_k: float = Field(gt=0)
    min_k: float = Field(gt=0)
    heater_max_w: float = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> ThermalNode:
        if self.view_factor_sky + self.view_factor_surface > 1.0 + 1e-9:
            raise ValueError("view_factor_sky + view_factor_surface at most 1")
        if self.min_k > self.setpoint_k:
            raise ValueError("min_k at most setpoint_k")
        return self


class Rhu(Component):
    """Radioisotope heater units on a node: ``count`` units of ``power_w`` thermal power
    each at arrival, decaying at ``decay_per_yr`` (Pu-238: ln 2 / 87.7 yr)."""

    node: str = Field(min_length=1, description="id of the thermal node they heat")
    count: int = Field(ge=0)
    power_w: float = Field(gt=0, description="thermal power of one unit at arrival")
    decay_per_yr: float = Field(default=math.log(2.0) / 87.7, ge=0, lt=0.5)


class Thermal(_Model):
    """Thermal survival: the regolith under the site, the landers' nodes and their RHUs."""

    regolith: RegolithProperties = Field(default_factory=RegolithProperties)
    numerics: ThermalNumerics = Field(default_factory=ThermalNumerics)
    surface: SurfaceFacet = SurfaceFacet()
    nodes: tuple[ThermalNode, ...] = ()
    rhus: tuple[Rhu, ...] = ()


class Link(_Model):
    """A radio link budget (transmit power, gains, frequency, noise, required Eb/N0)."""

    tx_power_w: float = Field(gt=0)
    tx_gain_dbi: float
    rx_gain_dbi: float
    frequency_hz: float = Field(gt=0)
    system_noise_k: float = Field(gt=0)
    required_ebn0_db: float
    margin_db: float = Field(ge=0)
    other_losses_db: float = Field(ge=0)
    max_rate_bit_s: float = Field(gt=0)
    elevation_mask_deg: float = Field(ge=-5, le=45)
    source: str = Field(min_length=1)


class Comms(Component):
    """Communications: direct to Earth, via the relay, and the onboard data buffer."""

    dte: Link
    relay: Link
    relay_mission: str = "Queqiao-2"
    antenna_mast_m: float = Field(ge=0)
    buffer_bit: float = Field(gt=0)
    transmitter_w: float = Field(ge=0)
    receiver_w: float = Field(ge=0)


class IsruPlant(Component):
    """An oxygen plant running on surplus power only."""

    process: Literal["hydrogen-reduction", "molten-regolith-electrolysis"]
    kwh_per_kg: float = Field(gt=0)
    max_power_w: float = Field(gt=0)


class Rover(Component):
    """A rover or hopper: drives at ``speed_m_s`` drawing ``energy_wh_per_km`` from the
    station, only in sunlight and in contact, until ``campaign_km`` are done."""

    energy_wh_per_km: float = Field(gt=0)
    speed_m_s: float = Field(gt=0)
    campaign_km: float = Field(gt=0)
    duty_hours_per_day: float = Field(gt=0, le=24)
    start_days_after_arrival: float = Field(ge=0, default=0)
    #: the duty rule repeats every ``duty_period_h`` (24: the first ``duty_hours_per_day``
    #: of each UTC day; 8 with 3.33 h: 200 min in any 8 hours, the plan's flight rule)
    duty_period_h: float = Field(gt=0, le=24, default=24.0)

    @model_validator(mode="after")
    def _duty_in_period(self):
        if self.duty_hours_per_day > self.duty_period_h:
            raise ValueError("duty_hours_per_day <= duty_period_h")
        return self


class CrewVisit(_Model):
    """A crewed stay at the station."""

    start: str
    days: float = Field(gt=0)
    crew: int = Field(gt=0)
    o2_store_kg: float = Field(ge=0, description="oxygen brought along")
    _start = field_validator("start", mode="before")(_iso)


class Crew(_Model):
    """Consumables per person-day and the habitat load while crew is present."""

    o2_kg_per_person_day: float = Field(gt=0)
    water_kg_per_person_day: float = Field(gt=0)
    food_kg_per_person_day: float = Field(gt=0)
    habitat_w: float = Field(ge=0)
    visits: tuple[CrewVisit, ...] = ()
    source: str = Field(min_length=1)


class FdirRules(_Model):
    """Limit rules of the autonomy: state of charge thresholds (with hysteresis), buffer
    fill thresholds, the ISRU retry interval, and what a thermal node below its limit
    does."""

    shed_science_soc: float = Field(ge=0, le=1)
    restore_science_soc: float = Field(ge=0, le=1)
    safe_mode_soc: float = Field(ge=0, le=1)
    exit_safe_mode_soc: float = Field(ge=0, le=1)
    buffer_hold_fraction: float = Field(gt=0, le=1)
    buffer_resume_fraction: float = Field(ge=0, lt=1)
    isru_retry_h: float = Field(gt=0)
    thermal_safe_mode: bool = Field(default=True, description="a thermal node below its "
                                    "min_k puts the station in safe mode until it is back")
    source: str = Field(min_length=1)


FaultKind = Literal["battery-cell-loss", "array-degradation", "relay-outage", "isru-stuck",
                    "rover-fault"]


class Fault(_Model):
    """A fault to inject at ``at`` (ISO) or randomly at ``rate_per_yr`` (Poisson, seeded).

    ``magnitude`` is the fraction lost for battery-cell-loss / array-degradation;
    ``duration_h`` the outage for relay-outage / rover-fault (isru-stuck clears at the
    first FDIR retry after ``duration_h``).
    """

    kind: FaultKind
    at: str | None = None
    rate_per_yr: float | None = Field(default=None, gt=0)
    magnitude: float = Field(default=0.0, ge=0, le=1)
    duration_h: float = Field(default=0.0, ge=0)
    target: str | None = None
    seed: int = 0
    _at = field_validator("at", mode="before")(lambda v: None if v is None else _iso(v))

    @model_validator(mode="after")
    def _one_trigger(self) -> Fault:
        if (self.at is None) == (self.rate_per_yr is None):
            raise ValueError("exactly one of 'at' and 'rate_per_yr'")
        return self


class Period(_Model):
    """The simulated span: ``start`` an ISO date or ``first-landing`` (of the station's
    first mission), ``stop`` an ISO date; steps of ``step_s``; sky geometry sampled every
    ``geometry_step_s`` and interpolated."""

    start: str = "first-landing"
    stop: str
    step_s: float = Field(gt=0, le=3600)
    geometry_step_s: float = Field(gt=0, le=3600)
    _start = field_validator("start", mode="before")(
        lambda v: v if v == "first-landing" else _iso(v))
    _stop = field_validator("stop", mode="before")(_iso)


class SiteConfig(_Model):
    """Where the station stands; ``horizon`` is ``reference`` (the shipped LOLA-derived
    horizon of the Connecting-Ridge point, 2 m and 10 m masts: only for that point),
    ``ideal`` (a smooth sphere), ``dem`` (computed from ``dems`` or ``--dem`` files) or a
    horizon file path. ``dems`` (finest first, relative to the scenario file) make the
    horizon be computed at the site whatever ``horizon`` says."""

    name: str
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-360, le=360)
    height_m: float | None = None
    horizon: str = "reference"
    dems: tuple[str, ...] = ()
    element_mast_m: float = Field(ge=0, default=2.0)


class CampaignConfig(_Model):
    """The campaign: a roadmap ``file`` (``None``: built-in), ``overrides`` merged onto it
    (the campaign scenario format), and which missions build the station: those whose
    destination is named ``base`` or listed in ``missions``."""

    file: str | None = None
    base: str = "south-polar base"
    missions: tuple[str, ...] = ()
    overrides: dict[str, Any] = Field(default_factory=dict)


class PayloadRule(_Model):
    """When a payload runs: ``earth_in_view``, ``dark``, ``sunlit`` or ``any``; with
    ``radio_quiet``, only while the station's own transmitters are off too (no link has
    a downlink rate: a radio telescope the downlink would blind)."""

    condition: Literal["any", "earth_in_view", "dark", "sunlit"] = "any"
    duty: float = Field(default=1.0, gt=0, le=1)
    radio_quiet: bool = False


class Output(_Model):
    """What is written: bins of ``aggregate_s`` for the Parquet time series, and every
    step of a window of ``full_resolution_days`` from ``full_resolution_start``."""

    aggregate_s: float = Field(default=3600.0, gt=0)
    full_resolution_start: str | None = None
    full_resolution_days: float = Field(default=30.0, gt=0, le=366)
    _frs = field_validator("full_resolution_start", mode="before")(
        lambda v: None if v is None else _iso(v))


class Scenario(_Model):
    """A station scenario (see the module docstring)."""

    name: str
    description: str = ""
    period: Period
    site: SiteConfig
    campaign: CampaignConfig = CampaignConfig()
    solar_arrays: tuple[SolarArray, ...] = ()
    rtgs: tuple[Rtg, ...] = ()
    fission_units: tuple[FissionUnit, ...] = ()
    batteries: tuple[Battery, ...] = ()
    rfcs: tuple[Rfc, ...] = Field(default=(), max_length=1)
    thermal: Thermal = Field(default_factory=Thermal)
    comms: Comms | None = None
    isru: tuple[IsruPlant, ...] = ()
    rovers: tuple[Rover, ...] = ()
    payloads: dict[str, PayloadRule] = Field(default_factory=dict)
    crew: Crew | None = None
    fdir: FdirRules
    faults: tuple[Fault, ...] = ()
    output: Output = Output()
    file: str = "<memory>"
    _data: Any = PrivateAttr(default=None)     # the line-marked YAML it was read from

    def group(self, path: str) -> tuple:
        """The component records at a dotted ``path`` (``batteries``, ``thermal.nodes``)."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part)
        return node

    def error(self, loc: tuple, expected: str, value: object = None) -> ScenarioFileError:
        """An error about the field at ``loc`` (``("batteries", 0, "arrives_with")``),
        naming the file and line where it was written (the reference file for what a
        scenario inherits)."""
        if self._data is not None:
            where, mark = yamlfile.locate(self._data, loc)
        else:
            where, mark = ".".join(str(p) for p in loc), None
        return ScenarioFileError(mark[0] if mark else self.file, where,
                                 mark[1] if mark else None, expected, value)


def reference_scenario_path() -> Path:
    """Path of the built-in reference scenario YAML."""
    return Path(str(resources.files("ilrs.station") / "data" / "reference.yaml"))


def _raw(path: str | Path | None):
    ref = reference_scenario_path()
    target = ref if path is None or str(path) == REFERENCE else Path(path)
    return yamlfile.load(target, builtin_name=REFERENCE, builtin_path=ref), str(target)


def load_scenario(path: str | Path | None = None, **overrides: Any) -> Scenario:
    """Load and validate a scenario (``None``: the built-in reference scenario).

    Errors name the file, the line, the path inside the file and what was expected.
    ``overrides`` replace top-level fields after loading (e.g. ``period=…``).
    """
    data, file = _raw(path)
    campaign = data.get("campaign")
    if isinstance(campaign, dict) and isinstance(campaign.get("file"), str) and path:
        campaign["file"] = str((Path(file).parent / campaign["file"]).resolve())
    site = data.get("site")
    if isinstance(site, dict) and isinstance(site.get("dems"), list) and path:
        site["dems"] = [str((Path(file).parent / d).resolve()) if isinstance(d, str) else d
                        for d in site["dems"]]
    scenario = yamlfile.validate(Scenario, data, file, file=file)
    scenario._data = data
    return scenario.model_copy(update=overrides) if overrides else scenario
