"""Every command refuses a bad date, path or number the same way, before any work: exit
status 1, one line on stderr naming the option and the value, no traceback, no file made.

The table covers each command's options of these kinds (the README's promise "one line, no
traceback, no file created"). The work each command would do (a twin run, a horizon, a
lighting map, a Monte Carlo, the server) is replaced by a trap that fails the test, so a
check that comes after the work started shows up as a failure, not as a slow pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ilrs.cli import main

#: What the commands do once their options are checked: none of it may start.
WORK = (
    "ilrs.station.twin.Twin.from_scenario", "ilrs.sky.topocentric.Sky.topocentric",
    "ilrs.sky.almanac.rise_set", "ilrs.sky.almanac.eclipse_contacts",
    "ilrs.terrain.horizon_profile", "ilrs.terrain.synthetic.write_synthetic",
    "ilrs.lighting.site_lighting", "ilrs.lighting.maps.lighting_map",
    "ilrs.lighting.products.polar_products", "ilrs.campaign.schedule_risk",
    "ilrs.campaign.gantt.write_gantt", "ilrs.study.sweep", "ilrs.study.size",
    "ilrs.study.montecarlo.montecarlo", "ilrs.study.sites.rank_sites",
    "ilrs.cli.serve._serve",
)

SITE = ["--lat", "-89.45", "--lon", "222.69"]
SPAN = ["--start", "2030-01-01", "--stop", "2030-01-02"]
MAP = ["lighting", "map", "--dem", "existing.txt", "--center-lat", "-89.45", "--center-lon",
       "222.69", *SPAN]
SIZE = ["study", "size", "--vary", "batteries.battery-1.capacity_wh", "--goal", "survival"]
SWEEP = ["study", "sweep", "--vary", "site.mast_m=2,10"]
MC = ["study", "montecarlo", "--trials", "5"]
HORIZON = ["horizon", "--dem", "existing.txt", *SITE]

#: (arguments, the option named, the value named)
CASES = [
    # ilrs twin and ilrs yamcs (issue 19)
    (["twin", "--speed", "0"], "--speed", "0"),
    (["twin", "--port", "70000"], "--port", "70000"),
    (["twin", "--time-code", "gps"], "--time-code", "gps"),
    (["twin", "nosuch.yaml"], "scenario", "nosuch.yaml"),
    (["yamcs", "init", "inst", "--transport", "pigeon"], "--transport", "pigeon"),
    (["yamcs", "init", "inst", "--scenario", "nosuch.yaml"], "--scenario", "nosuch.yaml"),
    # ilrs run: the three dates, an output folder that is a file, numbers, inputs
    (["run", "--until", "2040-13-01"], "--until", "2040-13-01"),
    (["run", "--start", "2032-02-30"], "--start", "2032-02-30"),
    (["run", "--until", "31-12-2040"], "--until", "31-12-2040"),
    (["run", "--until", "2040-12-31", "--out", "existing.txt"], "--out", "existing.txt"),
    (["run", "--out", "existing.txt/sub"], "--out", "existing.txt/sub"),
    (["run", "--start", "2035-01-01", "--until", "2034-12-31"], "--until", "2034-12-31"),
    (["run", "--step", "nan"], "--step", "nan"),
    (["run", "--step", "0"], "--step", "0"),
    (["run", "--step", "fast"], "--step", "fast"),
    (["run", "nosuch.yaml"], "SCENARIO", "nosuch.yaml"),
    (["run", "--dem", "nosuch.tif"], "--dem", "nosuch.tif"),
    # ilrs sky and sky events
    (["sky", *SITE, "--start", "2030-13-01", "--stop", "2030-12-02"], "--start", "2030-13-01"),
    (["sky", *SITE, "--start", "2030-01-01", "--stop", "02-01-2030"], "--stop", "02-01-2030"),
    (["sky", *SITE, "--start", "2030-01-02", "--stop", "2030-01-01"], "--stop", "2030-01-01"),
    (["sky", "events", *SITE, "--start", "2030-01-02", "--stop", "2030-01-01"], "--stop",
     "2030-01-01"),
    (["sky", "--lat", "95", "--lon", "0", *SPAN], "--lat", "95"),
    (["sky", *SITE, *SPAN, "--step", "-5"], "--step", "-5"),
    (["sky", *SITE, "--times", "nosuch.txt"], "--times", "nosuch.txt"),
    (["sky", *SITE, *SPAN, "--ground-height", "inf"], "--ground-height", "inf"),
    (["sky", *SITE, *SPAN, "--height", "10"], "--height", "10"),
    (["sky", "events", *SITE, "--start", "2030-02-30", "--stop", "2030-03-02"], "--start",
     "2030-02-30"),
    (["sky", "events", *SITE, *SPAN, "--mask", "95"], "--mask", "95"),
    (["sky", "events", *SITE, *SPAN, "--limb", "side"], "--limb", "side"),
    # ilrs terrain synthetic and ilrs horizon
    (["terrain", "synthetic", "--out", "x.jpg"], "--out", "x.jpg"),
    (["terrain", "synthetic", "--out", "existing.txt/x.tif"], "--out", "existing.txt/x.tif"),
    (["terrain", "synthetic", "--out", "x.tif", "--pixel-m", "nan"], "--pixel-m", "nan"),
    (["terrain", "synthetic", "--out", "x.tif", "--size-px", "8"], "--size-px", "8"),
    (["horizon", "--dem", "nosuch.tif", *SITE], "--dem", "nosuch.tif"),
    ([*HORIZON, "--max-range-km", "-1"], "--max-range-km", "-1"),
    ([*HORIZON, "--height-above-ground", "-2"], "--height-above-ground", "-2"),
    ([*HORIZON, "--out", "h.txt"], "--out", "h.txt"),
    ([*HORIZON, "--n-azimuths", "0"], "--n-azimuths", "0"),
    ([*HORIZON, "--lat", "nan"], "--lat", "nan"),
    # ilrs lighting site and map
    (["lighting", "site", *SITE, "--start", "2030-13-01", "--stop", "2031-01-01"], "--start",
     "2030-13-01"),
    (["lighting", "site", *SITE, "--start", "2030-02-01", "--stop", "2030-01-01"], "--stop",
     "2030-01-01"),
    (["lighting", "site", *SITE, *SPAN, "--step", "0"], "--step", "0"),
    (["lighting", "site", *SITE, *SPAN, "--png", "x.jpg"], "--png", "x.jpg"),
    (["lighting", "site", *SITE, *SPAN, "--height", "10"], "--height", "10"),
    (["lighting", "site", *SITE, *SPAN, "--format", "csv"], "--format", "csv"),
    (["lighting", "site", *SITE, *SPAN, "--max-range-km", "0"], "--max-range-km", "0"),
    (["lighting", "site", *SITE, *SPAN, "--ensemble", "-1"], "--ensemble", "-1"),
    ([*MAP, "--out", "m.png"], "--out", "m.png"),
    ([*MAP, "--out", "m.tif", "--size-km", "-1"], "--size-km", "-1"),
    ([*MAP, "--out", "m.tif", "--resolution-m", "0"], "--resolution-m", "0"),
    ([*MAP, "--out", "m.tif", "--scheduler", "bogus"], "--scheduler", "bogus"),
    ([*MAP, "--out", "prod", "--product", "sun", "--tile-px", "0"], "--tile-px", "0"),
    ([*MAP, "--out", "existing.txt", "--product", "sun"], "--out", "existing.txt"),
    ([*MAP, "--out", "m.tif", "--work-dir", "existing.txt"], "--work-dir", "existing.txt"),
    # ilrs campaign
    (["campaign", "show", "--file", "nosuch.yaml"], "--file", "nosuch.yaml"),
    (["campaign", "validate", "nosuch.yaml"], "FILE", "nosuch.yaml"),
    (["campaign", "gantt", "--out", "g.jpg"], "--out", "g.jpg"),
    (["campaign", "gantt", "--out", "existing.txt/g.png"], "--out", "existing.txt/g.png"),
    (["campaign", "risk", "--trials", "0"], "--trials", "0"),
    (["campaign", "risk", "--widen", "nan"], "--widen", "nan"),
    (["campaign", "risk", "--workers", "0", "--scheduler", "local"], "--workers", "0"),
    (["campaign", "risk", "--scheduler", "bogus"], "--scheduler", "bogus"),
    (["campaign", "risk", "--png", "existing.txt/h.png"], "--png", "existing.txt/h.png"),
    # ilrs study
    ([*SWEEP, "--until", "2040-13-01", "--out", "sw"], "--until", "2040-13-01"),
    ([*SWEEP, "--out", "existing.txt"], "--out", "existing.txt"),
    (["study", "sweep", "--vary", "site.mast_m", "--out", "sw"], "--vary", "site.mast_m"),
    ([*SWEEP, "--site", "95,10", "--out", "sw"], "--site", "95,10"),
    ([*SWEEP, "--scheduler", "bogus", "--out", "sw"], "--scheduler", "bogus"),
    (["study", "size", "--vary", "x", "--goal", "bogus"], "--goal", "bogus"),
    ([*SIZE, "--tolerance", "0"], "--tolerance", "0"),
    ([*SIZE, "--lower", "10", "--upper", "5"], "--upper", "5"),
    ([*SIZE, "--format", "text"], "--format", "text"),
    ([*SIZE, "--until", "2032-02-30"], "--until", "2032-02-30"),
    (["study", "montecarlo", "--trials", "0", "--out", "mc"], "--trials", "0"),
    ([*MC, "--until", "31-12-2040", "--out", "mc"], "--until", "31-12-2040"),
    ([*MC, "--out", "existing.txt"], "--out", "existing.txt"),
    ([*MC, "--dispersions", "nosuch.yaml", "--out", "mc"], "--dispersions", "nosuch.yaml"),
    (["study", "sites", "--site", "1,2,3", "--out", "st"], "--site", "1,2,3"),
    (["study", "sites", "--site", "-89.45,222.69", "--weights", "foo=1", "--out", "st"],
     "--weights", "foo=1"),
    (["study", "sites", "--map", "nosuch.nc", "--out", "st"], "--map", "nosuch.nc"),
    (["study", "sites", "--map", "existing.txt", "--best", "0", "--out", "st"], "--best", "0"),
    # ilrs plan and plan shift
    (["plan", "--start", "2037-13-01"], "--start", "2037-13-01"),
    (["plan", "--days", "0"], "--days", "0"),
    (["plan", "--warm-days", "400"], "--warm-days", "400"),
    (["plan", "--out", "existing.txt"], "--out", "existing.txt"),
    (["plan", "--time-limit", "nan"], "--time-limit", "nan"),
    (["plan", "--activities", "nosuch.yaml"], "--activities", "nosuch.yaml"),
    (["plan", "nosuch.yaml"], "SCENARIO", "nosuch.yaml"),
    (["plan", "shift", "nosuch.json", "--by", "2"], "PLAN", "nosuch.json"),
    (["plan", "shift", "existing.txt", "--by", "nan"], "--by", "nan"),
    (["plan", "shift", "existing.txt", "--by", "2", "--out", "existing.txt"], "--out",
     "existing.txt"),
    # ilrs serve (its option parsing; the server never starts)
    (["serve", "--epoch", "2036-13-01"], "--epoch", "2036-13-01"),
    (["serve", "--port", "70000"], "--port", "70000"),
    (["serve", "--speed", "0"], "--speed", "0"),
    (["serve", "--db", "not-sqlite.db"], "--db", "not-sqlite.db"),
    (["serve", "--scheduler", "bogus"], "--scheduler", "bogus"),
    (["serve", "nosuch.yaml"], "SCENARIO", "nosuch.yaml"),
    (["serve", "--dem", "nosuch.tif"], "--dem", "nosuch.tif"),
    (["serve", "--web", "."], "--web", "."),
]


@pytest.fixture
def folder(tmp_path, monkeypatch, tmp_path_factory) -> Path:
    """A working folder with a file ``existing.txt`` and a non-SQLite ``not-sqlite.db``; the
    per-user data folder elsewhere; every kind of work trapped."""
    (tmp_path / "existing.txt").write_text("a file, not a folder\n")
    (tmp_path / "not-sqlite.db").write_text("not an archive\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))

    def trap(*args, **kwargs):
        raise AssertionError("work started before every option was checked")

    for target in WORK:
        monkeypatch.setattr(target, trap)
    return tmp_path


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.parametrize(("args", "option", "value"), CASES,
                         ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_option_is_one_line_naming_it_before_any_work(folder, capsys, args, option,
                                                              value):
    before = _tree(folder)
    status = main(args)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 1, captured
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in captured.err
    assert option in line and value in line, line
    assert _tree(folder) == before  # nothing created, nothing changed


def test_every_command_is_in_the_table():
    """A new command (or sub-command) needs its rows here."""
    from ilrs.cli import COMMANDS

    covered = {args[0] for args, _, _ in CASES}
    assert covered == set(COMMANDS) - {"ops"}  # ops audit verify: its own tests


def test_a_mistyped_plan_sub_command_is_an_unknown_command(folder, capsys):
    """`shift` is a sub-command of `plan`: `ilrs plan shfit …` is typer's unknown command
    (with its suggestion), not a scenario called "shfit"."""
    assert main(["plan", "shfit", "out/plan/plan.json", "--by", "2"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["error: ilrs plan: No such command 'shfit'. Did you mean 'shift'?"]
    assert main(["plan", "--help"]) == 0
    listing = capsys.readouterr().out
    assert "make" in listing and "shift" in listing


def test_a_station_scenario_given_to_campaign_validate_validates_its_campaign(capsys):
    """examples/no-fission.yaml extends the station's reference (`ilrs run` simulates it):
    `campaign validate` says so and checks the roadmap that station uses."""
    example = Path(__file__).resolve().parents[1] / "examples" / "no-fission.yaml"
    assert main(["campaign", "validate", str(example), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"note: {example} is a station scenario (`ilrs run {example}` simulates it); this is "
        "its campaign: the built-in roadmap"]
    import json

    from ilrs.campaign import Roadmap, validate

    found = json.loads(captured.out)
    assert found == [f.to_dict() for f in validate(Roadmap.load_builtin())]
    assert not any(f["severity"] == "error" for f in found)
