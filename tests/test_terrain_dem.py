"""Dem: GeoTIFF, PDS3 IMG+LBL and .npy readers, scale/offset/nodata, lazy windows, errors,
checked on the real LOLA-derived files against the figures in ../shared SOURCE.md."""

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine

from ilrs.errors import DemError, InputError
from ilrs.sky.site import MOON_RADIUS_M
from ilrs.sky.site import MOON_RADIUS_M as R
from ilrs.terrain import (
    Dem,
    Grid,
    PolarStereographic,
    TerrainStack,
    ground_height,
    horizon_profile,
    site_on_dem,
)

LOLA_SOUTH = PolarStereographic.south().proj4


def _pds3_product(tmp_path: Path, n: int = 8) -> Path:
    """A LOLA-GDR-like PDS3 product: int16 LSB, SCALING_FACTOR 0.5, OFFSET = the reference
    radius (as LDEM_75S_120M.LBL), MISSING_CONSTANT -32768, pole-centred 120 m grid."""
    label = f"""PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {2 * n}
FILE_RECORDS = {n}
^IMAGE = "MINI.IMG"
OBJECT = IMAGE
  LINES = {n}
  LINE_SAMPLES = {n}
  SAMPLE_TYPE = LSB_INTEGER
  SAMPLE_BITS = 16
  UNIT = METER
  SCALING_FACTOR = 0.5
  OFFSET = 1737400.
  MISSING_CONSTANT = -32768
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  MAP_PROJECTION_TYPE = "POLAR STEREOGRAPHIC"
  A_AXIS_RADIUS = 1737.4 <KM>
  B_AXIS_RADIUS = 1737.4 <KM>
  C_AXIS_RADIUS = 1737.4 <KM>
  CENTER_LATITUDE = -90.0 <DEG>
  CENTER_LONGITUDE = 0.0 <DEG>
  MAP_SCALE = 0.12 <KM/PIXEL>
  MAP_PROJECTION_ROTATION = 0.0
  LINE_PROJECTION_OFFSET = {n / 2 - 0.5} <PIXEL>
  SAMPLE_PROJECTION_OFFSET = {n / 2 - 0.5} <PIXEL>
  POSITIVE_LONGITUDE_DIRECTION = "EAST"
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""
    (tmp_path / "MINI.LBL").write_text(label)
    raw = (np.arange(n * n).reshape(n, n) * 2).astype("<i2")
    raw[0, 0] = -32768
    raw.tofile(tmp_path / "MINI.IMG")
    return tmp_path / "MINI.LBL"


def test_pds3_img_lbl_scale_offset_and_missing_constant(tmp_path):
    with Dem(_pds3_product(tmp_path)) as dem:
        assert dem.pixel_m == 120.0 and dem.projection.same_as(PolarStereographic.south())
        grid = dem.read(*dem.bounds_m)
    # raw*0.5 + OFFSET(=radius) - radius: heights relative to the sphere, not radii
    assert grid.heights_m[0, 1] == 1.0 and grid.heights_m[1, 0] == 8.0
    assert math.isnan(grid.heights_m[0, 0])
    # the pole sits at pixel-centre coordinate 3.5 (LINE/SAMPLE_PROJECTION_OFFSET)
    assert grid.x0_m == -3.5 * 120.0 and grid.y0_m == 3.5 * 120.0
    # the .IMG may be given instead of its detached label
    with Dem(tmp_path / "MINI.IMG") as dem:
        assert dem.read(*dem.bounds_m).heights_m[0, 1] == 1.0


def _geotiff(path, data, *, crs=LOLA_SOUTH, pixel=100.0, nodata=None, scale=1.0, offset=0.0):
    rows, cols = data.shape
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": data.dtype.name,
        "nodata": nodata,
        "transform": Affine(pixel, 0.0, -cols / 2 * pixel, 0.0, -pixel, rows / 2 * pixel),
    }
    if crs is not None:
        profile["crs"] = CRS.from_user_input(crs)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.scales, dst.offsets = (scale,), (offset,)
    return path


def test_geotiff_scale_and_nodata_become_metres_and_nan(tmp_path):
    data = np.full((16, 16), 400, dtype=np.int16)
    data[8, 8] = -32768
    path = _geotiff(tmp_path / "s.tif", data, nodata=-32768, scale=0.5, offset=10.0)
    with Dem(path) as dem:
        assert dem.height_at(-89.99, 0.0) == 210.0
        grid = dem.read(-300, -300, 300, 300)
        assert np.isnan(grid.heights_m).sum() == 1
        with pytest.raises(DemError, match="nodata hole"):
            dem.height_at(-90.0, 0.0)  # the pole lies between the hole and its neighbours


def test_geotiff_decimated_read_averages_blocks(tmp_path):
    data = np.zeros((64, 64), dtype=np.float32)
    data[8:12, 8:12] = 16.0
    data[8, 8] = np.nan  # a hole does not count in the block mean
    with Dem(_geotiff(tmp_path / "d.tif", data, nodata=float("nan"))) as dem:
        coarse = dem.read(*dem.bounds_m, pixel_m=400.0)
    assert coarse.pixel_m == 400.0 and coarse.shape == (16, 16)
    assert coarse.heights_m[2, 2] == pytest.approx(16.0)
    assert float(np.nansum(coarse.heights_m)) == pytest.approx(16.0)


def test_npy_sidecar_round_trip_and_missing_sidecar(tmp_path):
    grid = Grid(
        np.arange(36, dtype=np.float32).reshape(6, 6), 5.0, -5.0, 10.0, PolarStereographic.south()
    )
    path = grid.write_npy(tmp_path / "g.npy", description="test")
    with Dem(path) as dem:
        back = dem.read(*dem.bounds_m)
        np.testing.assert_array_equal(back.heights_m, grid.heights_m)
        assert (back.x0_m, back.y0_m, back.pixel_m) == (5.0, -5.0, 10.0)
        # bilinear between pixel centres (row 0 col 0 at x=5, y=-5)
        assert float(dem.heights_xy(10.0, -10.0)[0]) == pytest.approx((0 + 1 + 6 + 7) / 4)
    path.with_suffix(".json").unlink()
    with pytest.raises(DemError, match="sidecar"):
        Dem(path)


def test_window_reads_are_lazy_on_a_product_the_size_of_ldem_80s(tmp_path):
    """A 20 000 × 20 000 float32 grid (1.6 GB, LDEM_80S-sized) on disk; reading one area
    touches only that window (sparse file: the rest is never written or read)."""
    n = 20_000
    path = tmp_path / "big.npy"
    big = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, n))
    big[10_000:10_010, 10_000:10_010] = 123.0
    del big
    Grid(
        np.zeros((2, 2), np.float32),
        -n / 2 * 20.0 + 10.0,
        n / 2 * 20.0 - 10.0,
        20.0,
        PolarStereographic.south(),
    ).write_npy(tmp_path / "tmp.npy")
    sidecar = (tmp_path / "tmp.json").read_text()
    (tmp_path / "big.json").write_text(sidecar)
    with Dem(path) as dem:
        assert (dem.width, dem.height) == (n, n)
        grid = dem.read(50.0, -150.0, 150.0, -50.0)
        assert grid.heights_m.size < 100
        assert float(dem.heights_xy(100.0, -100.0)[0]) == 123.0
        coarse = dem.read(-10_000.0, -10_000.0, 10_000.0, 10_000.0, pixel_m=200.0)
        assert coarse.pixel_m == 200.0 and coarse.heights_m.shape[0] < 110
        assert float(coarse.heights_m.max()) == pytest.approx(123.0)  # one full 10×10 block
        # horizons around it read a small pyramid: full resolution near, 4×, 16× further
        site = site_on_dem(dem, -89.9, 90.0, mast_m=10.0)  # 3 km from the 123 m block
        stack = TerrainStack.around(dem, site, 40_000.0, max_side_px=512)
        assert [g.pixel_m for g in stack.grids] == [20.0, 80.0, 320.0]
        assert max(max(g.shape) for g in stack.grids) <= 520
        profile = horizon_profile(None, site, 36, 40_000.0, stack=stack)
        away = np.abs(profile.azimuth_deg - 180.0) > 30.0  # the block is toward the pole
        dip = -math.acos(R / (R + 10.0))
        np.testing.assert_allclose(profile.elevation_rad[away], dip, atol=1e-6)
        assert profile.elevation_rad[18] > 0.0


@pytest.mark.parametrize(
    ("crs", "match"),
    [
        (None, "no coordinate reference system"),
        ("EPSG:3031", "not a lunar elevation model"),
        (f"+proj=eqc +R={MOON_RADIUS_M} +units=m", "unsupported projection"),
    ],
)
def test_bad_crs_is_a_clear_error(tmp_path, crs, match):
    path = _geotiff(tmp_path / "bad.tif", np.zeros((4, 4), np.float32), crs=crs)
    with pytest.raises(DemError, match=match) as info:
        Dem(path)
    assert info.value.path == str(path)


def test_missing_file_and_point_outside(tmp_path):
    with pytest.raises(DemError, match="no such file"):
        Dem(tmp_path / "nope.tif")
    path = _geotiff(tmp_path / "s.tif", np.zeros((8, 8), np.float32))
    with Dem(path) as dem, pytest.raises(DemError, match="does not cover"):
        dem.height_at(-80.0, 0.0)
    with pytest.raises(InputError):
        ground_height([], -90.0, 0.0)


def test_shared_files_read_as_source_md_says(lunar_dem_dir):
    """SOURCE.md: file 1 reads 1292 m at the pole and 1948.8 m at 89.45°S 222.69°E;
    Shackleton's floor is about −2.84 km near X ≈ +7.7 km, Y ≈ −6.4 km."""
    with Dem(lunar_dem_dir / "ldem75s120m_southpole_240m.tif") as dem:
        assert dem.pixel_m == 240.0 and dem.bounds_m == (
            -184_320.0,
            -184_320.0,
            184_320.0,
            184_320.0,
        )
        assert dem.height_at(-90.0, 0.0) == pytest.approx(1292.0, abs=1.0)
        assert dem.height_at(-89.45, 222.69) == pytest.approx(1948.8, abs=0.5)
        crater = dem.read(-3_000.0, -17_000.0, 18_000.0, 4_000.0)
        assert float(np.nanmin(crater.heights_m)) == pytest.approx(-2840.0, abs=40.0)
        rows, cols = np.nonzero(crater.heights_m < -2_000.0)  # the deep bowl
        x_c = crater.x0_m + cols.mean() * crater.pixel_m
        y_c = crater.y0_m - rows.mean() * crater.pixel_m
        assert math.hypot(x_c - 7_700.0, y_c + 6_400.0) < 1_000.0


def test_site01_agrees_with_ldem_as_source_md_says(lunar_dem_dir):
    """SOURCE.md: at 1024 common points file 3 − file 1 has mean +0.6 m and s.d. 5.4 m."""
    x, y = np.meshgrid(np.linspace(-18_500, -3_500, 32), np.linspace(-19_500, -4_500, 32))
    with (
        Dem(lunar_dem_dir / "pgda_site01_connecting_ridge_10m.tif") as fine,
        Dem(lunar_dem_dir / "ldem75s120m_southpole_240m.tif") as coarse,
    ):
        diff = fine.heights_xy(x.ravel(), y.ravel()) - coarse.heights_xy(x.ravel(), y.ravel())
        site = site_on_dem([fine, coarse], -89.45, 222.69, mast_m=2.0)
    assert abs(float(diff.mean()) - 0.6) < 1.5 and 3.0 < float(diff.std()) < 8.0
    assert site.height_m == pytest.approx(1948.8, abs=10.0) and site.mast_m == 2.0
