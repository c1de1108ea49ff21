"""One vocabulary across the commands' help: a flag name means one thing everywhere, every
``--format`` is ``table|json`` (``csv`` where rows are long series), every ``--scheduler``
takes the same values in the same words, and flags show no ``<bool>``."""

from __future__ import annotations

import pytest

from ilrs.cli import COMMANDS, load_command, main


def _commands() -> list[tuple[str, object]]:
    """Every runnable command as ``(path, command)``: ``"lighting site"``, ``"sky"``…"""
    found = []

    def walk(path: str, command) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{path} {name}", sub)

    for name in COMMANDS:
        walk(name, load_command(name))
    return found


COMMAND_PATHS = [path for path, _ in _commands()]


def _options(name: str) -> list[tuple[str, object]]:
    return [(path, p) for path, c in _commands() for p in c.params
            if p.param_type_name == "option" and name in p.opts and not p.hidden]


@pytest.mark.parametrize("path", COMMAND_PATHS)
def test_help_shows_no_bool_or_list_types(capsys, path):
    assert main([*path.split(), "--help"]) == 0
    text = capsys.readouterr().out
    assert "--help" in text
    assert "<bool>" not in text and "list[" not in text, text


def test_format_is_table_or_json_and_csv_only_for_series():
    seen = _options("--format")
    assert len(seen) >= 10
    for path, option in seen:
        names = [str(c.value) for c in option.type_descriptor.choices]
        assert names in (["table", "json"], ["table", "csv", "json"]), (path, names)
        assert str(getattr(option.default, "value", option.default)) == "table", path
        if "csv" in names:
            assert path.startswith("sky"), path  # per-instant series


def test_scheduler_takes_the_same_values_in_the_same_words():
    seen = _options("--scheduler")
    assert {p for p, _ in seen} == {"lighting map", "campaign risk", "study sweep",
                                    "study size", "study montecarlo", "study sites", "serve",
                                    "plan campaign"}
    for path, option in seen:
        assert option.default in ("inline", "local"), path
        assert option.help.startswith("Where the work runs: 'inline' (this process), 'local' "
                                      "(a local Dask cluster, one worker a core) or a Dask "
                                      "scheduler address (tcp://host:8786). Default: "
                                      f"{option.default} ("), (path, option.help)


def test_a_height_is_above_the_ground_or_the_grounds_own():
    """``--height-above-ground`` is the eye (mast) over the DEM ground in every command that
    has one; ``--ground-height`` the ground over the sphere (``sky``); bare ``--height`` is
    only a hidden pointer to the new names."""
    mast = {path for path, _ in _options("--height-above-ground")}
    assert mast == {"horizon", "lighting site", "lighting map"}
    assert {path for path, _ in _options("--ground-height")} == {"sky", "sky events"}
    assert _options("--height") == []
    for _, option in _options("--height-above-ground"):
        assert "above the DEM ground" in option.help


def test_default_output_folders_are_under_out(capsys):
    defaults = {path: p.default for path, c in _commands() for p in c.params
                if p.param_type_name == "option" and "--out" in p.opts and p.default}
    assert {str(v) for v in defaults.values()} == {"out/campaign/gantt.png", "out/plan",
                                                  "out/plan-campaign"}
