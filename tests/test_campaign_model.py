"""The built-in roadmap against the facts file, the data's sources, dates and deliveries.

Facts cited: shared/reference/ilrs-facts.md (sections "Programme", "Partners",
"Missions", "Launch vehicles"); the seed table: shared/seed/ilrs-wikipedia.txt.
"""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from ilrs.campaign import Roadmap, deliveries
from ilrs.campaign.dates import decimal_year, from_mjd, normalize_iso, precision, to_mjd


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return Roadmap.load_builtin()


def test_every_seed_mission_and_queqiao2_is_in_the_roadmap(roadmap):
    # seed tables: Chang'e 4, 6, 7, 8; Luna 25..28; ILRS-1..5; plus Queqiao-2 (facts).
    expected = {"Chang'e-4", "Chang'e-6", "Chang'e-7", "Chang'e-8", "Luna-25", "Luna-26",
                "Luna-27", "Luna-28", "ILRS-1", "ILRS-2", "ILRS-3", "ILRS-4", "ILRS-5",
                "Queqiao-2"}
    assert {m.id for m in roadmap.missions} == expected


def test_outcomes_match_the_facts_file(roadmap):
    # facts, Missions: Luna-25 launched 10 Aug 2023, crashed 19 Aug 2023, ~1.8 t.
    luna25 = roadmap.mission("Luna-25")
    assert (luna25.status, luna25.launched, luna25.ended) == ("failed", "2023-08-10", "2023-08-19")
    assert luna25.mass_kg.value == 1800
    # facts: Chang'e-6 launch 3 May 2024, landed 2 Jun 2024, return 25 Jun 2024, 8.35 t.
    ce6 = roadmap.mission("Chang'e-6")
    assert (ce6.status, ce6.launched, ce6.landed, ce6.ended) == (
        "success", "2024-05-03", "2024-06-02", "2024-06-25")
    assert ce6.mass_kg.value == 8350
    # facts: Chang'e-4 launch 7 Dec 2018, landed 3 Jan 2019, Von Karman crater.
    assert roadmap.landing_date("Chang'e-4") == "2019-01-03"
    # facts: Queqiao-2 launched 20 Mar 2024 on LM-8, i = 62.4 deg, 200 x 16,000 km.
    qq2 = roadmap.mission("Queqiao-2")
    assert (qq2.launched, qq2.vehicle, qq2.destination.kind) == ("2024-03-20", "LM-8", "orbit")
    assert qq2.destination.inclination_deg == 62.4
    assert qq2.destination.apoapsis_altitude_m == 16_000_000


def test_slips_are_kept_as_announcements(roadmap):
    # seed: Chang'e 8 in 2027; facts: earlier 2028, now ~2029.
    ce8 = roadmap.mission("Chang'e-8")
    assert [d.date for d in ce8.planned_dates] == ["2027", "2028", "2029"]
    assert (ce8.first_announced_date, ce8.launch_date) == ("2027", "2029")
    # seed: Luna 28 in 2027 on Angara A5; facts: ~2033-34.
    luna28 = roadmap.mission("Luna-28")
    assert (luna28.first_announced_date, luna28.launch_date, luna28.vehicle) == (
        "2027", "2033", "Angara-A5")


def test_ilrs_1_to_5_follow_the_seed(roadmap):
    # seed: ILRS-1..5 in 2031..2035 on "LM-9 or Yenisei", objectives as facilities.
    for n, year in zip(range(1, 6), range(2031, 2036), strict=True):
        m = roadmap.mission(f"ILRS-{n}")
        assert (m.launch_date, m.vehicle) == (str(year), "LM-9")
        assert m.alternative_vehicles == ["Yenisei"]
        assert m.phase == "construction-2"
    assert roadmap.mission("ILRS-1").facilities == [
        "command-center", "basic-energy", "telecommunication"]
    assert roadmap.mission("ILRS-3").facilities == ["isru-verification"]
    assert roadmap.mission("ILRS-5").facilities == ["lunar-astronomy", "earth-observation"]
    functions = {roadmap.facility(f).function for f in roadmap.mission("ILRS-1").facilities}
    assert functions == {"command_center", "energy", "communications"}


