"""Plans in ``ilrs serve`` (ilrs.ops.desks.plans, ilrs.ops.api.plans): an operator uploads a
plan, the command center stores the version, audits it and delivers it as PUS-11
time-tagged commands that the live twin executes; everyone else is refused and nothing
is stored."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import demo_token
from ilrs.ops.api.serve import LiveStation, Server
from ilrs.plan.horizon import utc_to_tdb
from ilrs.plan.plan import Activity, Plan
from test_ops_support import wait_for as _wait_for

SEISMO = "Lunar physics station (seismometer, heat flow, magnetometer)"
OWN = "payload.lunar_physics_station"  # Russia's payload (ILRS-2) in the built-in roadmap


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("plans") / "a.db"),
                          pump_period_s=0.05)
    with Server(station) as running:
        yield running


def _other_operator(server) -> str:
    return next(u.name for u in server.station.users
                if u.role == "partner_operator" and u.partner != "russia")


def _http(server, user: str | None = None, token: str | None = None) -> httpx.Client:
    token = token if token is not None else (demo_token(server, user) if user else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


def _plan_body(server, *, lead_s: float = 1800.0, payload: str | None = SEISMO,
               rover: str | None = None) -> dict:
    """A two-hour plan starting ``lead_s`` simulated seconds (at 600×, ``lead_s`` / 600 s
    of wall time) ahead of the mission clock, one half-hour activity in its middle."""
    with _http(server, "flight.director") as c:
        now = _wait_for(lambda: c.get("/api/status").json()["mission_time"], what="the clock")
    t0 = utc_to_tdb(now.replace("Z", "")[:19]) + lead_s
    act = Activity(name="Seismic monitoring", kind="seismic-monitoring", instance=0,
                   start_tdb_s=t0 + 1800.0, stop_tdb_s=t0 + 3600.0, power_w=100.0,
                   data_bit_s=0.0, needs=(), payload=payload, rover=rover,
                   resource=payload or rover or "isru", crew=0, value=1.0)
    return Plan(t0, t0 + 7200.0, [act]).to_json()


def _stored(server) -> tuple[int, int, int]:
    """(plan versions, commands, plan.upload audit records ok) in the archive."""
    archive = server.station.ops.archive
    ok = [r for r in archive.audit_records() if r.action == "plan.upload" and r.outcome == "ok"]
    return len(archive.plans()), len(archive.commands(limit=100_000)), len(ok)


def test_an_operator_uploads_a_plan_that_is_stored_audited_and_run_on_board(server):
    before = _stored(server)
    body = _plan_body(server)
    with _http(server, "russia.operator") as c:
        r = c.post("/api/plans", json=body)
        assert r.status_code == 201, r.text
        answer = r.json()
        version = answer["version"]
        assert answer["activities"] == 1 and len(answer["commands"]) == 4
        listed = c.get("/api/plans").json()
        assert [p["version"] for p in listed][-1] == version
        assert listed[-1]["user"] == "russia.operator"
        one = c.get(f"/api/plans/{version}").json()
        assert one["plan"]["version"] == version
        assert [a["kind"] for a in one["plan"]["activities"]] == ["seismic-monitoring"]
        assert one["plan"]["activities"][0]["start_utc"] == body["activities"][0]["start_utc"]
        # the four PUS-11 commands: off at the start, run and off around the activity,
        # back to its rule at the plan's end
        def states():
            cmds = [c.get(f"/api/commands/{i}").json() for i in answer["commands"]]
            return cmds if all(x["state"] == "completed" for x in cmds) else None
        cmds = _wait_for(states, 60.0, "the plan's commands completed on board")
    assert [x["name"] for x in cmds] == [f"{OWN}.power_off", f"{OWN}.run",
                                         f"{OWN}.power_off", f"{OWN}.power_on"]
    assert all(x["release_at_utc"] for x in cmds)
    assert [s for s in cmds[1]["stages"] if s["stage"] == "scheduled"][-1]["status"] == "ok"
    assert _stored(server) == (before[0] + 1, before[1] + 4, before[2] + 1)
    record = server.station.ops.archive.plan(version)
    assert record.user == "russia.operator" and json.loads(record.body)["version"] == version
    audit = [r for r in server.station.ops.archive.audit_records() if r.action == "plan.upload"]
    assert json.loads(audit[-1].request)["activities"] == 1 and audit[-1].outcome == "ok"


def test_a_new_version_supersedes_the_old_one_on_board(server):
    """Versions grow whatever the file says; the old version's time-tagged commands are
    deleted from the on-board schedule (TC[11,5]) and never run, the new one's do."""
    body = _plan_body(server, lead_s=3000.0) | {"version": 99}  # 5 s of wall time ahead
    spacecraft = server.station.spacecraft
    with _http(server, "flight.director") as c:
        first = c.post("/api/plans", json=body).json()
        second = c.post("/api/plans", json=body).json()
        assert second["version"] == first["version"] + 1 and first["version"] < 99

        def ids(answer):
            return {(x["apid"], x["seq_count"]) for x in
                    (c.get(f"/api/commands/{i}").json() for i in answer["commands"])}

        # before the first release time: on board, exactly the new version's commands
        new_ids = ids(second)
        _wait_for(lambda: {(tc.apid, tc.seq_count) for _, tc in spacecraft.schedule}
                  == new_ids, 4.0, "the on-board schedule holding v2 only")

        def final(ids, state):
            cmds = [c.get(f"/api/commands/{i}").json() for i in ids]
            return cmds if all(x["state"] == state for x in cmds) else None

        old = _wait_for(lambda: final(first["commands"], "rejected"), what="v1 withdrawn")
        new = _wait_for(lambda: final(second["commands"], "completed"), 60.0, "v2 run")
    for x in old:
        stages = {s["stage"]: s for s in x["stages"]}
        assert "superseded by plan v" in stages["cancelled"]["detail"]
        assert "started" not in stages          # never released on board
    assert [x["release_at_utc"] for x in new] == [x["release_at_utc"] for x in old]


