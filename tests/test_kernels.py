"""Kernel loading: frame-kernel chains against SPICE, coverage and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import KernelError, OutOfRangeError
from ilrs.sky import Epochs, Kernels, Site, Sky
from ilrs.sky.kernels import default_kernel_paths, frame_chain, parse_text_kernel

# Two TK frames on top of MOON_PA (defined by moon_080317.tf): one by MATRIX, one by
# ANGLES in degrees, chained; SPICE's pxform is the authority for what they mean.
TEST_FK = r"""
\begindata
FRAME_TEST_MATRIX = 1900001
FRAME_1900001_NAME = 'TEST_MATRIX'
FRAME_1900001_CLASS = 4
FRAME_1900001_CLASS_ID = 1900001
FRAME_1900001_CENTER = 301
TKFRAME_1900001_RELATIVE = 'MOON_PA'
TKFRAME_1900001_SPEC = 'MATRIX'
TKFRAME_1900001_MATRIX = ( 0.36 0.48 -0.80
                          -0.80 0.60  0.00
                           0.48 0.64  0.60 )
FRAME_TEST_ANGLES = 1900002
FRAME_1900002_NAME = 'TEST_ANGLES'
FRAME_1900002_CLASS = 4
FRAME_1900002_CLASS_ID = 1900002
FRAME_1900002_CENTER = 301
TKFRAME_1900002_RELATIVE = 'TEST_MATRIX'
TKFRAME_1900002_SPEC = 'ANGLES'
TKFRAME_1900002_UNITS = 'DEGREES'
TKFRAME_1900002_AXES = ( 3, 1, 2 )
TKFRAME_1900002_ANGLES = ( 10.0, -25.0, 40.0 )
\begintext
"""


def test_tk_frames_match_spice_pxform(spice, tmp_path):
    fk = tmp_path / "test.tf"
    fk.write_text(TEST_FK)
    spice.furnsh(str(fk))
    try:
        variables = parse_text_kernel(default_kernel_paths()["fk"].read_text() + TEST_FK)
        for frame in ("TEST_MATRIX", "TEST_ANGLES", "MOON_ME"):
            from_pa, body = frame_chain(variables, frame)
            assert body == 31006  # the MOON_PA_DE421 binary-PCK frame
            ref = np.array(spice.pxform("MOON_PA", frame, 0.0))
            assert np.abs(from_pa - ref).max() < 1e-15
    finally:
        spice.unload(str(fk))


def test_missing_and_bad_files(tmp_path):
    paths = default_kernel_paths()
    with pytest.raises(KernelError, match="cannot read SPK"):
        Kernels.load(tmp_path / "nope.bsp", paths["pck"], paths["fk"])
    junk = tmp_path / "junk.bpc"
    junk.write_bytes(b"not a DAF file" * 100)
    with pytest.raises(KernelError, match="binary PCK"):
        Kernels.load(paths["spk"], junk, paths["fk"])
    with pytest.raises(KernelError, match="does not define frame 'NOPE'"):
        Kernels.load(paths["spk"], paths["pck"], paths["fk"], moon_frame="NOPE")


def test_epochs_outside_the_kernels_raise_with_the_covered_span(sky):
    epochs = Epochs.from_utc(["2030-01-01T00:00:00", "2051-01-01T00:00:00"])
    with pytest.raises(OutOfRangeError) as info:
        sky.topocentric("sun", Site("s", 0, 0), epochs)
    assert info.value.out_of_range_times.tolist() == [False, True]
    assert "2051-01-01" in str(info.value) and "cover 1900-01" in str(info.value)


def test_user_kernels_give_the_same_answer_as_the_default():
    paths = default_kernel_paths()
    sky = Sky(Kernels.load([paths["spk"]], paths["pck"], paths["fk"]))
    epochs = Epochs.from_utc("2035-05-05T05:05:05")
    a = sky.topocentric("earth", Site("s", -89.9, 10.0), epochs)
    b = Sky().topocentric("earth", Site("s", -89.9, 10.0), epochs)
    assert np.array_equal(a.vector_km, b.vector_km)


def test_kernels_from_the_environment(monkeypatch, tmp_path):
    """ILRS_SPK / ILRS_PCK / ILRS_FK replace the defaults (DESIGN: users may configure their
    own kernels); a missing file is one clear error naming the variable."""
    from ilrs.sky.kernels import configured_kernel_paths, default_kernels

    paths = default_kernel_paths()
    copy = tmp_path / "copy.bsp"
    copy.write_bytes(paths["spk"].read_bytes())
    monkeypatch.setenv("ILRS_SPK", str(copy))
    assert configured_kernel_paths()["spk"] == [copy]
    mine = default_kernels()
    assert mine.sources["spk"] == [str(copy)]
    assert mine is default_kernels()  # loaded once per configuration
    monkeypatch.setenv("ILRS_PCK", str(tmp_path / "missing.bpc"))
    with pytest.raises(KernelError, match="ILRS_PCK"):
        default_kernels()
    monkeypatch.delenv("ILRS_SPK")
    monkeypatch.delenv("ILRS_PCK")
    assert default_kernels().sources["spk"] == [str(paths["spk"])]
