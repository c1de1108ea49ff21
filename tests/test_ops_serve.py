"""``ilrs serve`` end to end: the live station twin as the spacecraft, the command center
around it, driven through the Python client over real HTTP and TCP on 127.0.0.1.

Issue 6's integration test: a partner operator commands its own payload off, sees the
verification stages complete and the payload's power drop in telemetry; the same user's
command to another partner's payload is refused (403); both are in the audit log; a
critical command waits for a second, different user.
"""

from __future__ import annotations

import time

import pytest

from ilrs.errors import OpsClientError
from ilrs.ops.client import OpsClient
from ilrs.ops.serve import LiveStation, Server

#: Russia's payload (ILRS-2) and China's (ILRS-4) in the built-in roadmap.
OWN = "payload.lunar_physics_station"
OTHER = "payload.biomedical_laboratory"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    station = LiveStation(speed=600.0, db_url=str(tmp_path_factory.mktemp("serve") / "a.db"),
                          pump_period_s=0.2)
    with Server(station) as running:
        yield running


def _token(server, name: str) -> str:
    return next(u.token for u in server.station.users if u.name == name)


def _wait_for(predicate, timeout_s: float = 60.0, what: str = "condition"):
    """Poll until ``predicate()`` is true; "no value yet" (404) counts as not yet."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OpsClientError as exc:
            if exc.status != 404:
                raise
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_partner_operator_commands_its_own_payload_off(server):
    with OpsClient(server.url, token=_token(server, "russia.operator")) as ops:
        power = f"{OWN}.power_w"
        before = _wait_for(lambda: ops.get_parameter_value(power).value > 0, what="power on")
        assert before
        handle = ops.issue_command(f"{OWN}.power_off").await_complete(timeout_s=30)
        stages = {(s["stage"], s["status"]) for s in handle.record["stages"]}
        assert {("accepted", "ok"), ("started", "ok"), ("completed", "ok")} <= stages
        _wait_for(lambda: ops.get_parameter_value(power).value == 0.0, what="power at 0")
        # the same user may not command another partner's payload
        with pytest.raises(OpsClientError) as refused:
            ops.issue_command(f"{OTHER}.power_off")
        assert refused.value.status == 403
    with OpsClient(server.url, token=_token(server, "admin")) as admin:
        audit = admin._get("/api/audit")
        mine = [r for r in audit if r["user"] == "russia.operator"]
        outcomes = {(r["action"], r["outcome"].split(":")[0]) for r in mine}
        assert ("command.issue", "ok") in outcomes and ("command.issue", "denied") in outcomes
        assert admin._get("/api/audit/verify")["ok"]


def test_critical_command_waits_for_a_second_user(server):
    critical = "payload.command_center.power_off"  # a survival load: significance critical
    with OpsClient(server.url, token=_token(server, "flight.director")) as first:
        handle = first.issue_command(critical)
        time.sleep(1.0)
        assert handle.refresh().state == "awaiting_approval"
        with pytest.raises(OpsClientError):
            handle.approve()  # not by the same user
    with OpsClient(server.url, token=_token(server, "flight.director2")) as second:
        second.get_command(handle.id).approve()
    with OpsClient(server.url, token=_token(server, "flight.director")) as first:
        done = first.get_command(handle.id).await_complete(timeout_s=30)
        assert done.state == "completed"
        first.issue_command("payload.command_center.power_on").await_complete(timeout_s=30)


def test_mission_database_is_generated_from_the_twin(server):
    with OpsClient(server.url, token=_token(server, "flight.director")) as ops:
        names = {c["name"] for c in ops._get("/api/mdb/commands")}
        assert f"{OWN}.power_off" in names and "station.safe_mode_enter" in names
        epoch = _wait_for(lambda: ops.get_parameter_value("station.time.tdb_s").value,
                          what="the twin's clock")
        assert epoch > 1.1e9  # the twin started in 2036


def test_each_partner_sees_only_its_own_parameters(server):
    """The dashboard's tree groups parameters by owner: a partner operator's holds one."""
    with OpsClient(server.url, token=_token(server, "russia.operator")) as ops:
        mine = ops.list_parameters()
    assert mine and {p["owner"] for p in mine} == {"russia"}
    assert any(p["element"] == OWN for p in mine)
    with OpsClient(server.url, token=_token(server, "flight.director")) as ops:
        owners = {p["owner"] for p in ops.list_parameters()}
    assert {"china", "russia"} <= owners
