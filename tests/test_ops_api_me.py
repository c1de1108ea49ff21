"""``GET /api/me``: each role is told what it may do, and what it is told is what the
server then does — for every role, each capability ``may`` grants is not refused (403)
and each it denies is, on the real routes over a real SQLite archive."""

from __future__ import annotations

import pytest

from test_ops_api import POWER, SEIS, T0_NS, hk, served_app

env = pytest.fixture(served_app, name="env")

#: user → (partner, roles, the APIDs it may command: None for all) in test_ops_api.USERS.
EXPECTED = {
    "vera": ("pakistan", ["viewer"], []),
    "ali": ("pakistan", ["partner_operator"], [SEIS]),
    "chen": ("cnsa", ["partner_operator"], [POWER]),
    "fd": ("cnsa", ["flight_director"], None),
    "root": ("cnsa", ["admin"], None),
}
#: What each role may do on the dashboard (docs/ops.md, "Security model").
GRANTED = {
    "viewer": set(),
    "partner_operator": {"send_commands", "acknowledge_alarms", "upload_plans",
                         "request_lighting"},
    "flight_director": {"send_commands", "approve_commands", "cancel_others_commands",
                        "acknowledge_alarms", "upload_plans", "declare_faults",
                        "request_lighting", "cancel_others_jobs"},
    "admin": {"send_commands", "approve_commands", "cancel_others_commands",
              "acknowledge_alarms", "upload_plans", "declare_faults", "request_lighting",
              "cancel_others_jobs", "administer", "read_audit"},
}  # fmt: skip


def test_me_needs_a_token(env):
    client, _, _ = env
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_me_names_the_roles_and_what_they_grant(env, user):
    client, _, h = env
    me = client.get("/api/me", headers=h[user]).json()
    partner, roles, apids = EXPECTED[user]
    assert (me["user"], me["partner"], me["roles"]) == (user, partner, roles)
    assert me["command_apids"] == apids
    assert {k for k, v in me["may"].items() if v} == GRANTED[roles[0]]
    assert "read" in me["actions"]


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_what_me_says_is_what_the_server_does(env, user):
    """Each capability probed on its route: 403 exactly where ``may`` says no."""
    client, service, h = env
    service.processor.ingest([hk(POWER, T0_NS, {"power.bus_v": 25.0}, "power.hk")],
                             reception_ns=T0_NS)  # a yellow alarm on cnsa's bus voltage
    me = client.get("/api/me", headers=h[user]).json()
    may = me["may"]

    def refused(response) -> bool:
        return response.status_code == 403

    # a command on each APID: refused exactly where command_apids leaves it out
    for apid, name, args in ((SEIS, "seis.set_gain", {"gain": 1}),
                             (POWER, "power.shed_load", {"load_w": 1.0})):  # fmt: skip
        allowed = may["send_commands"] and (me["command_apids"] is None
                                            or apid in me["command_apids"])  # fmt: skip
        r = client.post("/api/commands", headers=h[user], json={"name": name, "arguments": args})
        assert refused(r) != allowed, (name, r.status_code, r.text)
    # a critical command of another user, waiting for a second approval: approve, cancel
    for action, capability in (("approve", "approve_commands"),
                               ("cancel", "cancel_others_commands")):  # fmt: skip
        waiting = client.post("/api/commands", headers=h["fd2"], json={
            "name": "power.shed_load", "arguments": {"load_w": 1.0}}).json()  # fmt: skip
        assert waiting["state"] == "awaiting_approval"
        r = client.post(f"/api/commands/{waiting['id']}/{action}", headers=h[user])
        if user in ("vera", "ali"):  # another partner's command: not even its existence
            assert r.status_code == 404 and not may[capability]
        else:
            assert refused(r) != may[capability], (action, r.status_code, r.text)
    # the alarm (readable by cnsa's users and the all-partner roles)
    if service.policy.can_read_parameter(user, "power.bus_v"):
        r = client.post("/api/alarms/power.bus_v/acknowledge", headers=h[user])
        assert refused(r) != may["acknowledge_alarms"], r.text
    assert refused(client.get("/api/audit", headers=h[user])) != may["read_audit"]
    assert refused(client.get("/api/mdb/xtce", headers=h[user])) != may["administer"]