def test_vehicles_and_partners_match_the_facts_file(roadmap):
    # facts, Launch vehicles: LM-9 ~50 t to lunar transfer, first flight ~2030;
    # Yenisei design stopped 2021; LM-5 ~8.2-8.35 t.
    lm9 = roadmap.vehicle("LM-9")
    assert (lm9.capacity_emt_kg.value, lm9.first_flight.date, lm9.first_flight.planned) == (
        50_000, "2030", True)
    assert roadmap.vehicle("Yenisei").status == "cancelled"
    assert roadmap.vehicle("LM-5").capacity_emt_kg.value == 8350
    assert roadmap.vehicle("Angara-A5").capacity_emt_kg is None  # no published TLI figure
    # facts, Partners: Venezuela Jul 2023, South Africa Sep 2023, Senegal Sep 2024.
    joined = {p.id: p.joined for p in roadmap.partners}
    assert (joined["venezuela"], joined["south-africa"], joined["senegal"]) == (
        "2023-07", "2023-09", "2024-09")
    assert {"china", "russia", "pakistan", "apsco"} <= set(joined)


def test_phases_follow_the_guide(roadmap):
    # facts, Programme: Reconnaissance 2021-2025, Construction 2026-2035 (stages 2026-30,
    # 2031-35), Utilization from 2036.
    spans = {p.id: (p.start_year, p.end_year) for p in roadmap.phases}
    assert spans == {"reconnaissance": (2021, 2025), "construction": (2026, 2035),
                     "utilization": (2036, None)}
    stages = {s.id: (s.start_year, s.end_year) for p in roadmap.phases for s in p.stages}
    assert stages == {"construction-1": (2026, 2030), "construction-2": (2031, 2035)}


def _numbers_without_source(node, path="") -> list[str]:
    bad = []
    if isinstance(node, dict):
        has_source = any(k in node for k in ("source", "status_source"))
        for key, value in node.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and not has_source:
                bad.append(f"{path}.{key}")
            bad += _numbers_without_source(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, int | float) and not isinstance(item, bool):
                bad.append(f"{path}[{i}]")
            bad += _numbers_without_source(item, f"{path}[{i}]")
    return bad


def test_every_number_in_the_builtin_yaml_carries_a_source():
    text = (resources.files("ilrs.campaign") / "data" / "ilrs.yaml").read_text(encoding="utf-8")
    assert _numbers_without_source(yaml.safe_load(text)) == []


def test_estimates_say_so(roadmap):
    ilrs1 = roadmap.mission("ILRS-1")
    assert ilrs1.mass_kg.is_estimate
    assert not roadmap.mission("Chang'e-6").mass_kg.is_estimate


def test_deliveries_are_sorted_and_leave_failures_out(roadmap):
    items = deliveries(roadmap)
    assert "Luna-25" not in {d.mission_id for d in items}
    assert "Luna-25" in {d.mission_id for d in deliveries(roadmap, include_failed=True)}
    mjds = [to_mjd(d.landing_date) for d in items]
    assert mjds == sorted(mjds)
    ilrs3 = next(d for d in items if d.mission_id == "ILRS-3")
    # planned 2033 (mid-year) + 30 d transfer
    assert ilrs3.landing_date == from_mjd(to_mjd("2033-07-02") + 30)
    assert all(p.power_day_w is not None and p.data_rate_bit_s is not None
               for p in ilrs3.payloads)


def test_dates_precision_and_round_trip():
    assert precision("2031") == "year" and precision("2026-08") == "month"
    assert from_mjd(to_mjd("2024-02-29")) == "2024-02-29"
    assert decimal_year("2024-01-01") == 2024.0
    assert from_mjd([to_mjd("2020-01-01"), to_mjd("2021-01-01")]) == ["2020-01-01", "2021-01-01"]
    for bad in ("2031-13", "31-01-01", "2031/01", 2.5):
        with pytest.raises(ValueError):
            normalize_iso(bad)
