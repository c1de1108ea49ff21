"""Replanning in ``ilrs serve`` (ilrs.ops.desks.repair): after a declared fault or a drift
between plan and housekeeping, the rest of the plan is repaired and re-delivered within
10 s, the new version stored and audited, the superseded time-tagged commands deleted."""

from __future__ import annotations

import json
import time

import pytest

from ilrs.ops.api.serve import LiveStation, Server
from test_plan_serve import OWN, _http, _plan_body, _stored, _wait_for

FAULT = {"reason": "array 1a lost half its output",
         "fault": {"kind": "array-degradation", "target": "array-1a", "magnitude": 0.5}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("rep") / "a.db"),
                          pump_period_s=0.05)
    with Server(station) as running:
        yield running


def _audits(server, action: str) -> list:
    return [r for r in server.station.ops.archive.audit_records() if r.action == action]


def test_nothing_to_repair_before_a_plan_is_uploaded(server):
    with _http(server, "flight.director") as c:
        r = c.post("/api/plans/repair", json=FAULT)
    assert r.status_code == 409, r.text
    assert server.station.ops.archive.plans() == []


def test_a_declared_fault_repairs_and_redelivers_the_plan_within_10_s(server):
    body = _plan_body(server, lead_s=6000.0)          # the plan starts 10 s of wall time ahead
    latest = server.station.ops.processor.latest_value
    _wait_for(lambda: latest("station.data.buffer_bit") is not None, what="housekeeping")
    with _http(server, "flight.director") as c:
        first = c.post("/api/plans", json=body).json()
        t0 = time.monotonic()
        r = c.post("/api/plans/repair", json=FAULT)
        wall_s = time.monotonic() - t0
        assert r.status_code == 200, r.text
        second = r.json()
        assert second["version"] == first["version"] + 1
        assert second["repair_s"] < 10.0 and wall_s < 10.0
        listed = c.get("/api/plans").json()
        assert listed[-1]["reason"] == f"repair: {FAULT['reason']}"
        assert listed[-1]["user"] == "flight.director"      # the plan's authority
        stored = c.get(f"/api/plans/{second['version']}").json()["plan"]
        assert stored["solver"]["repair"]["trigger"] == FAULT["reason"]
        old = [c.get(f"/api/commands/{i}").json() for i in first["commands"]]
    # every command of the old version was still ahead on board: all deleted there
    assert all(x["state"] == "rejected" for x in old)
    assert all(any(s["stage"] == "cancelled" and "TC[11,5]" in s["detail"]
                   for s in x["stages"]) for x in old)
    # the repair started from the station's state in housekeeping at the upload
    deliveries = server.station.plans.deliveries
    initial = deliveries[first["version"]].initial
    assert set(initial) == {"energy_j", "buffer_bit", "hold", "shed"} and initial["energy_j"] > 0
    assert deliveries[second["version"]].initial == initial
    audit = _audits(server, "plan.repair")[-1]
    assert audit.user == "flight.director" and audit.outcome == "ok"
    request = json.loads(audit.request)
    assert request["from_version"] == first["version"]
    assert request["fault"]["kind"] == "array-degradation"


@pytest.mark.parametrize("who, body, status, field", [
    ("viewer", FAULT, 403, None),
    ("russia.operator", FAULT, 403, None),   # a partner operator: not a flight director
    ("flight.director", {"fault": {"kind": "meteorite"}}, 422, "body.fault.kind"),
    ("flight.director", {"fault": {"kind": "array-degradation", "magnitude": 2}}, 422,
     "body.fault.magnitude"),
    ("flight.director", {"reason": ""}, 422, "body.reason"),
    # a misspelt component would change nothing in the planner's model, silently
    ("flight.director", {"fault": {"kind": "array-degradation", "target": "array-9z"}}, 422,
     "body.fault.target"),
    ("flight.director", {"fault": {"kind": "rover-fault", "target": "array-1a"}}, 422,
     "body.fault.target"),
])
def test_a_repair_is_refused_to_others_and_to_bad_input(server, who, body, status, field):
    with _http(server, "flight.director") as c:
        assert c.post("/api/plans", json=_plan_body(server, lead_s=6000.0)).status_code == 201
    before = _stored(server)
    with _http(server, who) as c:
        r = c.post("/api/plans/repair", json=body)
    assert r.status_code == status, r.text
    if field:
        assert r.json()["field"] == field
    assert _stored(server) == before


def test_a_drift_from_the_plan_is_repaired_within_10_s(server):
    """The plan runs Russia's payload; its operator switches it off in the middle of the
    run: the housekeeping disagrees with the plan and the planner repairs it."""
    body = _plan_body(server, lead_s=600.0)     # the run: 40 to 70 simulated minutes ahead
    with _http(server, "russia.operator") as c:
        up = c.post("/api/plans", json=body).json()
        on = next(x for x in (c.get(f"/api/commands/{i}").json() for i in up["commands"])
                  if x["name"] == f"{OWN}.run")
        _wait_for(lambda: c.get(f"/api/commands/{on['id']}").json()["state"] == "completed",
                  30.0, "the run started on board")
        off = c.post("/api/commands", json={"name": f"{OWN}.power_off"}).json()
        _wait_for(lambda: c.get(f"/api/commands/{off['id']}").json()["state"] == "completed",
                  30.0, "the payload switched off by hand")
        t0 = time.monotonic()
        latest = _wait_for(lambda: (lambda p: p if p[-1]["version"] > up["version"] else None)(
            c.get("/api/plans").json()), 10.0, "a repaired plan version")[-1]
        assert time.monotonic() - t0 < 10.0
    assert latest["reason"].startswith(f"repair: drift: {OWN} off in telemetry")
    # audited once the commands are issued (just after the version is stored)
    audit = _wait_for(lambda: [r for r in _audits(server, "plan.repair")
                               if r.user == "ilrs.planner"], 10.0, "the audit record")[-1]
    assert audit.outcome == "ok"
    assert json.loads(audit.request)["from_version"] == up["version"]
    repairs = server.station.plans.replanner.repairs
    assert repairs[-1].record.version == latest["version"] and repairs[-1].repair_s < 10.0
