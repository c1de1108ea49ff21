"""The ``ilrs`` command starts without importing the heavy layers, says its version, and
turns every bad argument into one line with exit status 1; piped output never wraps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilrs import __version__
from ilrs.cli import COMMANDS, load_command, main

#: What `ilrs --help` and each command's argument parsing must not import.
HEAVY = ("numpy", "numba", "scipy", "matplotlib", "dask", "distributed", "fastapi",
         "uvicorn", "pyarrow", "xarray", "rasterio", "psycopg", "ortools")

_PROBE = """
import json, sys
from ilrs.cli import main
status = main(sys.argv[1:])
heavy = [m for m in json.loads({heavy!r}) if m in sys.modules]
print(json.dumps({{"status": status, "heavy": heavy}}), file=sys.stderr)
"""


def _imports_after(*args: str) -> dict:
    code = _PROBE.format(heavy=json.dumps(HEAVY))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=60, check=False)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_no_heavy_layer():
    assert _imports_after("--help") == {"status": 0, "heavy": []}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_commands_help_imports_no_heavy_layer(command):
    """Every command parses its arguments (and prints its help) before importing a layer."""
    assert _imports_after(command, "--help") == {"status": 0, "heavy": []}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_line_of_each_command_is_the_commands_own(name):
    """`ilrs --help` lists COMMANDS' lines without importing; they must stay the modules'."""
    command = load_command(name)
    assert command.get_short_help_str(limit=1000) == COMMANDS[name][1]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ilrs {__version__}"


def test_an_unknown_command_is_one_line_and_status_1(capsys):
    assert main(["nosuch"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "nosuch" in err[0] and err[0].startswith("error: ")


def test_piped_tables_do_not_wrap():
    """Through a pipe rich would wrap at 80 columns and cut the mission table's cells."""
    done = subprocess.run([sys.executable, "-m", "ilrs.cli", "campaign", "show"],
                          capture_output=True, text=True, timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) > 100
    assert any("ILRS-1" in line and "command-center, basic-energy, telecommunication" in line
               for line in lines)


def test_audit_verify_refuses_a_missing_or_foreign_file(capsys, tmp_path):
    """README's `ilrs ops audit verify --db ilrs-archive.db` on no archive: no empty file
    created, no false "intact"; a non-SQLite file: one line, not a traceback."""
    missing = tmp_path / "ilrs-archive.db"
    assert main(["ops", "audit", "verify", "--db", str(missing)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "existing archive" in err[0] and not missing.exists()
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not an archive\n" * 10)
    assert main(["ops", "audit", "verify", "--db", str(foreign)]) == 1
    captured = capsys.readouterr()
    assert "intact" not in captured.out and len(captured.err.splitlines()) == 1
    assert "not SQLite" in captured.err and foreign.read_text().startswith("not an archive")


def test_a_notice_when_the_kernels_are_not_compiled_yet(tmp_path):
    """With an empty numba cache the first run says it compiles; with the cache, silence."""
    code = ("import sys; from rich.console import Console; from ilrs.cli._console import "
            "compile_notice; print(compile_notice(Console(file=sys.stderr), "
            "'ilrs.station._kernels:run_block'))")
    empty = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    fresh = subprocess.run([sys.executable, "-c", code], env=empty, capture_output=True,
                           text=True, timeout=120, check=True)
    assert fresh.stdout.strip() == "True"
    assert fresh.stderr.strip() == "compiling kernels once, ~60 s (cached on disk for every "\
        "later run)"
    from ilrs.station import _kernels

    index = Path(_kernels.run_block._cache._cache_file._index_path)
    if index.is_file():  # this checkout has compiled it: no notice
        cached = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=120, check=True,
                                env={k: v for k, v in os.environ.items()
                                     if k != "NUMBA_CACHE_DIR"})
        assert cached.stdout.strip() == "False" and cached.stderr == ""
