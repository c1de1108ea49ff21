"""Plan versions in the archive (ilrs.ops.archive.plans): stored whole, listed in order,
append-only and unique by version — on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

import test_ops_support as support
from ilrs.errors import ArchiveError
from ilrs.ops.archive import PlanRecord, open_archive


@pytest.fixture(params=support.BACKENDS)
def archive(request, tmp_path):
    with open_archive(support.archive_url(request.param, tmp_path)) as a:
        yield a


def _record(version: int, user: str = "ana") -> PlanRecord:
    body = json.dumps({"version": version, "activities": [{"kind": "seismic-monitoring"}]})
    return PlanRecord(version, 10 * version, user, "upload", 1, 3, body)


def test_plan_versions_round_trip_in_order(archive):
    assert archive.last_plan_version() == 0 and archive.plans() == []
    for v in (1, 2, 3):
        archive.append_plan(_record(v))
    assert archive.last_plan_version() == 3
    assert [p.version for p in archive.plans()] == [1, 2, 3]
    assert [p.version for p in archive.plans(after_version=1, limit=1)] == [2]
    assert archive.plan(2) == _record(2)
    assert archive.plan(4) is None


def test_plan_versions_are_append_only_and_unique(archive):
    archive.append_plan(_record(1))
    with pytest.raises(ArchiveError):
        archive.append_plan(_record(1, user="mallory"))   # the version is taken
    for sql in ("UPDATE plans SET body = 'x'", "DELETE FROM plans"):
        with pytest.raises(ArchiveError, match="append-only"), archive._guard("tamper"):
            archive._run(sql)
    assert archive.plans() == [_record(1)]
