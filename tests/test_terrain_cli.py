"""``ilrs terrain synthetic`` and ``ilrs horizon`` end to end, errors as one line."""

import numpy as np
import pytest

from ilrs.cli import main
from ilrs.terrain import Dem, HorizonProfile


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "synth.tif"
    assert (
        main(
            [
                "terrain",
                "synthetic",
                "--out",
                str(path),
                "--seed",
                "4",
                "--size-px",
                "256",
                "--pixel-m",
                "100",
            ]
        )
        == 0
    )
    return path


def test_synthetic_then_horizon_to_csv_parquet_png(synth, tmp_path, capsys):
    with Dem(synth) as dem:
        assert dem.synthetic
    csv, parquet, png = tmp_path / "h.csv", tmp_path / "h.parquet", tmp_path / "h.png"
    for out in (csv, parquet, png):
        assert (
            main(
                [
                    "horizon",
                    "--dem",
                    str(synth),
                    "--lat",
                    "-89.8",
                    "--lon",
                    "45",
                    "--height-above-ground",
                    "10",
                    "--n-azimuths",
                    "180",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed and "horizon: highest" in printed
    a, b = HorizonProfile.load(csv), HorizonProfile.load(parquet)
    assert a.azimuth_rad.size == 180 and a.site.mast_m == 10.0
    np.testing.assert_allclose(a.elevation_rad, b.elevation_rad, atol=1e-7)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dem_may_be_repeated_finest_first(synth, tmp_path, capsys):
    fine = tmp_path / "fine.tif"
    assert (
        main(
            [
                "terrain",
                "synthetic",
                "--out",
                str(fine),
                "--seed",
                "4",
                "--size-px",
                "128",
                "--pixel-m",
                "50",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "horizon",
                "--dem",
                str(fine),
                "--dem",
                str(synth),
                "--lat",
                "-90",
                "--lon",
                "0",
                "--n-azimuths",
                "36",
            ]
        )
        == 0
    )
    assert "horizon: highest" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--lat", "-80", "--lon", "0"],  # outside the DEM
        ["--lat", "-90", "--lon", "0", "--out", "x.txt"],  # unknown output type
    ],
)
def test_errors_are_one_line_and_nonzero(synth, args, capsys):
    assert main(["horizon", "--dem", str(synth), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_not_a_dem_is_a_clear_error(tmp_path, capsys):
    bogus = tmp_path / "bogus.tif"
    bogus.write_text("not a raster")
    assert main(["horizon", "--dem", str(bogus), "--lat", "-90", "--lon", "0"]) == 1
    assert "bogus.tif" in capsys.readouterr().err
