"""The ``ilrs sky`` and ``ilrs run`` commands: output formats, errors as one line, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ilrs.cli import main
from ilrs.sky import Epochs, Site, Sky

RIDGE = ["--lat", "-89.45", "--lon", "222.69"]


def test_csv_has_the_documented_columns_and_full_precision(capsys):
    code = main(["sky", *RIDGE, "--start", "2030-01-01T00:00:00", "--stop",
                 "2030-01-02T00:00:00", "--step", "60", "--body", "sun", "--format", "csv"])
    assert code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["utc", "azimuth_deg", "elevation_deg", "distance_km",
                       "angular_radius_deg"]
    assert len(rows) == 1 + 1441
    assert rows[1][0] == "2030-01-01T00:00:00.000" and rows[-1][0] == "2030-01-02T00:00:00.000"
    ref = Sky().topocentric("sun", Site("s", -89.45, 222.69),
                            Epochs.from_utc(["2030-01-01T00:00:00"]))
    assert float(rows[1][2]) == ref.elevation_deg[0]  # repr: no precision lost


def test_times_file_geometric_and_relay(capsys, tmp_path):
    times = tmp_path / "t.txt"
    times.write_text("# instants\n2030-03-01T00:00:00\n2030-03-01T06:00:00Z\n")
    assert main(["sky", *RIDGE, "--times", str(times), "--body", "earth", "--geometric",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["utc"] for r in rows] == ["2030-03-01T00:00:00.000", "2030-03-01T06:00:00.000"]
    assert all(350_000 < r["distance_km"] < 410_000 for r in rows)
    assert main(["sky", *RIDGE, "--start", "2030-01-01", "--stop", "2030-01-01T01:00:00",
                 "--body", "relay", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 62


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_the_relay_has_no_angular_radius_column(capsys, fmt):
    """Queqiao-2 is a point at these distances: its angular radius (0 by construction) is
    left out in every format; the Sun keeps its column."""
    span = ["--start", "2030-01-01", "--stop", "2030-01-01T00:02:00", "--format", fmt]
    assert main(["sky", *RIDGE, *span, "--body", "relay"]) == 0
    relay = capsys.readouterr().out
    assert main(["sky", *RIDGE, *span, "--body", "sun"]) == 0
    sun = capsys.readouterr().out
    assert "angular_radius_deg" not in relay and "angular_radius_deg" in sun
    assert "distance_km" in relay
    if fmt == "csv":
        header, *rows = relay.splitlines()
        assert header == "utc,azimuth_deg,elevation_deg,distance_km" and len(rows) == 3
        assert all(len(r.split(",")) == 4 for r in rows)
        # Queqiao-2: 200 km × 16,000 km above the Moon, so within ~18,000 km of the site
        assert all(100 < float(r.split(",")[3]) < 18_000 for r in rows)
    elif fmt == "json":
        assert all(set(r) == {"utc", "azimuth_deg", "elevation_deg", "distance_km"}
                   for r in json.loads(relay))


def test_table_output(capsys):
    assert main(["sky", *RIDGE, "--start", "2030-01-01", "--stop", "2030-01-01T00:02:00"]) == 0
    assert "azimuth_deg" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2060-01-01", "--stop", "2060-01-02"], "outside the ephemeris"),
        (["--start", "2030-01-32", "--stop", "2030-02-02"], "--start: got '2030-01-32'"),
        (["--lat", "-95", "--start", "2030-01-01", "--stop", "2030-01-02"], "--lat: got -95"),
        (["--start", "2030-01-01"], "--stop"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, args, message):
    base = RIDGE if "--lat" not in args else ["--lon", "0"]
    code = main(["sky", *base, *args])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert message in err and err.startswith("error:") and "Traceback" not in err


@pytest.mark.parametrize(("args", "words"), [
    (["--body", "mars"], ["--body", "mars", "sun"]),
    (["--step", "fast"], ["--step", "number"]),
    (["--no-such-option"], ["--no-such-option"]),
])
def test_a_bad_argument_is_one_line_and_status_1(capsys, args, words):
    code = main(["sky", *RIDGE, "--start", "2030-01-01", "--stop", "2030-01-02", *args])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ilrs sky: ")
    assert all(w in lines[0] for w in words), lines[0]


def test_the_old_height_option_says_what_it_was_renamed_to(capsys):
    code = main(["sky", *RIDGE, "--start", "2030-01-01", "--stop", "2030-01-02",
                 "--height", "1954.7"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1 and len(err) == 1
    assert err[0].startswith("error: --height: got 1954.7") and "--ground-height" in err[0]


def test_events_json(capsys):
    assert main(["sky", "events", *RIDGE, "--start", "2029-06-26", "--stop", "2029-06-27",
                 "--body", "eclipse", "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["partial_begin", "total_begin", "total_end",
                                            "partial_end"]
    assert main(["sky", "events", *RIDGE, "--start", "2030-01-01", "--stop", "2030-01-03",
                 "--body", "relay", "--mask", "10", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "utc,body,event" and {ln.split(",")[2] for ln in lines[1:]} <= {
        "aos", "los"}
