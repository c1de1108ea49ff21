"""UTC ↔ TDB against astropy.time (IAU SOFA via ERFA, full TDB−TT series) and leap seconds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ilrs.errors import InputError, TimeFormatError
from ilrs.sky import Epochs
from ilrs.sky.timescale import DAY_S, J2000_JD, tdb_s_to_utc_iso, utc_to_tdb_s

astropy_time = pytest.importorskip("astropy.time")

INSTANTS = [
    "1950-06-01T00:00:00", "1972-06-30T23:59:60", "1999-12-31T23:59:59.5",
    "2000-01-01T12:00:00", "2016-12-31T23:59:60.25", "2017-01-01T00:00:00",
    "2030-01-01T00:00:00", "2049-12-31T12:34:56.789",
]


def test_utc_to_tdb_matches_astropy():
    """NAIF's one-term TDB−TT series differs from the full series by < 50 µs (NAIF LSK)."""
    ours = utc_to_tdb_s(INSTANTS)
    with warnings.catch_warnings():  # "dubious year" past the leap-second table's end
        warnings.simplefilter("ignore")
        t = astropy_time.Time(INSTANTS, format="isot", scale="utc").tdb
    ref = ((t.jd1 - J2000_JD) + t.jd2) * DAY_S
    assert np.abs(ours - ref).max() < 5e-5


def test_known_epoch_j2000():
    """J2000.0 = 2000-01-01T11:58:55.816 UTC (IERS; TT − UTC = 64.184 s then)."""
    assert abs(utc_to_tdb_s(["2000-01-01T11:58:55.816"])[0]) < 1e-4


def test_round_trip_including_leap_second():
    back = tdb_s_to_utc_iso(utc_to_tdb_s(INSTANTS), 3)
    assert back[1] == "1972-06-30T23:59:60.000"
    assert back[4] == "2016-12-31T23:59:60.250"
    assert back[-1] == "2049-12-31T12:34:56.789"


def test_range_counts_si_seconds_across_a_leap_second():
    e = Epochs.from_range("2016-12-31T23:59:58", "2017-01-01T00:00:01", 1.0)
    assert e.utc_iso(0) == [
        "2016-12-31T23:59:58", "2016-12-31T23:59:59", "2016-12-31T23:59:60",
        "2017-01-01T00:00:00", "2017-01-01T00:00:01",
    ]
    assert np.allclose(np.diff(e.tdb_s), 1.0, atol=1e-6)


@pytest.mark.parametrize(
    "text", ["2030-13-01T00:00:00", "2030-02-30", "yesterday", "2030-01-01T24:00:00",
             "2030-01-01T23:59:60"],
)
def test_bad_strings_name_what_was_wrong(text):
    with pytest.raises(TimeFormatError, match="UTC time"):
        Epochs.from_utc(text)


def test_bad_range():
    with pytest.raises(InputError, match="step"):
        Epochs.from_range("2030-01-01", "2030-01-02", 0)
    with pytest.raises(InputError, match="stop"):
        Epochs.from_range("2030-01-02", "2030-01-01", 60)


def test_instants_past_the_leap_second_table_issue_no_warning(monkeypatch):
    """ERFA calls past its table ("dubious year") must not warn at all: silencing a warning
    with ``warnings.catch_warnings`` is not thread-safe, and in ``ilrs serve`` one thread's
    exit from it re-armed the warning in another (a test failed on ErfaWarning, 2026-12-01).
    Every warning pyerfa issues goes through ``erfa.core.warn``: none may be issued."""
    import erfa.core

    issued = []
    monkeypatch.setattr(erfa.core, "warn", lambda *a, **k: issued.append(a))
    tdb = utc_to_tdb_s(["2036-01-01T00:00:00", "1950-01-01T00:00:00", "2016-12-31T23:59:60"])
    assert tdb_s_to_utc_iso(tdb, 0) == ["2036-01-01T00:00:00", "1950-01-01T00:00:00",
                                        "2016-12-31T23:59:60"]
    assert len(Epochs.from_range("2040-01-01", "2040-01-02", 3600.0)) == 25
    assert issued == []
