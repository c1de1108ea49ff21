"""Validation findings: the built-in roadmap's exact findings, and deliberately broken
scenarios (overweight, broken dependency, cancelled or unflown vehicle, coverage)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ilrs.campaign import Roadmap, validate
from ilrs.cli import main


def scenario(tmp_path: Path, body: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text("extends: builtin\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def codes(findings, severity=None):
    return sorted((f.code, f.mission) for f in findings
                  if severity is None or f.severity == severity)


def test_builtin_roadmap_findings_are_exactly_these():
    findings = validate(Roadmap.load_builtin())
    assert codes(findings, "error") == []
    ilrs = [f"ILRS-{n}" for n in range(1, 6)]
    # LM-9 first flies ~2030 and Yenisei was cancelled in 2021 (facts, Launch vehicles).
    assert codes(findings, "warning") == sorted(
        [("VEHICLE_UNFLOWN", m) for m in ilrs]
        + [("VEHICLE_ALTERNATIVE_CANCELLED", m) for m in ilrs])
    assert codes(findings, "info") == sorted([
        ("BASIC_MODEL", None),
        ("MASS_UNCHECKED", "Luna-26"), ("MASS_UNCHECKED", "Luna-27"),
        ("MASS_UNCHECKED", "Luna-28"),
        ("OUTSIDE_PHASE", "Chang'e-4"), ("OUTSIDE_PHASE", "Chang'e-7"),
        ("OUTSIDE_PHASE", "Luna-26"), ("OUTSIDE_PHASE", "Luna-27"),
        ("OUTSIDE_PHASE", "Luna-28"),
        ("OWNER_NOT_PARTNER", "Chang'e-7"), ("OWNER_NOT_PARTNER", "Chang'e-8"),
    ])
    unflown = next(f for f in findings if f.code == "VEHICLE_UNFLOWN" and f.mission == "ILRS-1")
    assert "Long March 9" in unflown.message and "2030" in unflown.message


def test_overweight_mission_names_mass_capacity_and_margin(tmp_path):
    path = scenario(tmp_path, """
        missions:
          - id: ILRS-2
            mass_kg: {value: 52000, source: "test: deliberately overweight"}
        """)
    findings = validate(Roadmap.load(path))
    [error] = [f for f in findings if f.severity == "error"]
    assert (error.code, error.mission) == ("OVERWEIGHT", "ILRS-2")
    assert "52,000 kg" in error.message and "50,000 kg" in error.message
    assert "-2,000 kg" in error.message and "-4.0 %" in error.message


def test_moving_ilrs1_to_lm10_is_overweight(tmp_path):
    # LM-10: >= 27 t to TLI (facts); ILRS-1 is estimated at 45 t.
    path = scenario(tmp_path, """
        missions:
          - {id: ILRS-1, vehicle: LM-10}
        """)
    errors = codes(validate(Roadmap.load(path)), "error")
    assert errors == [("OVERWEIGHT", "ILRS-1")]


def test_broken_dependency_gives_dependency_late(tmp_path):
    # ILRS-2 needs ILRS-1's command center, energy and communications in place.
    path = scenario(tmp_path, """
        missions:
          - id: ILRS-1
            dates+:
              - {kind: planned, date: 2032-10, announced: 2026-01-01, source: "test"}
        """)
    findings = validate(Roadmap.load(path))
    late = [f for f in findings if f.code == "DEPENDENCY_LATE"]
    assert {f.mission for f in late} == {"ILRS-2"}
    assert len(late) == 3  # one per required facility
    assert all("ILRS-1" in f.message and f.severity == "error" for f in late)


def test_dependency_on_a_failed_mission_and_missing_facility(tmp_path):
    path = scenario(tmp_path, """
        missions:
          - id: Luna-26
            depends_on: [Luna-25]
          - id: ILRS-4
            requires+: [lava-tube-exploration]
          - id: ILRS-2
            facilities: [lunar-physics, geological-profiling, sample-return]
        """)
    errors = codes(validate(Roadmap.load(path)), "error")
    assert ("DEPENDENCY_FAILED", "Luna-26") in errors
    assert ("REQUIRED_FACILITY_MISSING", "ILRS-4") in errors
    assert ("COVERAGE", None) in errors


def test_cancelled_vehicle_is_an_error(tmp_path):
    path = scenario(tmp_path, """
        missions:
          - {id: ILRS-3, vehicle: Yenisei, alternative_vehicles: []}
        """)
    findings = validate(Roadmap.load(path))
    # Yenisei: design stopped 2021, 27 t to lunar orbit (facts) - cancelled and too small.
    assert codes(findings, "error") == [("OVERWEIGHT", "ILRS-3"), ("VEHICLE_CANCELLED", "ILRS-3")]
    error = next(f for f in findings if f.code == "VEHICLE_CANCELLED")
    assert "Yenisei" in error.message and "cancelled" in error.message


def test_vehicle_before_its_first_flight_is_an_error(tmp_path):
    path = scenario(tmp_path, """
        missions:
          - id: ILRS-1
            dates: [{kind: planned, date: 2029-03, announced: 2026-01-01, source: "test"}]
            depends_on: []
        """)
    errors = codes(validate(Roadmap.load(path)), "error")
    assert errors == [("VEHICLE_LATE", "ILRS-1")]


def test_coverage_duplicate_ids_and_date_order(tmp_path):
    path = scenario(tmp_path, """
        missions:
          - {id: ILRS-5, remove: true}
          - id: Chang'e-6
            dates+: [{kind: landed, date: 2024-04-01, source: "test: before launch"}]
        vehicles+:
          - id: LM-5
            name: Long March 5 again
            agency: CNSA
            status: operational
            status_source: test
        """)
    roadmap = Roadmap.load(path)
    errors = codes(validate(roadmap), "error")
    coverage = [f for f in validate(roadmap) if f.code == "COVERAGE"]
    assert {f.message.split("'")[1] for f in coverage} == {"lunar-astronomy", "earth-observation"}
    assert ("DUPLICATE_ID", None) in errors
    assert ("DATE_ORDER", "Chang'e-6") in errors


def test_cli_validate_exit_status_and_json(tmp_path, capsys):
    assert main(["campaign", "validate", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"severity", "code", "mission", "message"} == set(rows[0])
    bad = scenario(tmp_path, """
        missions:
          - {id: ILRS-1, vehicle: Yenisei}
        """)
    assert main(["campaign", "validate", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "VEHICLE_CANCELLED" in captured.out and "2 error(s)" in captured.out
    assert "2 error finding(s)" in captured.err


@pytest.mark.parametrize("command", ["show", "moe"])
def test_cli_show_and_moe_json(command, capsys):
    assert main(["campaign", command, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    if command == "show":
        row = next(r for r in data if r["id"] == "Chang'e-6")
        assert (row["status"], row["vehicle"], row["mass_kg"], row["launch"]) == (
            "success", "LM-5", 8350.0, "2024-05-03")
    else:
        assert data["partner_payloads_total"] == 10
        assert data["facilities_by_year"]["2035"] == 13


def test_cli_show_filters(capsys):
    assert main(["campaign", "show", "--agency", "Roscosmos", "--format", "json"]) == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert {"Luna-25", "Luna-28", "ILRS-1"} <= ids and "Chang'e-6" not in ids
    assert main(["campaign", "show", "--phase", "construction", "--format", "json"]) == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert ids == {"Chang'e-8", "Luna-28"} | {f"ILRS-{n}" for n in range(1, 6)}
