"""Mission database of ilrs.ops: YAML errors, calibration, codecs and the XTCE round trip."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from ilrs.errors import InputError, MissionDatabaseError
from ilrs.ops.tmtc.codec import (
    calibrate,
    decode_arguments,
    decode_container,
    encode_arguments,
    encode_container,
)
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.mdb_build import load_mdb, mdb_from_elements
from ilrs.ops.tmtc.xtce import NS, export_xtce, import_xtce

ELEMENTS = [
    {
        "id": "power",
        "owner": "cnsa",
        "parameters": [
            {"name": "bus_voltage_v", "type": "float32", "unit": "V",
             "limits": {"yellow": {"low": 26.0, "high": 30.0},
                        "red": {"low": 24.0, "high": 32.0}}},
            {"name": "battery_soc", "type": "uint16", "unit": "1",
             "calibration": {"coefficients": [0.0, 1.0 / 65535.0]},
             "limits": {"yellow": {"low": 0.3}, "red": {"low": 0.1}}},
            {"name": "array_temp_k", "type": "int16", "unit": "K",
             "calibration": {"kind": "table", "raw": [-1000, 0, 1000], "eng": [173, 273, 400]}},
        ],
        "commands": [
            {"name": "shed_load", "significance": "critical",
             "arguments": [{"name": "load_w", "type": "float64", "unit": "W", "min": 0,
                            "max": 5000}]},
        ],
    },
    {
        "id": "seismometer",
        "owner": "pakistan",
        "kind": "payload",
        "parameters": [
            {"name": "powered", "type": "bool"},
            {"name": "mode", "type": "uint8", "bit_size": 3},
            {"name": "gain", "type": "uint8", "bit_size": 4},
            {"name": "count", "type": "uint32"},
        ],
        "commands": [
            {"name": "set_gain", "significance": "watch",
             "constraints": [{"parameter": "powered", "operator": "==", "value": 1}],
             "constraint_timeout_s": 5.0,
             "arguments": [{"name": "gain", "type": "uint8", "min": 0, "max": 15},
                           {"name": "verbose", "type": "bool"}]},
        ],
    },
]  # fmt: skip


@pytest.fixture
def db() -> MissionDatabase:
    return mdb_from_elements(ELEMENTS)


def test_builder_gives_each_element_an_apid_container_and_commands(db):
    assert [(a.name, a.apid, a.owner, a.kind) for a in db.apids] == [
        ("power", 0x100, "cnsa", "element"),
        ("seismometer", 0x101, "pakistan", "payload"),
    ]
    assert db.container_for(0x101, 3, 25).name == "seismometer.hk"
    # bool at byte 0, two bit fields in byte 1, uint32 from byte 2 (the next byte boundary)
    layout = [(e.parameter, e.bit_offset, e.bit_size) for e in db.layout("seismometer.hk")]
    assert layout == [
        ("seismometer.powered", 0, 8),
        ("seismometer.mode", 8, 3),
        ("seismometer.gain", 11, 4),
        ("seismometer.count", 16, 32),
    ]
    cmd = db.command("seismometer.set_gain")
    assert cmd.constraints[0].parameter == "seismometer.powered"
    assert [v.stage for v in cmd.verifiers] == ["accepted", "started", "completed"]
    assert db.owner_of_parameter("power.battery_soc") == "cnsa"


def test_container_encode_decode_round_trip(db):
    values = {"seismometer.powered": 1, "seismometer.mode": 6, "seismometer.gain": 9,
              "seismometer.count": 4_000_000_000}  # fmt: skip
    data = encode_container(db, "seismometer.hk", values)
    # 01 | mode 110, gain 1001, pad 0 → 1101 0010 = d2 | 4e 6b 28 00 (4e9 big-endian)
    assert data == bytes([0x01, 0xD2, 0xEE, 0x6B, 0x28, 0x00])
    raw = decode_container(db, "seismometer.hk", [data] * 3)
    assert {k: v.tolist() for k, v in raw.items()} == {k: [v] * 3 for k, v in values.items()}


def test_calibrations_against_hand_values(db):
    soc = calibrate(db.parameter("power.battery_soc"), np.array([0, 65535, 32768]))
    np.testing.assert_allclose(soc, [0.0, 1.0, 32768 / 65535], rtol=0, atol=1e-15)
    temp = calibrate(db.parameter("power.array_temp_k"), np.array([-1000, -500, 500, 2000]))
    # table points, midpoints of each segment, then linear extrapolation of the last one
    np.testing.assert_allclose(temp, [173.0, 223.0, 336.5, 527.0])


def test_command_arguments_round_trip_and_range_check(db):
    cmd = db.command("seismometer.set_gain")
    data = encode_arguments(cmd, {"gain": 12, "verbose": True})
    assert data == b"\x0c\x01"
    assert decode_arguments(cmd, data) == {"gain": 12, "verbose": True}
    with pytest.raises(InputError, match=r"set_gain\.gain"):
        encode_arguments(cmd, {"gain": 16, "verbose": False})
    with pytest.raises(InputError, match="verbose"):
        encode_arguments(cmd, {"gain": 1})
    with pytest.raises(InputError, match="integer"):
        encode_arguments(cmd, {"gain": 1.5, "verbose": False})


def test_xtce_round_trip(db):
    text = export_xtce(db)
    assert import_xtce(text) == db
    root = ET.fromstring(text)
    q = f"{{{NS}}}"
    mc = root.find(f".//{q}MetaCommand[@name='power_shed_load']")
    assert mc.find(f"{q}DefaultSignificance").get("consequenceLevel") == "critical"
    warn = root.find(f".//{q}FloatParameterType[@name='power_bus_voltage_v_t']//{q}WarningRange")
    assert (warn.get("minInclusive"), warn.get("maxInclusive")) == ("26.0", "30.0")


def test_xtce_round_trip_keeps_explicit_offsets(tmp_path):
    spec = [{"id": "x", "owner": "esa", "apid": 7,
             "parameters": [{"name": "a", "type": "uint8"}, {"name": "b", "type": "uint8"}]}]
    db = mdb_from_elements(spec)
    c = db.containers[0]
    moved = c.model_copy(update={"entries": (c.entries[0], c.entries[1].model_copy(
        update={"bit_offset": 24}))})  # fmt: skip
    db = db.model_copy(update={"containers": (moved,)})
    path = tmp_path / "x.xml"
    path.write_text(export_xtce(db), encoding="utf-8")
    assert import_xtce(path) == db
    assert db.size_bytes("x.hk") == 4


def test_xtce_import_error_names_the_problem():
    with pytest.raises(MissionDatabaseError, match="XTCE"):
        import_xtce("<SpaceSystem/>")


def write(tmp_path, text: str):
    path = tmp_path / "mdb.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_loads_and_equals_the_built_database(tmp_path, db):
    path = write(tmp_path, yaml.safe_dump(db.model_dump(mode="json"), sort_keys=False))
    assert load_mdb(path) == db


def test_yaml_error_names_file_path_line_and_expected(tmp_path):
    path = write(
        tmp_path,
        """\
        name: T
        apids:
          - {apid: 5, name: a, owner: esa}
        commands:
          - name: c
            apid: 5
            owner: esa
            significance: dangerous
        """,
    )
    with pytest.raises(MissionDatabaseError) as info:
        load_mdb(path)
    err = info.value
    assert (err.file, err.path, err.line) == (str(path), "commands[0].significance", 8)
    assert "critical" in err.expected and err.value == "dangerous"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: T\napids: [{apid: 5, name: a, owner: x}, {apid: 5, name: b, owner: x}]\n",
         "each APID once"),
        ("name: T\ncontainers: [{name: c, apid: 9}]\n", "APID 9 declared"),
        ("name: [\n", "valid YAML"),
        ("name: T\nparameters: [{name: p, type: float32, bit_size: 3}]\n", "unsigned"),
    ],
)  # fmt: skip
def test_yaml_semantic_errors(tmp_path, text, expected):
    with pytest.raises(MissionDatabaseError, match=expected):
        load_mdb(write(tmp_path, text))


@pytest.mark.parametrize("container", ["power.hk", "seismometer.hk"])
def test_container_plan_matches_the_per_parameter_path(db, rng, container):
    from ilrs.ops.processing.alarms import check_limits
    from ilrs.ops.tmtc.codec import ContainerPlan

    layout = db.layout(container)
    rows = []
    for _ in range(50):
        values = {}
        for e in layout:
            p = db.parameter(e.parameter)
            if p.type.startswith("float"):
                values[p.name] = rng.uniform(20, 34)
            else:
                values[p.name] = int(rng.integers(0, 1 << min(p.bits, 15)))
        rows.append(encode_container(db, container, values))
    plan = ContainerPlan(db, container)
    raw = plan.raw_matrix(plan.frames(rows))
    eng = plan.engineering(raw)
    levels = plan.levels(eng)
    slow_raw = decode_container(db, container, rows)
    for j, name in enumerate(plan.names):
        p = db.parameter(name)
        np.testing.assert_array_equal(raw[:, j], slow_raw[name].astype(float))
        slow_eng = calibrate(p, slow_raw[name])
        np.testing.assert_allclose(eng[:, j], slow_eng, rtol=1e-14, atol=1e-12)
        np.testing.assert_array_equal(levels[:, j], check_limits(slow_eng, p.limits))
