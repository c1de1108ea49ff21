"""A fault of the scenario reported by the live twin (a PUS-5 event) makes the planner
repair the current plan and re-deliver it within 10 s (ilrs.ops.desks.repair). The
reference scenario loses a battery cell on 2036-01-10: the live twin starts 20 minutes
before it (2 s of wall time at 600×)."""

from __future__ import annotations

import json
import time
from typing import get_args

import pytest

from ilrs.ops.api.serve import LiveStation, Server
from ilrs.ops.desks.repair import FaultKind
from ilrs.station.config import FaultKind as TwinFaultKind
from test_plan_serve import _http, _plan_body, _wait_for


def test_the_planner_knows_every_fault_kind_of_the_twin():
    assert get_args(FaultKind) == get_args(TwinFaultKind)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("f") / "a.db"),
                          pump_period_s=0.05, epoch_utc="2036-01-09T23:40:00")
    with Server(station) as running:
        yield running


def test_a_scenario_fault_repairs_the_plan_within_10_s(server):
    ops = server.station.ops
    with _http(server, "flight.director") as c:
        up = c.post("/api/plans", json=_plan_body(server, lead_s=60.0)).json()
        fault = _wait_for(lambda: [e for e in ops.archive.events(limit=10_000)
                                   if "battery-cell-loss" in e.message], 30.0,
                          "the twin's battery-cell-loss event")[0]
        t0 = time.monotonic()
        latest = _wait_for(lambda: (lambda p: p if p[-1]["version"] > up["version"] else None)(
            c.get("/api/plans").json()), 10.0, "a repaired plan version")[-1]
        assert time.monotonic() - t0 < 10.0
    assert latest["reason"].startswith("repair: fault: battery-cell-loss: "), latest
    assert fault.time_ns >= int(time.mktime(time.strptime("2036-01-10", "%Y-%m-%d"))
                                - time.timezone) * 10**9
    audit = _wait_for(lambda: [r for r in ops.archive.audit_records()
                               if r.action == "plan.repair" and r.user == "ilrs.planner"],
                      10.0, "the audit record")[-1]  # fmt: skip
    assert audit.outcome == "ok"
    assert json.loads(audit.request)["from_version"] == up["version"]
