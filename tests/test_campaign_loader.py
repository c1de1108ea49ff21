"""Reading roadmap files: scenario overlays, and malformed files naming file, line, field
and what was expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilrs.campaign import Roadmap, validate
from ilrs.cli import main
from ilrs.errors import InputError, ScenarioFileError


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_scenario_adds_a_partner_payload_without_copying(tmp_path):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - id: ILRS-3
            payloads+:
              - name: Regolith seismometer
                owner: pakistan
                function: research
                mass_kg: {value: 25, source: "scenario: partner proposal"}
        """)
    roadmap = Roadmap.load(path)
    builtin = Roadmap.load_builtin()
    names = [p.name for p in roadmap.mission("ILRS-3").payloads]
    assert names == [p.name for p in builtin.mission("ILRS-3").payloads] + ["Regolith seismometer"]
    # everything else is untouched
    assert roadmap.mission("ILRS-3").vehicle == "LM-9"
    assert len(roadmap.missions) == len(builtin.missions)


def test_scenario_chain_remove_and_new_mission(tmp_path):
    write(tmp_path, """
        extends: builtin
        missions:
          - {id: Luna-28, remove: true}
        """, "base.yaml")
    path = write(tmp_path, """
        extends: base.yaml
        vehicles:
          - id: LM-9
            first_flight: {date: 2029, planned: true, source: "scenario"}
        missions:
          - id: Partner-Lander
            name: A partner lander
            agency: APSCO
            countries: [apsco]
            vehicle: LM-5
            elements: [lander]
            dates: [{kind: planned, date: 2032-03, announced: 2026-05-01, source: "scenario"}]
            status: planned
            phase: construction-2
            requires: [telecommunication]
        """)
    roadmap = Roadmap.load(path)
    ids = [m.id for m in roadmap.missions]
    assert "Luna-28" not in ids and ids[-1] == "Partner-Lander"
    assert roadmap.vehicle("LM-9").first_flight.date == "2029"
    assert roadmap.vehicle("LM-9").capacity_emt_kg.value == 50_000  # merged, not replaced
    assert [f for f in validate(roadmap) if f.severity == "error"] == []


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - id: ILRS-1
            vehicle: [LM-10
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    err = info.value
    assert err.file == str(path) and err.line in (4, 5)
    assert "valid YAML" in err.expected
    assert str(path) in str(err)


def test_wrong_type_names_line_field_and_expectation(tmp_path):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - id: ILRS-3
            mass_kg:
              value: heavy
              source: "typo"
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    err = info.value
    assert (err.file, err.line) == (str(path), 5)
    assert err.path == "missions['ILRS-3'].mass_kg.value"
    assert err.expected.startswith("a valid number") and err.value == "heavy"


def test_bad_enum_and_unknown_field_and_missing_field(tmp_path):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - id: ILRS-2
            status: postponed
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    assert info.value.line == 4 and "'planned'" in info.value.expected
    path = write(tmp_path, """
        extends: builtin
        vehicles:
          - id: LM-9
            capacity_kg: 50000
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    assert (info.value.line, info.value.path) == (4, "vehicles['LM-9'].capacity_kg")
    assert "no such field" in info.value.expected
    path = write(tmp_path, """
        extends: builtin
        partners+:
          - {id: x, name: X, kind: country, source: "test"}
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    assert info.value.line == 3 and info.value.path.endswith("['x'].joined")
    assert info.value.expected == "this required field"


def test_bad_date_and_duplicate_key(tmp_path):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - id: ILRS-1
            dates: [{kind: planned, date: 2031-13, source: "test"}]
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    assert info.value.line == 4 and "calendar date" in info.value.expected
    path = write(tmp_path, """
        extends: builtin
        missions: [{id: ILRS-1, dates: [{kind: planned, date: 2031-02-30, source: "t"}]}]
        """)
    with pytest.raises(ScenarioFileError) as info:
        Roadmap.load(path)
    assert (info.value.line, info.value.value) == (2, "2031-02-30")
    path = write(tmp_path, """
        name: a
        name: b
        """)
    with pytest.raises(ScenarioFileError, match="each key once"):
        Roadmap.load(path)


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ScenarioFileError, match="readable file"):
        Roadmap.load(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioFileError, match="mapping"):
        Roadmap.load(write(tmp_path, "- just\n- a list\n"))
    assert issubclass(ScenarioFileError, InputError)


def test_cli_prints_one_line_for_a_malformed_file(tmp_path, capsys):
    path = write(tmp_path, """
        extends: builtin
        missions:
          - {id: ILRS-1, mass_kg: {value: 1.0, sauce: typo}}
        """)
    assert main(["campaign", "validate", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{path}:3" in err
    assert "missions['ILRS-1'].mass_kg.sauce" in err


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_arbitrary_text_gives_a_file_error_or_a_roadmap(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        Roadmap.load(path)
    except ScenarioFileError as exc:
        assert exc.file == str(path)


def test_the_documented_scenario_works(tmp_path):
    """The scenario example of docs/campaign.md: one error, ILRS-1 too heavy for LM-10."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "campaign.md"
    if not doc.exists():
        pytest.skip("docs/campaign.md not present")
    text = doc.read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "my-scenario.yaml"
    path.write_text(block, encoding="utf-8")
    roadmap = Roadmap.load(path)
    errors = [(f.code, f.mission) for f in validate(roadmap) if f.severity == "error"]
    assert errors == [("OVERWEIGHT", "ILRS-1")]
    assert roadmap.mission("ILRS-3").payloads[-1].owner == "pakistan"
    assert roadmap.mission("Chang'e-8").launch_date == "2029-06"
