"""The scenario format: the reference scenario, sources, extends/merge, clear errors."""

from __future__ import annotations

import math

import pytest
import yaml

from ilrs.errors import ScenarioFileError
from ilrs.station import Twin, load_scenario, reference_scenario_path
from ilrs.station.config import Component


def test_every_reference_component_has_a_source_and_a_delivering_mission():
    sc = load_scenario(None)
    twin = Twin.from_scenario(sc)
    groups = ("solar_arrays", "rtgs", "fission_units", "batteries", "thermal.nodes", "isru",
              "rovers")
    comps = [c for g in groups for c in sc.group(g)] + [sc.comms]
    assert len(comps) > 15
    for comp in comps:
        assert isinstance(comp, Component)
        assert comp.source.strip()
        assert math.isfinite(twin.up.arrival(comp.arrives_with)), comp.id
    for link in (sc.comms.dte, sc.comms.relay):
        assert link.source.strip()
    assert sc.crew.source and sc.fdir.source
    assert twin.up.station_missions == ("ILRS-1", "ILRS-2", "ILRS-3", "ILRS-4", "ILRS-5")


def test_reference_yaml_has_no_unsourced_component():
    raw = yaml.safe_load(reference_scenario_path().read_text())
    for key, value in [*raw.items(), *raw["thermal"].items()]:
        if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
            for item in value:
                assert "source" in item, (key, item["id"])


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_a_scenario_extends_the_reference_and_merges_by_id(tmp_path):
    path = write(tmp_path, """extends: reference
name: small-battery
batteries:
  - {id: battery-1, capacity_wh: 50000}
  - {id: battery-2, remove: true}
faults: []
""")
    sc = load_scenario(path)
    assert sc.name == "small-battery"
    assert [b.id for b in sc.batteries] == ["battery-1"]
    assert sc.batteries[0].capacity_wh == 50000
    assert sc.batteries[0].depth_of_discharge == 0.7  # kept from the reference
    assert sc.faults == ()
    assert len(sc.solar_arrays) == 4


@pytest.mark.parametrize(("text", "line", "where", "expected"), [
    ("extends: reference\nbatteries:\n  - {id: battery-1, capacity_wh: -5}\n", 3,
     "batteries['battery-1'].capacity_wh", "greater than 0"),
    ("extends: reference\nsolar_arrays:\n  - {id: array-1a, mount: gimbal}\n", 3,
     "solar_arrays['array-1a'].mount", "'tracking' or 'vertical'"),
    ("extends: reference\nperiod:\n  stop: yesterday\n", 3, "period.stop", "ISO date"),
    ("extends: reference\nfaults:\n  - {kind: relay-outage}\n", 3, "faults[0]",
     "exactly one of 'at' and 'rate_per_yr'"),
    ("extends: reference\nrovers:\n  - {id: new-rover, arrives_with: ILRS-2}\n", 3,
     "rovers['new-rover']", "this required field"),
    ("name: x\n", 1, "period", "this required field"),
    ("extends: reference\nbogus: 1\n", 2, "bogus", "no such field"),
])
def test_errors_name_file_line_path_and_expectation(tmp_path, text, line, where, expected):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert err.path.startswith(where)
    assert expected in err.expected


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ScenarioFileError, match="a readable file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioFileError, match="valid YAML"):
        load_scenario(write(tmp_path, "a: [1, 2\n"))


def test_a_component_must_arrive_with_a_campaign_mission(tmp_path):
    path = write(tmp_path, "extends: reference\nrtgs:\n  - {id: rtg-2, arrives_with: ILRS-9}\n")
    sc = load_scenario(path)
    with pytest.raises(ScenarioFileError) as info:
        Twin.from_scenario(sc)
    assert info.value.path == "rtgs['rtg-2'].arrives_with"
    assert info.value.value == "ILRS-9" and "ILRS-1" in info.value.expected


def test_from_campaign_takes_a_roadmap_object_and_the_scenario_site():
    from ilrs.campaign import Roadmap

    roadmap = Roadmap.load_builtin()
    twin = Twin.from_campaign(roadmap, None, load_scenario(None))
    assert twin.horizon.kind == "reference"
    assert twin.up.landing_dates["ILRS-1"] == "2031-08-01"
    assert math.isinf(twin.up.arrival("Luna-25"))  # failed: never arrives


def test_a_scenario_can_name_its_own_campaign_file(tmp_path):
    (tmp_path / "camp.yaml").write_text(
        "extends: builtin\nmissions:\n  - {id: ILRS-2, status: cancelled}\n")
    path = write(tmp_path, "extends: reference\ncampaign: {file: camp.yaml}\n")
    twin = Twin.from_scenario(load_scenario(path))
    assert twin.up.skipped == ("ILRS-2",)
    assert "ILRS-2" not in twin.up.station_missions
    assert math.isinf(twin.up.arrival("ILRS-2"))  # its batteries and rovers never come