def _revoked_token(server) -> str:
    with _http(server, "russia.operator") as c:
        issued = c.post("/api/tokens", json={}).json()
        assert c.delete(f"/api/tokens/{issued['id']}").json()["revoked"] is True
    return issued["token"]


@pytest.mark.parametrize("who, status", [
    ("viewer", 403),            # reads, never commands
    ("other operator", 403),    # another partner's operator on Russia's payload
    ("revoked", 401),           # a token revoked by its owner
    ("nobody", 401),            # no token at all
])
def test_attackers_are_refused_and_nothing_is_stored(server, who, status):
    body = _plan_body(server)
    token = {"viewer": demo_token(server, "viewer"), "revoked": _revoked_token(server),
             "other operator": demo_token(server, _other_operator(server)), "nobody": ""}[who]
    before = _stored(server)
    with _http(server, token=token) as c:
        r = c.post("/api/plans", json=body)
    assert r.status_code == status, r.text
    assert _stored(server) == before


def test_an_operator_may_not_plan_the_station_bus(server):
    """An activity with no twin load runs on the station's bus: the station's owner's."""
    body = _plan_body(server, payload=None)
    before = _stored(server)
    with _http(server, "russia.operator") as c:
        r = c.post("/api/plans", json=body)
    assert r.status_code == 403 and "station" in r.json()["detail"]
    assert _stored(server) == before


def _malformed(server):
    good = _plan_body(server)
    act = good["activities"][0]
    return [
        ({**good, "activities": [{**act, "start_utc": "yesterday"}]}, "activities.0.start_utc"),
        ({**good, "activities": [{**act, "stop_utc": act["start_utc"]}]},
         "activities.0.stop_utc"),
        ({**good, "stop_utc": good["start_utc"]}, "stop_utc"),
        ({**good, "start_utc": "2199-01-01T00:00:00"}, "start_utc"),
        ({**good, "activities": [{**act, "needs": ["moonlit"]}]}, "activities.0.needs"),
        ({**good, "activities": [{**act, "payload": "Death ray"}]}, "activities.0.payload"),
        ({**good, "activities": [{**act, "power_w": -5}]}, "body.activities.0.power_w"),
        ({k: v for k, v in good.items() if k != "activities"}, "body.activities"),
        ([1, 2, 3], "body"),
    ]


def test_malformed_plans_get_a_4xx_naming_the_field_and_nothing_is_stored(server):
    before = _stored(server)
    with _http(server, "flight.director") as c:
        for body, field in _malformed(server):
            r = c.post("/api/plans", json=body)
            assert r.status_code == 422, (field, r.text)
            assert r.json()["field"] == field, r.json()
        r = c.post("/api/plans", content=b"{not json", headers={"Content-Type":
                                                                 "application/json"})
        assert r.status_code == 422
        assert c.get("/api/plans/0").status_code == 422
        assert c.get("/api/plans/123456").status_code == 404
    assert _stored(server) == before
